namespace Colo.Compare.Internal;

/// <summary>
/// A queued secondary frame. TCP: only what it still waits for (its bytes live in the flow's stream buffer).
/// Datagrams: a pooled copy of the bytes that are compared.
/// </summary>
internal struct SecondaryRecord
{
    public TimeSpan Arrival;
    public long Id;
    public long RequiredConfirmed;
    public bool NeedsReset;

    /// <summary>TCP: the secondary's SYN arrived before the primary's; satisfied once the primary's SYN is confirmed.</summary>
    public bool PendingSyn;
    public byte[]? Data;
    public int Length;
    public int Charged;

    /// <summary>A reassembled datagram: its fragment frames, counted (matched or dropped) together.</summary>
    public FragmentGroup? Group;

    public readonly int FrameCount => Group?.Count ?? 1;
}
