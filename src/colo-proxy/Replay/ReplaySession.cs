using Colo.Compare;
using Colo.Packets.Capture;
using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>
/// Runs the comparison engine over two captures: frames are taken in timestamp order across both files (primary
/// first on equal timestamps; the secondary's shifted by <c>--secondary-time-offset</c>) and the timestamps drive the
/// engine's clock. Checkpoints are recorded, never completed: replay judges content, so a timeout or a cap flushes
/// nothing and every byte both captures hold is compared; a flow that diverged is reported once and then released
/// without comparison. Frame numbers stay on this side (<see cref="FrameIndex"/>): the engine never sees them.
/// </summary>
internal static class ReplaySession
{
    /// <summary>Engine time between two queue-depth samples of the timeline.</summary>
    private static readonly TimeSpan QueueSampleInterval = TimeSpan.FromMilliseconds(10);

    public static ReplayResult Run(ReplayOptions options)
    {
        FlowFilter? filter = options.Flow is null ? null : FlowFilter.Parse(options.Flow);
        using var primary = new ReplayInput(options.PrimaryPath, Side.Primary, 0);
        using var secondary = new ReplayInput(options.SecondaryPath, Side.Secondary, (long)(options.SecondaryTimeOffset.Ticks * 100));
        using CaptureWriter? writer = options.OutputPath is null ? null : CaptureWriter.Create(options.OutputPath);
        var sink = new ReplaySink(writer);
        var engine = new CompareEngine(
            new CompareOptions
            {
                CompareTimeout = options.CompareTimeout,
                ExpiredScanCycle = options.ExpiredScanCycle,
                MaxQueueSize = options.MaxQueueSize,
                MaxBufferedBytes = options.MaxBufferedBytes,
                ReleaseDivergedFlows = true,
                CompareNonIp = options.CompareNonIp,
                CompareHousekeeping = options.CompareHousekeeping,
            },
            sink);
        var index = new FrameIndex();
        var samples = new List<QueueSample>();
        var primaryTimes = new List<TimeSpan>();
        var secondaryTimes = new List<TimeSpan>();
        long primaryFilteredOut = 0, secondaryFilteredOut = 0;

        TimeSpan end = TimeSpan.Zero;
        TimeSpan nextSample = TimeSpan.Zero;
        primary.MoveNext();
        secondary.MoveNext();
        long? origin = null;
        while (primary.HasFrame || secondary.HasFrame)
        {
            ReplayInput input = primary.HasFrame && (!secondary.HasFrame || primary.ClockNanoseconds <= secondary.ClockNanoseconds)
                ? primary
                : secondary;
            origin ??= input.ClockNanoseconds;
            var now = TimeSpan.FromTicks(Math.Max(0, input.ClockNanoseconds - origin.Value) / 100);
            ReadOnlySpan<byte> frame = input.Frame;
            FlowKey? flow = KeyOf(frame, out PacketInfo info);
            if (filter is not null && (flow is not { } key || !filter.Matches(key)))
            {
                if (input.Side == Side.Primary)
                    primaryFilteredOut++;
                else
                    secondaryFilteredOut++;
                input.MoveNext();
                continue;
            }

            if (flow is { } indexed)
                index.Add(input.Side, indexed, frame, info, input.Current);
            (input.Side == Side.Primary ? primaryTimes : secondaryTimes).Add(now);
            sink.CurrentTimestampNanoseconds = input.ClockNanoseconds;
            end = now;
            engine.AdvanceTime(now);
            engine.Ingest(input.Side, frame, 0, now);
            if (now >= nextSample)
            {
                samples.Add(new QueueSample(now, engine.Counters.PrimaryQueued, engine.Counters.SecondaryQueued));
                nextSample = now + QueueSampleInterval;
            }
            input.MoveNext();
        }
        samples.Add(new QueueSample(end, engine.Counters.PrimaryQueued, engine.Counters.SecondaryQueued));

        EngineCounters counters = engine.Counters.Snapshot();
        IReadOnlyList<FlowStatus> queued = engine.GetTopFlows(int.MaxValue, end);
        var divergenceFrames = sink.Divergences.Select(index.Locate).ToList();
        IReadOnlyList<FlowSummary> flows = ReplayDiagnosis.SummarizeFlows(index, sink, queued);
        CaptureSummary primarySummary = primary.Summarize(primaryFilteredOut);
        CaptureSummary secondarySummary = secondary.Summarize(secondaryFilteredOut);
        string verdict = sink.Divergences.Count > 0 ? ReplayVerdict.Divergent
            : counters.PrimaryQueued > 0 || counters.Released(ReleaseReason.Compared) == 0
                || flows.Any(f => f.Result == FlowResult.Incomplete) ? ReplayVerdict.Incomplete
            : ReplayVerdict.Same;
        var result = new ReplayResult
        {
            Verdict = verdict,
            Divergences = sink.Divergences,
            DivergenceFrames = divergenceFrames,
            Timeouts = sink.Timeouts,
            Checkpoints = sink.Checkpoints,
            Counters = counters,
            ReleasedWritten = sink.Written,
            StillQueued = queued.Where(f => f.PrimaryQueuedFrames + f.SecondaryQueuedFrames > 0).Take(20).ToList(),
            Flows = flows,
            Primary = primarySummary,
            Secondary = secondarySummary,
            OriginNanoseconds = origin ?? 0,
            SecondaryTimeOffset = options.SecondaryTimeOffset,
            QueueSamples = samples,
            PrimaryFrameTimes = primaryTimes,
            SecondaryFrameTimes = secondaryTimes,
            Hints = ReplayDiagnosis.Hints(verdict, counters, index, flows, primarySummary, secondarySummary, options),
        };
        if (options.ExtractDirectory is { } directory && result.Divergences.Count > 0)
            result.ExtractedFiles = DivergenceExtractor.Write(result, directory);
        if (options.HtmlPath is { } html)
            HtmlReportWriter.Write(result, html);
        return result;
    }

    /// <summary>The flow key of an Ethernet frame (MACs and EtherType when not IP); null when malformed.</summary>
    internal static FlowKey? KeyOf(ReadOnlySpan<byte> frame, out PacketInfo info)
    {
        ParseStatus status = FrameParser.TryParse(frame, 0, out info);
        return status switch
        {
            ParseStatus.Ok => FlowKey.From(frame, info),
            ParseStatus.NotIp => FlowKey.FromNonIp(frame, info),
            _ => null,
        };
    }
}
