using System.Diagnostics;
using System.Net.Sockets;

namespace Colo.LoadGen;

/// <summary><c>colo-loadgen run</c>: connect, send both replicas' streams, verify and time what is released, report.</summary>
internal static class LoadRunner
{
    public static int Run(LoadOptions options)
    {
        var plan = new TrafficPlan(options.Flows, options.Payload, options.Resegment, options.Divergence,
            options.VnetHeaderLength, options.FullChecksum, options.Seed)
        {
            IsnNearWrap = options.IsnNearWrap,
        };
        var state = new RunState(plan);

        // outdev and notify first, so nothing released is lost (QEMU drops releases while outdev is unconnected).
        Socket outdev = options.Outdev.Connect(options.ConnectTimeout, options.SocketBuffer);
        Socket? notify = options.NotifyDev?.Connect(options.ConnectTimeout, 64 * 1024);
        Socket primary = options.PrimaryIn.Connect(options.ConnectTimeout, options.SocketBuffer);
        Socket secondary = options.SecondaryIn.Connect(options.ConnectTimeout, options.SocketBuffer);
        Thread.Sleep(100); // let the comparator notice all four connections before data flows

        NotifyResponder? responder = notify is null ? null : new NotifyResponder(notify, options.CheckpointDelay);
        Thread? notifyReader = null;
        Thread? notifyResponder = null;
        if (responder is not null)
        {
            responder.SendInit();
            notifyReader = StartThread("notify-reader", responder.RunReader);
            notifyResponder = StartThread("notify-responder", responder.RunResponder);
        }

        long start = RunState.Now();
        long measureFrom = start + (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        var reader = new ReleaseReader(state, outdev, options.SocketBuffer, measureFrom);
        var primaryWriter = new SideWriter(state, primary, primary: true, options);
        var secondaryWriter = new SideWriter(state, secondary, primary: false, options);
        double cpuAtStart = ProcessSampler.CpuSeconds(options.Pid);
        long cpuAtStartTime = RunState.Now();
        ComparatorStats? gcAtStart = null;
        state.StartTimestamp = start;

        Thread readerThread = StartThread("outdev-reader", reader.Run);
        Thread primaryThread = StartThread("primary-writer", primaryWriter.Run);
        Thread secondaryThread = StartThread("secondary-writer", secondaryWriter.Run);
        // Bytes held are sampled only when the replicas run apart: lock-step runs stay as they were measured before.
        var leadSampler = new LeadSampler(state, options.Skew.Kind == SkewKind.Frames ? null : options.Control);
        Thread leadThread = StartThread("lead-sampler", leadSampler.Run);

        // CPU is sampled at the end of the warm-up (or at the start when there is none).
        while (RunState.Now() < measureFrom && primaryThread.IsAlive)
            Thread.Sleep(5);
        if (RunState.Now() >= measureFrom)
        {
            cpuAtStart = ProcessSampler.CpuSeconds(options.Pid);
            cpuAtStartTime = RunState.Now();
        }
        gcAtStart = GcSampler.Sample(options.Control);

        // Bounded: writers that cannot finish (a comparator that stopped reading) are stopped after a grace period.
        TimeSpan writeLimit = (options.Frames > 0 ? TimeSpan.FromMinutes(10) : options.Duration) + options.DrainTimeout + TimeSpan.FromSeconds(10);
        if (!primaryThread.Join(writeLimit) || !secondaryThread.Join(options.DrainTimeout + TimeSpan.FromSeconds(5)))
        {
            state.Fail($"the writers could not finish within {writeLimit.TotalSeconds:0} s: the comparator stopped taking input");
            CloseQuietly(primary);
            CloseQuietly(secondary);
            primaryThread.Join(TimeSpan.FromSeconds(2));
            secondaryThread.Join(TimeSpan.FromSeconds(2));
        }

        long sendEnd = RunState.Now();

        // Drain: until everything sent is released, or nothing moved for the drain timeout.
        long sent = Volatile.Read(ref state.PrimaryWritten);
        long lastReleased = -1;
        long lastProgress = RunState.Now();
        long drainTicks = (long)(options.DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!state.Abort && !reader.Closed)
        {
            long released = Volatile.Read(ref state.Released);
            if (released >= sent)
                break;
            if (released != lastReleased)
            {
                lastReleased = released;
                lastProgress = RunState.Now();
            }
            else if (RunState.Now() - lastProgress > drainTicks)
            {
                break;
            }

            Thread.Sleep(2);
        }

        double cpuAtEnd = ProcessSampler.CpuSeconds(options.Pid);
        long cpuAtEndTime = RunState.Now();
        long peakRss = ProcessSampler.StatusKilobytes(options.Pid, "VmHWM");
        leadSampler.Stop();
        leadThread.Join(TimeSpan.FromSeconds(2));
        ComparatorStats? gcAtEnd = gcAtStart is null ? null : GcSampler.Sample(options.Control);

        // Hang up: inputs first, then outdev and notify.
        state.Stopping = true;
        CloseQuietly(primary);
        CloseQuietly(secondary);
        Thread.Sleep(20);
        CloseQuietly(outdev);
        responder?.Stop();
        if (notify is not null)
            CloseQuietly(notify);
        readerThread.Join(TimeSpan.FromSeconds(2));
        notifyReader?.Join(TimeSpan.FromSeconds(2));
        notifyResponder?.Join(TimeSpan.FromSeconds(2));

        // Accounting: every primary segment sent must have been released exactly once.
        long lost = sent - reader.Unique;

        var result = new RunResult
        {
            Options = options,
            Plan = plan,
            SentPrimary = sent,
            SentSecondary = Volatile.Read(ref state.SecondaryFrames),
            Released = Volatile.Read(ref state.Released),
            Reader = reader,
            SendSeconds = RunState.Seconds(sendEnd - start),
            MeasuredSeconds = reader.MeasuredFrames > 0
                ? RunState.Seconds(reader.LastReleaseTimestamp - Math.Max(measureFrom, start))
                : 0,
            CpuSeconds = cpuAtEnd - cpuAtStart,
            CpuWindowSeconds = RunState.Seconds(cpuAtEndTime - cpuAtStartTime),
            PeakRssKilobytes = peakRss,
            GcCollections = gcAtStart is not { } a || gcAtEnd is not { } e
                ? null
                : [e.Gen0 - a.Gen0, e.Gen1 - a.Gen1, e.Gen2 - a.Gen2],
            AllocatedBytes = gcAtStart is { } a2 && gcAtEnd is { } e2 ? e2.AllocatedBytes - a2.AllocatedBytes : null,
            MemoryCapTriggers = gcAtEnd?.MemoryCapTriggers,
            StorageAllocations = gcAtStart is { } a3 && gcAtEnd is { } e3 ? e3.StorageAllocations - a3.StorageAllocations : null,
            MaxBufferedBytes = leadSampler.MaxBufferedBytes,
            MaxPrimaryLeadFrames = leadSampler.MaxPrimaryLead,
            MaxSecondaryLeadFrames = leadSampler.MaxSecondaryLead,
            Lost = lost,
            Requests = responder?.Requests ?? 0,
            Checkpoints = responder?.Checkpoints ?? 0,
            Failure = state.Failure ?? reader.Error?.Message,
        };
        Console.Out.WriteLine(result.ToJson());
        Console.Error.WriteLine(result.ToHuman());
        return result.Ok ? 0 : 1;
    }

    private static Thread StartThread(string name, ThreadStart body)
    {
        var thread = new Thread(body) { Name = name, IsBackground = true };
        thread.Start();
        return thread;
    }

    private static void CloseQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }
}
