namespace Colo.Proxy.Tests.Qemu;

/// <summary>A command the scripted QMP server received: its name and its arguments as JSON ("" when none).</summary>
internal readonly record struct ReceivedQmpCommand(string Name, string Arguments);
