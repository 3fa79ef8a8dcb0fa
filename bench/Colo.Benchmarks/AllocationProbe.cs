using System.Diagnostics.Tracing;
using System.Globalization;
using Colo.Compare;

namespace Colo.Benchmarks;

/// <summary>
/// <c>Colo.Benchmarks --alloc-probe</c>: runs each lockstep scenario, and each with one side 100,000 segments ahead (a
/// standing backlog), for a while after warm-up and reports the bytes
/// allocated per frame on the engine thread, GC counts by generation, and (when something allocates) the types
/// allocated, from the runtime's AllocationTick events (one sample per ~100 KB), so a regression can be located.
/// </summary>
internal static class AllocationProbe
{
    /// <param name="lead">Primary segments the leading side is ahead in the backlog scenarios.</param>
    public static int Run(int frames, int lead = 100_000)
    {
        int failures = 0;
        (string Name, int Flows, int Payload, bool Resegment)[] scenarios =
        [
            ("1448 B, 1 flow", 1, 1448, false),
            ("1448 B, 10000 flows", 10_000, 1448, false),
            ("64 B, 1 flow", 1, 64, false),
            ("64 B, 10000 flows", 10_000, 64, false),
            ("1448 B re-segmented, 1 flow", 1, 1448, true),
            ("1448 B re-segmented, 10000 flows", 10_000, 1448, true),
        ];
        (string Name, int Flows, int Payload, bool Resegment, Side Ahead)[] backlogs =
        [
            ("1448 B, primary ahead, 1 flow", 1, 1448, false, Side.Primary),
            ("1448 B, secondary ahead, 1 flow", 1, 1448, false, Side.Secondary),
            ("1448 B, primary ahead, 1000 flows", 1000, 1448, false, Side.Primary),
            ("1448 B, secondary ahead, 1000 flows", 1000, 1448, false, Side.Secondary),
            ("1448 B reseg, primary ahead, 1000 flows", 1000, 1448, true, Side.Primary),
            ("64 B, primary ahead, 1 flow", 1, 64, false, Side.Primary),
            ("64 B, secondary ahead, 1000 flows", 1000, 64, false, Side.Secondary),
        ];
        foreach ((string name, int flows, int payload, bool resegment) in scenarios)
        {
            var driver = new LockstepDriver(flows, payload, resegment);
            driver.WarmUp();
            failures += Measure(name, frames, driver.Run, () => driver.Sink.Released, () => driver.Engine.StorageAllocations);
        }

        foreach ((string name, int flows, int payload, bool resegment, Side ahead) in backlogs)
        {
            var driver = new BacklogDriver(flows, payload, resegment, ahead, lead);
            driver.WarmUp();
            failures += Measure(string.Create(CultureInfo.InvariantCulture, $"{name} by {driver.Lead}"), frames, driver.Run,
                () => driver.Sink.Released, () => driver.Engine.StorageAllocations);
        }

        return failures == 0 ? 0 : 1;
    }

    /// <summary>Runs a warmed-up driver for <paramref name="frames"/> primary frames; 1 when it allocated or grew its storage.</summary>
    private static int Measure(string name, int frames, Func<int, long> run, Func<long> releasedSoFar, Func<long> storage)
    {
        run(frames / 10);
        using var listener = new AllocationListener();
        int gen0 = GC.CollectionCount(0);
        int gen1 = GC.CollectionCount(1);
        int gen2 = GC.CollectionCount(2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        long releasedBefore = releasedSoFar();
        long storageBefore = storage();
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        run(frames);
        TimeSpan elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long released = releasedSoFar() - releasedBefore;
        long newStorage = storage() - storageBefore;
        double perFrame = allocated / (double)frames;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-46} {frames / elapsed.TotalSeconds / 1e6,6:0.00} M frames/s  {allocated,10} B allocated ({perFrame:0.000} B/frame)  GCs gen0/1/2: {GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2}  new storage {newStorage}  released {released}"));
        if (allocated == 0 && newStorage == 0)
            return 0;
        foreach ((string type, long bytes) in listener.Types.OrderByDescending(t => t.Value).Select(t => (t.Key, t.Value)))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    allocates {type} (~{bytes} B sampled)"));
        return 1;
    }

    /// <summary>Listens to GC AllocationTick events (type name and sampled size) in this process.</summary>
    private sealed class AllocationListener : EventListener
    {
        private const EventKeywords GcKeyword = (EventKeywords)0x1;
        private readonly object _gate = new();

        public Dictionary<string, long> Types { get; } = new(StringComparer.Ordinal);

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal)
                || eventData.Payload is null || eventData.PayloadNames is null)
                return;
            int typeIndex = eventData.PayloadNames.IndexOf("TypeName");
            int sizeIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
            string type = typeIndex >= 0 ? eventData.Payload[typeIndex]?.ToString() ?? "?" : "?";
            long size = sizeIndex >= 0 ? Convert.ToInt64(eventData.Payload[sizeIndex], CultureInfo.InvariantCulture) : 0;
            lock (_gate)
                Types[type] = Types.GetValueOrDefault(type) + size;
        }
    }
}
