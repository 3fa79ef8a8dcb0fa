using Colo.Compare;
using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>A checkpoint that a live comparator would have requested for a frame that waited too long.</summary>
internal sealed record TimeoutRecord(FlowKey Flow, Side Side, TimeSpan Waited, TimeSpan At);
