using Colo.Proxy.Control;

namespace Colo.Proxy.Hosting;

// The host as the control socket and the metrics endpoint see it: the only way they reach the proxy.
public sealed partial class ProxyHost : IProxyControl
{
    ProxyStatus IProxyControl.GetStatus() => GetStatus() with
    {
        CheckpointChannels = _channels.Select(c => c.Name).ToArray(),
        CheckpointsRequested = _coordinator.RequestsSent,
        CheckpointsRepeated = _coordinator.RequestsRepeated,
        CheckpointsCompleted = CheckpointsCompleted,
    };

    ProxyTransportSnapshot IProxyControl.GetTransport() => new(
        InputSnapshot.Of(_primaryStats),
        InputSnapshot.Of(_secondaryStats),
        _output.FramesWritten,
        _output.BufferedBytes,
        _output.Stalls,
        _output.ResentFrames);

    Compare.EngineCounters IProxyControl.ReadCounters() => ReadCountersUnsynchronized();

    async Task<TimeSpan> IProxyControl.GetOldestQueuedAgeAsync()
    {
        // Walks every flow (FlowStatus carries the age of a flow's oldest queued primary frame): fine once per scrape.
        TimeSpan[] oldest = await Task.WhenAll(_workers.Select(w => w.InvokeAsync((engine, now) =>
        {
            TimeSpan age = TimeSpan.Zero;
            foreach (Compare.FlowStatus flow in engine.GetTopFlows(int.MaxValue, now))
            {
                if (flow.OldestQueuedAge > age)
                    age = flow.OldestQueuedAge;
            }
            return age;
        }))).ConfigureAwait(false);
        return oldest.Length == 0 ? TimeSpan.Zero : oldest.Max();
    }
}
