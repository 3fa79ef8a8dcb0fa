using Colo.Cli.Serve;

namespace Colo.Cli.Tests.Serve;

/// <summary>Option values as an operator types them.</summary>
public class ServeValuesTests
{
    [Theory]
    [InlineData("16777216", 16777216L)]
    [InlineData("16M", 16L << 20)]
    [InlineData("16MiB", 16L << 20)]
    [InlineData("16mb", 16L << 20)]
    [InlineData("64k", 64L << 10)]
    [InlineData("64KiB", 64L << 10)]
    [InlineData("2G", 2L << 30)]
    [InlineData("1T", 1L << 40)]
    [InlineData("512B", 512L)]
    [InlineData("0", 0L)]
    public void Bytes_TakesWholeNumbersWithQemuSizeSuffixes(string text, long expected) =>
        Assert.Equal(expected, ServeValues.Bytes(text));

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("-1")]
    [InlineData("1.5M")]
    [InlineData("16X")]
    [InlineData("16 MiB extra")]
    public void Bytes_RefusesWhatIsNotASize_SayingWhatIs(string text)
    {
        FormatException error = Assert.Throws<FormatException>(() => ServeValues.Bytes(text));
        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("16777216, 16M, 16MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_RefusesASizeBeyondALong() =>
        Assert.Contains("'9999999T' is too large", Assert.Throws<FormatException>(() => ServeValues.Bytes("9999999T")).Message, StringComparison.Ordinal);

    [Fact]
    public void IntBytes_RefusesSizesBeyondAnInt()
    {
        Assert.Equal(64 << 20, ServeValues.IntBytes("64M"));
        Assert.Contains("too large", Assert.Throws<FormatException>(() => ServeValues.IntBytes("2G")).Message, StringComparison.Ordinal);
    }
}
