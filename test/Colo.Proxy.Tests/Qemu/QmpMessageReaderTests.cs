using System.Buffers;
using System.Text;
using Colo.Proxy.Qemu;

namespace Colo.Proxy.Tests.Qemu;

public class QmpMessageReaderTests
{
    private static List<string> ReadAll(ref ReadOnlySequence<byte> buffer)
    {
        var messages = new List<string>();
        while (QmpMessageReader.TryReadMessage(ref buffer, out ReadOnlySequence<byte> message))
            messages.Add(Encoding.UTF8.GetString(message));
        return messages;
    }

    /// <summary>A sequence made of one segment per chunk, as a pipe delivers data read in pieces.</summary>
    private static ReadOnlySequence<byte> Segmented(string text, int chunk)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var first = new Segment(bytes.AsMemory(0, Math.Min(chunk, bytes.Length)), 0);
        Segment last = first;
        for (int offset = chunk; offset < bytes.Length; offset += chunk)
            last = last.Append(bytes.AsMemory(offset, Math.Min(chunk, bytes.Length - offset)));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    [Fact]
    public void TryReadMessage_SeveralObjectsInOneRead_ReturnsEachInOrder()
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes("{\"event\": \"STOP\"}\r\n{\"return\": {}, \"id\": 1}\r\n"));

        List<string> messages = ReadAll(ref buffer);

        Assert.Equal(["""{"event": "STOP"}""", """{"return": {}, "id": 1}"""], messages);
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(64)]
    public void TryReadMessage_ObjectSplitAcrossSegments_ReadsIt(int chunk)
    {
        const string Text = """{"timestamp": {"seconds": 1795631884, "microseconds": 301442}, "event": "MIGRATION_PASS", "data": {"pass": 3}}""" + "\r\n";
        ReadOnlySequence<byte> buffer = Segmented(Text + Text, chunk);

        List<string> messages = ReadAll(ref buffer);

        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Equal(Text.TrimEnd(), m));
    }

    [Fact]
    public void TryReadMessage_IncompleteObject_ReturnsFalseAndKeepsIt()
    {
        var buffer = new ReadOnlySequence<byte>("  {\"event\": \"RES"u8.ToArray());

        bool read = QmpMessageReader.TryReadMessage(ref buffer, out _);

        Assert.False(read);
        Assert.Equal("{\"event\": \"RES", Encoding.UTF8.GetString(buffer));
    }

    [Fact]
    public void TryReadMessage_PrettyPrintedObject_ReadsWholeObject()
    {
        var buffer = new ReadOnlySequence<byte>("{\n    \"return\": {\n        \"running\": true\n    },\n    \"id\": 4\n}\n"u8.ToArray());

        List<string> messages = ReadAll(ref buffer);

        Assert.Single(messages);
        Assert.Contains("\"id\": 4", messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadMessage_NotAnObject_ThrowsProtocolError()
    {
        var buffer = new ReadOnlySequence<byte>("hello\n"u8.ToArray());

        QmpProtocolException ex = Assert.Throws<QmpProtocolException>(() => QmpMessageReader.TryReadMessage(ref buffer, out _));
        Assert.Contains("0x68", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadMessage_InvalidJson_ThrowsProtocolError()
    {
        var buffer = new ReadOnlySequence<byte>("{\"event\" \"STOP\"}\n"u8.ToArray());

        Assert.Throws<QmpProtocolException>(() => QmpMessageReader.TryReadMessage(ref buffer, out _));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
