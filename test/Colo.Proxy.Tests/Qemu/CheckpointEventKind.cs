namespace Colo.Proxy.Tests.Qemu;

internal enum CheckpointEventKind
{
    Completed,
    Failover,
    Error,
    Connected,
    Disconnected,
}
