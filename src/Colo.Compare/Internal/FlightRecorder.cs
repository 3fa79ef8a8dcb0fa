using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Colo.Compare.Internal;

/// <summary>
/// The flight recorder: every frame of both sides, appended to one byte ring of the budget's size, each frame after a
/// small header that links it to the same flow's previous frame. A flow keeps only where its newest frame is; its
/// history is read by walking that chain back until it leaves the ring, and cut to the per-flow size.
/// </summary>
/// <remarks>
/// One ring written front to back costs a frame copy to sequential addresses. The previous design (a fixed ring per
/// flow and side) had rings for budget / per-flow flows; once more flows were active, they took each other's rings on
/// nearly every frame and kept next to nothing, and with a ring for each of a thousand flows every frame was written
/// wherever its flow's ring was (a 64-byte flood then cost 1.6x the CPU per frame of the recorder off). Here every
/// flow's history is the newest <c>budget</c> bytes of all traffic, at most <c>per-flow</c> of it for one flow: a quiet
/// flow beside a bulk one keeps less time back (16 MiB is about 130 ms at 1 Gbit/s), a thousand busy flows keep
/// 16 KiB each where the rings kept almost nothing.
/// </remarks>
internal sealed class FlightRecorder
{
    // A Header before each frame; frames start 8-byte aligned.
    private static readonly int HeaderSize = Unsafe.SizeOf<Header>();

    private readonly int _bytesPerSide;
    private readonly int _capacity;
    private byte[]? _ring;
    // Absolute position of the next frame: every byte in [_written - _capacity, _written) is intact.
    private long _written;
    // _written's place in the ring (kept apart so that appending divides nothing).
    private int _at;

    public FlightRecorder(int bytesPerFlow, long budgetBytes)
    {
        _bytesPerSide = bytesPerFlow / 2;
        _capacity = _bytesPerSide == 0 ? 0 : (int)Math.Min(budgetBytes & ~7L, Array.MaxLength & ~7);
    }

    public bool Enabled => _capacity > HeaderSize;

    /// <summary>Bytes the ring holds (allocated once, on the first frame recorded).</summary>
    public long AllocatedBytes => _ring?.Length ?? 0;

    /// <summary>Keeps <paramref name="frame"/> as <paramref name="flow"/>'s newest; one larger than the ring is not kept.</summary>
    public void Append(Flow flow, Side side, ReadOnlySpan<byte> frame, TimeSpan time)
    {
        int size = HeaderSize + ((frame.Length + 7) & ~7);
        if (size > _capacity)
            return;
        byte[] ring = _ring ??= new byte[_capacity];
        int at = _at;
        if (at + size > _capacity)
        {
            // A frame never straddles the end: the tail left unused counts as written.
            _written += _capacity - at;
            at = 0;
        }
        // The size check above keeps [at, at + size) inside the ring: no bounds checks on the hot path.
        ref byte place = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(ring), at);
        Unsafe.WriteUnaligned(ref place, new Header(flow.LastRecorded, time.Ticks, frame.Length, side));
        frame.CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref place, HeaderSize), frame.Length));
        flow.LastRecorded = _written;
        _written += size;
        _at = at + size;
    }

    /// <summary>
    /// The flow's frames still in the ring, oldest first: per side the newest ones whose bytes fit in half the per-flow
    /// size (rare path: allocates).
    /// </summary>
    public List<RecordedFrame> Recent(Flow flow)
    {
        var frames = new List<RecordedFrame>();
        if (_ring is not { } ring)
            return frames;
        Span<int> room = [_bytesPerSide, _bytesPerSide];
        long oldest = _written - _capacity;
        for (long position = flow.LastRecorded; position >= 0 && position >= oldest && (room[0] > 0 || room[1] > 0);)
        {
            int at = (int)(position % _capacity);
            Header header = Unsafe.ReadUnaligned<Header>(ref ring[at]);
            ref int left = ref room[header.Side == Side.Primary ? 0 : 1];
            if (header.Length <= left)
            {
                left -= header.Length;
                frames.Add(new RecordedFrame(header.Side, TimeSpan.FromTicks(header.Ticks), ring.AsSpan(at + HeaderSize, header.Length).ToArray()));
            }
            else
            {
                // Only the newest frames of a side: once one does not fit, the older ones are not kept either.
                left = 0;
            }
            position = header.Previous;
        }
        frames.Reverse();
        return frames;
    }

    // The flow's previous frame (absolute position, -1 none), when this one arrived, its length and side.
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Header(long Previous, long Ticks, int Length, Side Side);
}
