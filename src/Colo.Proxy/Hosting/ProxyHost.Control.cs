using Colo.Proxy.Control;

namespace Colo.Proxy.Hosting;

// The host as the control socket and the metrics endpoint see it: the only way they reach the proxy.
public sealed partial class ProxyHost : IProxyControl
{
    ProxyStatus IProxyControl.GetStatus() => GetStatus() with
    {
        CheckpointChannels = _channels.Select(c => c.Name).ToArray(),
        CheckpointsRequested = _checkpoints.Coordinator.RequestsSent,
        CheckpointsRepeated = _checkpoints.Coordinator.RequestsRepeated,
        CheckpointsCompleted = CheckpointsCompleted,
    };

    ProxyTransportSnapshot IProxyControl.GetTransport() => new(
        InputSnapshot.Of(_primary.Stats),
        InputSnapshot.Of(_secondary.Stats),
        _output.FramesWritten,
        _output.BufferedBytes,
        _output.Stalls,
        _output.ResentFrames);

    Compare.EngineCounters IProxyControl.ReadCounters() => _shards.ReadCountersUnsynchronized();

    async Task<TimeSpan> IProxyControl.GetOldestQueuedAgeAsync()
    {
        // Walks every flow (FlowStatus carries the age of a flow's oldest queued primary frame): fine once per scrape.
        TimeSpan[] oldest = await Task.WhenAll(_shards.Workers.Select(w => w.InvokeAsync((engine, now) =>
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
