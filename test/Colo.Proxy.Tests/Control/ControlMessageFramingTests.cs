using System.Buffers;
using System.Text;
using Colo.Proxy.Control;

namespace Colo.Proxy.Tests.Control;

public class ControlMessageFramingTests
{
    [Theory]
    [InlineData("{\"execute\":\"a\"}", "{\"execute\":\"a\"}", "")]
    [InlineData("  \r\n{\"a\":{\"b\":[1,{}]}}{\"c\":1}", "{\"a\":{\"b\":[1,{}]}}", "{\"c\":1}")]
    [InlineData("{\"s\":\"}{\\\"\"} ", "{\"s\":\"}{\\\"\"}", " ")]
    public void TryReadMessage_CompleteObject_SlicesIt(string input, string expected, string rest)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(input));

        Assert.True(ControlSession.TryReadMessage(ref buffer, out ReadOnlySequence<byte> message, out bool garbage));

        Assert.False(garbage);
        Assert.Equal(expected, Encoding.UTF8.GetString(message.ToArray()));
        Assert.Equal(rest, Encoding.UTF8.GetString(buffer.ToArray()));
    }

    [Fact]
    public void TryReadMessage_IncompleteObject_ReturnsFalse()
    {
        var buffer = new ReadOnlySequence<byte>("{\"execute\": \"query-"u8.ToArray());

        Assert.False(ControlSession.TryReadMessage(ref buffer, out _, out _));
    }

    [Fact]
    public void TryReadMessage_NotAnObject_SkipsLineAsGarbage()
    {
        var buffer = new ReadOnlySequence<byte>("hello\n{}"u8.ToArray());

        Assert.True(ControlSession.TryReadMessage(ref buffer, out _, out bool garbage));

        Assert.True(garbage);
        Assert.Equal("{}", Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
