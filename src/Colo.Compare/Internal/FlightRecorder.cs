using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Colo.Compare.Internal;

/// <summary>
/// The flight recorder: every frame of both sides, appended to one byte ring, each frame after a small header that
/// links it to the same flow's previous frame. A flow keeps only where its newest frame is; its history is read by
/// walking that chain back until it leaves the ring, and cut to the per-flow size. The ring is as large as the flows
/// recording need (twice the per-flow size each, from 256 KiB), up to the budget: it doubles as flows start recording
/// and keeps what it held.
/// </summary>
/// <remarks>
/// One ring written front to back costs a frame copy to sequential addresses. The previous design (a fixed ring per
/// flow and side) had rings for budget / per-flow flows; once more flows were active, they took each other's rings on
/// nearly every frame and kept next to nothing, and with a ring for each of a thousand flows every frame was written
/// wherever its flow's ring was (a 64-byte flood then cost 1.6x the CPU per frame of the recorder off). Here every
/// flow's history is the newest ring's worth of all traffic (up to <c>budget</c> bytes), at most <c>per-flow</c> of it for
/// one flow: a quiet flow beside a bulk one keeps less time back (16 MiB is about 130 ms at 1 Gbit/s, 256 KiB about
/// 2 ms), a thousand busy flows keep 16 KiB each where the rings kept almost nothing.
/// <para>
/// Why the ring grows rather than starting at the budget: a ring larger than the core's cache is written to memory on
/// every frame (and evicts what the engine is about to compare). With one 1514-byte flow, serve spent 1.82 CPU-s per
/// million frames with a 16 MiB ring, 1.63 with 256 KiB and 1.41 with the recorder off (medians of four runs each),
/// while one flow's 64 KiB fit in 256 KiB many times over.
/// </para>
/// </remarks>
internal sealed class FlightRecorder
{
    // A Header before each frame; frames start 8-byte aligned.
    private static readonly int HeaderSize = Unsafe.SizeOf<Header>();

    /// <summary>The smallest ring (unless the budget is smaller): well inside a core's cache.</summary>
    public const int MinimumRingBytes = 256 * 1024;

    private readonly int _bytesPerFlow;
    private readonly int _bytesPerSide;
    private readonly int _budget;
    // The ring's size now: the budget halved until it is about MinimumRingBytes, doubled as flows start recording, so
    // each size is a multiple of the one before (a frame that did not straddle the old end cannot straddle the new).
    private int _capacity;
    private byte[]? _ring;
    // Absolute position of the next frame: every byte in [Oldest, _written) is intact.
    private long _written;
    // Where the ring's history starts since it last grew (what the smaller ring had overwritten is not there).
    private long _validFrom;
    // _written's place in the ring (kept apart so that appending divides nothing).
    private int _at;
    // Flows the engine tracks that have recorded a frame.
    private int _recordingFlows;

    public FlightRecorder(int bytesPerFlow, long budgetBytes)
    {
        _bytesPerFlow = bytesPerFlow;
        _bytesPerSide = bytesPerFlow / 2;
        _budget = _bytesPerSide == 0 ? 0 : (int)Math.Min(budgetBytes & ~7L, Array.MaxLength & ~7);
        _capacity = _budget;
        while (_capacity / 2 >= MinimumRingBytes && _capacity % 16 == 0)
            _capacity /= 2;
    }

    public bool Enabled => _budget > HeaderSize;

    /// <summary>Bytes the ring holds now (allocated on the first frame recorded; grows up to the budget).</summary>
    public long AllocatedBytes => _ring?.Length ?? 0;

    private long Oldest => Math.Max(_written - _capacity, _validFrom);

    /// <summary>Keeps <paramref name="frame"/> as <paramref name="flow"/>'s newest; one larger than the ring is not kept.</summary>
    public void Append(Flow flow, Side side, ReadOnlySpan<byte> frame, TimeSpan time)
    {
        if (flow.LastRecorded < 0)
            StartRecording();
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

    /// <summary>The engine forgot <paramref name="flow"/>: it no longer counts towards the ring's size (the ring does not shrink).</summary>
    public void Forget(Flow flow)
    {
        if (flow.LastRecorded >= 0)
        {
            _recordingFlows--;
            flow.LastRecorded = -1;
        }
    }

    // A flow's first frame (or first since it was forgotten): grows the ring if the flows recording need more of it.
    private void StartRecording()
    {
        _recordingFlows++;
        long wanted = 2L * _recordingFlows * _bytesPerFlow;
        if (wanted <= _capacity || _capacity == _budget)
            return;
        int capacity = _capacity;
        // Each size is the budget halved a whole number of times, so doubling lands on the budget, never past it.
        while (capacity < wanted && capacity < _budget)
            capacity *= 2;
        Grow(capacity);
    }

    /// <summary>Moves what the ring holds to a ring <paramref name="capacity"/> large (a multiple of the current size), each byte to the same absolute position.</summary>
    private void Grow(int capacity)
    {
        if (_ring is { } old)
        {
            byte[] ring = new byte[capacity];
            long from = Oldest;
            for (long position = from; position < _written;)
            {
                int source = (int)(position % _capacity);
                int target = (int)(position % capacity);
                int count = (int)Math.Min(_written - position, Math.Min(_capacity - source, capacity - target));
                old.AsSpan(source, count).CopyTo(ring.AsSpan(target, count));
                position += count;
            }
            _ring = ring;
            _validFrom = from;
        }
        _capacity = capacity;
        _at = (int)(_written % capacity);
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
        long oldest = Oldest;
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
