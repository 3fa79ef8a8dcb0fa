using System.Text.Json;

namespace Colo.Proxy.Qemu;

/// <summary>
/// One QMP event: <c>{"event": NAME, "data": {...}, "timestamp": {"seconds": s, "microseconds": us}}</c>.
/// <paramref name="Data"/> is a detached clone (<see cref="JsonValueKind.Undefined"/> when QEMU sent none);
/// <paramref name="Timestamp"/> is QEMU's wall clock, for logs only.
/// </summary>
internal readonly record struct QmpEvent(string Name, JsonElement Data, DateTimeOffset? Timestamp);
