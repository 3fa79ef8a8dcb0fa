using Colo.Proxy.Qemu;

namespace Colo.Proxy.Tests.Qemu;

public class QemuCheckpointOptionsTests
{
    [Theory]
    [InlineData("unix:/run/colo-proxy/qmp-proxy.sock")]
    [InlineData("tcp:127.0.0.1:4445")]
    [InlineData("tcp:[::1]:4445")]
    [InlineData("tcp:primary-host:4445")]
    public void Validate_GoodEndpoint_Passes(string endpoint)
    {
        var options = new QemuCheckpointOptions { Endpoint = endpoint };

        options.Validate();
    }

    [Theory]
    [InlineData("")]
    [InlineData("unix:")]
    [InlineData("tcp:127.0.0.1")]
    [InlineData("tcp:127.0.0.1:0")]
    [InlineData("tcp:127.0.0.1:70000")]
    [InlineData("/run/qmp.sock")]
    [InlineData("unix:/run/qmp.sock,server")]
    public void Validate_BadEndpoint_ThrowsNamingTheOption(string endpoint)
    {
        var options = new QemuCheckpointOptions { Endpoint = endpoint };

        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("--qemu-qmp", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(0.5)]
    [InlineData(1500.25)]
    public void Validate_BadCheckpointDelay_Throws(double milliseconds)
    {
        var options = new QemuCheckpointOptions { Endpoint = "unix:/tmp/q.sock", CheckpointDelay = TimeSpan.FromMilliseconds(milliseconds) };

        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("--qemu-checkpoint-delay", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NonPositiveCheckpointTimeout_Throws()
    {
        var options = new QemuCheckpointOptions { Endpoint = "unix:/tmp/q.sock", CheckpointTimeout = TimeSpan.Zero };

        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("--qemu-checkpoint-timeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_AreValidWithAnEndpoint()
    {
        var options = new QemuCheckpointOptions { Endpoint = "unix:/tmp/q.sock" };

        options.Validate();

        Assert.Null(options.CheckpointDelay);
        Assert.False(options.TrustResume);
        Assert.Equal(TimeSpan.FromSeconds(10), options.CheckpointTimeout);
    }
}
