using Colo.Packets.Frames;

namespace Colo.Compare;

/// <summary>Facts about a released primary frame, passed with its bytes to <see cref="ICompareSink.Release"/>.</summary>
/// <param name="Reason">Why it was released.</param>
/// <param name="Flow">Its flow (default when not IP).</param>
/// <param name="ArrivalTime">Engine time it was ingested (for release latency).</param>
/// <param name="VnetHeaderLength">The virtio-net header length it arrived with (written back unchanged).</param>
public readonly record struct ReleaseInfo(ReleaseReason Reason, FlowKey Flow, TimeSpan ArrivalTime, int VnetHeaderLength);
