using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>One line of the per-flow table: what each capture held of the flow and how its comparison ended.</summary>
/// <param name="Flow">The flow (guest to outside).</param>
/// <param name="CommunityId">Its Community ID v1 (seed 0), to find it in Zeek or Suricata logs; null when not IP.</param>
/// <param name="PrimaryFrames">Frames of the flow in the primary capture.</param>
/// <param name="SecondaryFrames">Frames of the flow in the secondary capture.</param>
/// <param name="BytesCompared">Payload bytes of primary frames released after comparison.</param>
/// <param name="PrimaryQueued">Primary frames still waiting when the captures ended.</param>
/// <param name="Result">One of the <see cref="FlowResult"/> names.</param>
internal sealed record FlowSummary(
    FlowKey Flow, string? CommunityId, long PrimaryFrames, long SecondaryFrames, long BytesCompared, long PrimaryQueued,
    string Result);
