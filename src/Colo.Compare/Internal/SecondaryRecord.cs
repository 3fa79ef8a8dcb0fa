namespace Colo.Compare.Internal;

/// <summary>
/// A queued secondary frame. TCP: only what it still waits for (its bytes live in the flow's stream buffer).
/// Datagrams: the compared bytes, in the flow's secondary <see cref="ChunkedStore"/> (or, reassembled from fragments,
/// in <see cref="Data"/>).
/// </summary>
internal struct SecondaryRecord
{
    public TimeSpan Arrival;
    public long Id;
    public long RequiredConfirmed;
    public bool NeedsReset;

    /// <summary>TCP: the secondary's SYN arrived before the primary's; satisfied once the primary's SYN is confirmed.</summary>
    public bool PendingSyn;

    /// <summary>Datagrams: the compared bytes are stored (at <see cref="Position"/>, or in <see cref="Data"/>).</summary>
    public bool HasData;
    public long Position;
    public int Length;

    /// <summary>A reassembled datagram: its fragment frames, counted (matched or dropped) together.</summary>
    public FragmentGroup? Group;
    public byte[]? Data;

    public readonly int FrameCount => Group?.Count ?? 1;
}
