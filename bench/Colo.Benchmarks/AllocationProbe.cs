using System.Diagnostics.Tracing;
using System.Globalization;

namespace Colo.Benchmarks;

/// <summary>
/// <c>Colo.Benchmarks --alloc-probe</c>: runs each lockstep scenario for a while after warm-up and reports the bytes
/// allocated per frame on the engine thread, GC counts by generation, and (when something allocates) the types
/// allocated, from the runtime's AllocationTick events (one sample per ~100 KB), so a regression can be located.
/// </summary>
internal static class AllocationProbe
{
    public static int Run(int frames)
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
        foreach ((string name, int flows, int payload, bool resegment) in scenarios)
        {
            var driver = new LockstepDriver(flows, payload, resegment);
            driver.WarmUp();
            driver.Run(frames / 10);
            using var listener = new AllocationListener();
            int gen0 = GC.CollectionCount(0);
            int gen1 = GC.CollectionCount(1);
            int gen2 = GC.CollectionCount(2);
            long before = GC.GetAllocatedBytesForCurrentThread();
            long releasedBefore = driver.Sink.Released;
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            driver.Run(frames);
            TimeSpan elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long released = driver.Sink.Released - releasedBefore;
            double perFrame = allocated / (double)frames;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-34} {frames / elapsed.TotalSeconds / 1e6,6:0.00} M frames/s  {allocated,10} B allocated ({perFrame:0.000} B/frame)  GCs gen0/1/2: {GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2}  released {released}"));
            if (allocated > 0)
            {
                failures++;
                foreach ((string type, long bytes) in listener.Types.OrderByDescending(t => t.Value).Select(t => (t.Key, t.Value)))
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    allocates {type} (~{bytes} B sampled)"));
            }
        }

        return failures == 0 ? 0 : 1;
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
