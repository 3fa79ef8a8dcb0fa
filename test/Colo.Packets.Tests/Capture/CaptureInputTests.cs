using Colo.Packets.Capture;
using Colo.TestSupport.Capture;

namespace Colo.Packets.Tests.Capture;

public sealed class CaptureInputTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public void Ensure_NonSeekableStreamWithShortReads_ReadsSameRecordsAsFile(int maxReadLength)
    {
        // Arrange
        string path = CaptureFiles.SampleCapture("bulk_mss_same", "secondary.pcap");
        byte[] bytes = File.ReadAllBytes(path);
        List<(byte[] Data, long Timestamp, int OriginalLength, int InterfaceId, LinkType LinkType)> expected;
        using (CaptureReader direct = CaptureReader.Open(path))
        {
            expected = CaptureFiles.ReadAll(direct);
        }

        // Act
        using CaptureReader chunked = CaptureReader.Open(new TrickleStream(bytes, maxReadLength), "chunked");
        var actual = CaptureFiles.ReadAll(chunked);

        // Assert
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Data.AsSpan().SequenceEqual(actual[i].Data), $"record {i} differs");
            Assert.Equal(expected[i].Timestamp, actual[i].Timestamp);
        }

        Assert.Equal(bytes.Length, chunked.Position);
    }

    [Fact]
    public void Ensure_RecordLargerThanInitialBuffer_GrowsAndKeepsBytes()
    {
        // Arrange
        var data = new byte[CaptureInput.InitialBufferLength * 3];
        new Random(7).NextBytes(data);
        using var input = new CaptureInput(new TrickleStream(data, 10_000), leaveOpen: false);
        Assert.True(input.Ensure(100));
        input.Advance(100);

        // Act
        bool ensured = input.Ensure(data.Length - 100);

        // Assert
        Assert.True(ensured);
        Assert.True(input.Peek(data.Length - 100).SequenceEqual(data.AsSpan(100)));
        Assert.Equal(100, input.Offset);
    }

    [Fact]
    public void Ensure_PastEndOfStream_ReturnsFalseAndReportsEnd()
    {
        // Arrange
        using var input = new CaptureInput(new TrickleStream(new byte[10], 3), leaveOpen: false);
        input.Ensure(4);
        input.Advance(4);

        // Act
        bool ensured = input.Ensure(16);

        // Assert
        Assert.False(ensured);
        Assert.Equal(6, input.Available);
        Assert.Equal(10, input.EndOffset);
    }

    /// <summary>A non-seekable stream that returns at most a few bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int maxReadLength) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int length = Math.Min(Math.Min(count, maxReadLength), data.Length - _position);
            data.AsSpan(_position, length).CopyTo(buffer.AsSpan(offset));
            _position += length;
            return length;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
