using Colo.Compare;

namespace Colo.Proxy.Hosting;

/// <summary>A coalesced checkpoint request on its way to the channels.</summary>
internal sealed record CheckpointRequest(CheckpointReason Reason, string? Flow, Side Side, TimeSpan Waited, bool Repeat);
