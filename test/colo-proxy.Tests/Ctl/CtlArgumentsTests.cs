using Colo.Cli.Ctl;

namespace Colo.Cli.Tests.Ctl;

public class CtlArgumentsTests
{
    [Fact]
    public void Parse_KeyValuePairs_JsonValuesTypedOthersStrings()
    {
        var arguments = CtlArguments.Parse(["limit=5", "dst=10.0.0.1", "protocol=\"udp\""])!;

        Assert.Equal("""{"limit":5,"dst":"10.0.0.1","protocol":"udp"}""", arguments.ToJsonString());
    }

    [Fact]
    public void Parse_OneJsonObject_TakenAsIs()
    {
        Assert.Equal("""{"limit":5}""", CtlArguments.Parse(["""{"limit": 5}"""])!.ToJsonString());
    }

    [Theory]
    [InlineData("limit", "not key=value")]
    [InlineData("{\"a\":1,\"a\":2}", "not a JSON object")]
    public void Parse_Invalid_SaysWhy(string word, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => CtlArguments.Parse([word]));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Nothing_NoArguments()
    {
        Assert.Null(CtlArguments.Parse([]));
    }
}
