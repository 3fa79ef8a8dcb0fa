namespace Colo.Compare.Internal;

/// <summary>Which of the engine's intrusive flow lists a flow is on.</summary>
internal enum FlowList : byte
{
    /// <summary>On none: a diverged or resyncing flow with nothing queued (kept until the checkpoint).</summary>
    None = 0,

    /// <summary>Has queued frames; in first-queued order.</summary>
    Active,

    /// <summary>Nothing queued; in least-recently-active order, evicted first when the table is full.</summary>
    Idle,
}
