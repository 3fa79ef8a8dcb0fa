namespace Colo.Proxy.Tests.Qemu;

internal readonly record struct CheckpointEventRecord(CheckpointEventKind Kind, string Channel, string Text);
