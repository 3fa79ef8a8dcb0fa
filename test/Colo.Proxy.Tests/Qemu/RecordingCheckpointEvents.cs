using Colo.Proxy.Checkpoints;

namespace Colo.Proxy.Tests.Qemu;

/// <summary>Records what a checkpoint channel reports, in order.</summary>
internal sealed class RecordingCheckpointEvents : ICheckpointEvents
{
    public AsyncLog<CheckpointEventRecord> Log { get; } = new();

    public IReadOnlyList<CheckpointEventRecord> Records => Log.Snapshot();

    public int Count(CheckpointEventKind kind) => Records.Count(r => r.Kind == kind);

    public void CheckpointCompleted(string channel) => Log.Add(new(CheckpointEventKind.Completed, channel, ""));

    public void FailoverRequested(string channel, string reason) => Log.Add(new(CheckpointEventKind.Failover, channel, reason));

    public void ChannelError(string channel, string message) => Log.Add(new(CheckpointEventKind.Error, channel, message));

    public void PeerChanged(string channel, bool connected) =>
        Log.Add(new(connected ? CheckpointEventKind.Connected : CheckpointEventKind.Disconnected, channel, ""));

    public Task WaitForAsync(CheckpointEventKind kind, int count = 1, TimeSpan? timeout = null) =>
        Log.WaitAsync(items => items.Count(r => r.Kind == kind) >= count, $"{count} x {kind}", timeout);
}
