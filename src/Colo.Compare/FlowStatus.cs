using Colo.Packets.Frames;

namespace Colo.Compare;

/// <summary>A flow's state for <c>query-flows</c>.</summary>
public sealed record FlowStatus(
    FlowKey Flow,
    string State,
    int PrimaryQueuedFrames,
    long PrimaryQueuedBytes,
    int SecondaryQueuedFrames,
    long SecondaryQueuedBytes,
    TimeSpan OldestQueuedAge);
