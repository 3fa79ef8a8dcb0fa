using System.Buffers;
using System.Text;
using Colo.Proxy.Control;

namespace Colo.Proxy.Tests.Control;

public class ControlMessageFramingTests
{
    private static (ControlMessageStatus Status, string Message, string Remaining, bool Skipping) Read(string input, bool skipping = false)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(input));
        ControlMessageStatus status = ControlMessageReader.TryRead(ref buffer, ref skipping, out ReadOnlySequence<byte> message);
        return (status, Encoding.UTF8.GetString(message.ToArray()), Encoding.UTF8.GetString(buffer.ToArray()), skipping);
    }

    [Theory]
    [InlineData("{\"execute\":\"a\"}", "{\"execute\":\"a\"}", "")]
    [InlineData("  \r\n{\"a\":{\"b\":[1,{}]}}{\"c\":1}", "{\"a\":{\"b\":[1,{}]}}", "{\"c\":1}")]
    [InlineData("{\"s\":\"}{\\\"\"} ", "{\"s\":\"}{\\\"\"}", " ")]
    public void TryRead_CompleteObject_SlicesIt(string input, string expected, string rest)
    {
        var result = Read(input);

        Assert.Equal(ControlMessageStatus.Message, result.Status);
        Assert.Equal(expected, result.Message);
        Assert.Equal(rest, result.Remaining);
    }

    [Fact]
    public void TryRead_IncompleteObject_WaitsForMore()
    {
        Assert.Equal(ControlMessageStatus.Incomplete, Read("{\"execute\": \"query-").Status);
    }

    [Fact]
    public void TryRead_NotAnObject_SkipsLine()
    {
        var result = Read("hello\n{}");

        Assert.Equal(ControlMessageStatus.Malformed, result.Status);
        Assert.Equal("{}", result.Remaining);
        Assert.False(result.Skipping);
    }

    [Theory]
    [InlineData("{\"execute\" \"query-status\"")]
    [InlineData("{\"execute\": }")]
    [InlineData("{'execute': 1")]
    public void TryRead_MalformedWithoutClosingBrace_ReportedAtOnce(string input)
    {
        var result = Read(input);

        Assert.Equal(ControlMessageStatus.Malformed, result.Status);
        Assert.True(result.Skipping);
        Assert.Equal("", result.Remaining);
    }

    [Fact]
    public void TryRead_RestOfMalformedLineArrivesLater_SkippedWithoutAnotherError()
    {
        var result = Read(" more garbage}\n{\"execute\":\"quit\"}", skipping: true);

        Assert.Equal(ControlMessageStatus.Message, result.Status);
        Assert.Equal("{\"execute\":\"quit\"}", result.Message);
    }
}
