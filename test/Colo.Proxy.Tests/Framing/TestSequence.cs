using System.Buffers;

namespace Colo.Proxy.Tests.Framing;

/// <summary>Builds multi-segment sequences to test frames split across reads.</summary>
internal static class TestSequence
{
    public static ReadOnlySequence<byte> Create(params byte[][] parts)
    {
        Segment? first = null, last = null;
        foreach (byte[] part in parts)
        {
            var segment = new Segment(part);
            if (first is null)
                first = segment;
            else
                last!.Append(segment);
            last = segment;
        }
        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data) => Memory = data;

        public void Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
        }
    }
}
