using Colo.Compare;
using Colo.Packets.Capture;

namespace Colo.Cli.Replay;

/// <summary>
/// Runs the comparison engine over two captures: frames are taken in timestamp order across both files (primary
/// first on equal timestamps) and the timestamps drive the engine's clock. Checkpoints are recorded, never completed:
/// replay judges content, so a timeout or a cap flushes nothing and every byte both captures hold is compared; a flow
/// that diverged is reported once and then released without comparison.
/// </summary>
internal static class ReplaySession
{
    public static ReplayResult Run(ReplayOptions options)
    {
        using CaptureReader primary = CaptureReader.Open(options.PrimaryPath);
        using CaptureReader secondary = CaptureReader.Open(options.SecondaryPath);
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

        TimeSpan end = TimeSpan.Zero;
        bool hasPrimary = primary.TryReadNext(out CaptureRecord p);
        bool hasSecondary = secondary.TryReadNext(out CaptureRecord s);
        long? origin = null;
        while (hasPrimary || hasSecondary)
        {
            bool takePrimary = hasPrimary && (!hasSecondary || p.TimestampNanoseconds <= s.TimestampNanoseconds);
            CaptureRecord record = takePrimary ? p : s;
            CheckLinkType(takePrimary ? primary : secondary, record);
            origin ??= record.TimestampNanoseconds;
            var now = TimeSpan.FromTicks(Math.Max(0, record.TimestampNanoseconds - origin.Value) / 100);
            sink.CurrentTimestampNanoseconds = record.TimestampNanoseconds;
            end = now;
            engine.AdvanceTime(now);
            engine.Ingest(takePrimary ? Side.Primary : Side.Secondary, record.Data, 0, now);
            if (takePrimary)
                hasPrimary = primary.TryReadNext(out p);
            else
                hasSecondary = secondary.TryReadNext(out s);
        }

        return new ReplayResult
        {
            Divergences = sink.Divergences,
            Timeouts = sink.Timeouts,
            Checkpoints = sink.Checkpoints,
            Counters = engine.Counters.Snapshot(),
            ReleasedWritten = sink.Written,
            StillQueued = engine.GetTopFlows(20, end),
        };
    }

    private static void CheckLinkType(CaptureReader reader, in CaptureRecord record)
    {
        if (record.LinkType != LinkType.Ethernet)
        {
            throw new CaptureFormatException(reader.Name, reader.Position,
                $"link type {(uint)record.LinkType} (not Ethernet, 1) in the record ending",
                "COLO comparators see Ethernet frames");
        }
    }
}
