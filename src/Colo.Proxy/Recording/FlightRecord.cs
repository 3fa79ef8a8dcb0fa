using Colo.Compare;
using Colo.Packets.Frames;

namespace Colo.Proxy.Recording;

/// <summary>One flow's recent frames, taken on the engine's thread, waiting to be written out.</summary>
/// <param name="Kind">"divergence" or "timeout".</param>
/// <param name="Flow">The flow.</param>
/// <param name="Frames">Both sides' frames in arrival order (engine time).</param>
/// <param name="Divergence">The divergence, for <c>divergence</c> records.</param>
/// <param name="Trigger">The checkpoint cause, for <c>timeout</c> records.</param>
/// <param name="EngineEpoch">Wall-clock time of engine time zero (to stamp the frames).</param>
public sealed record FlightRecord(
    string Kind, FlowKey Flow, IReadOnlyList<RecordedFrame> Frames, Divergence? Divergence, CheckpointTrigger? Trigger,
    DateTimeOffset EngineEpoch);
