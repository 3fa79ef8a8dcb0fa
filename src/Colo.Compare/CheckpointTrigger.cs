using Colo.Packets.Frames;

namespace Colo.Compare;

/// <summary>
/// One cause for a checkpoint, as the engine found it. The engine reports each cause once (a stuck frame is reported
/// once, not every scan); coalescing causes into requests is <see cref="CheckpointCoordinator"/>'s job.
/// </summary>
/// <param name="Reason">What happened.</param>
/// <param name="Flow">The flow concerned (default for global caps).</param>
/// <param name="HasFlow">False for global causes (memory cap, flow table).</param>
/// <param name="Side">For timeouts and queue caps: the side whose frame waited or whose queue filled.</param>
/// <param name="Waited">For timeouts: how long the oldest frame had waited.</param>
/// <param name="Time">Engine time when found.</param>
public readonly record struct CheckpointTrigger(
    CheckpointReason Reason, FlowKey Flow, bool HasFlow, Side Side, TimeSpan Waited, TimeSpan Time);
