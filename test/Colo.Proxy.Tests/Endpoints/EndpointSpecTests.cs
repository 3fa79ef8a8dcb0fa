using Colo.Proxy.Endpoints;
using Colo.Proxy.Hosting;

namespace Colo.Proxy.Tests.Endpoints;

public class EndpointSpecTests
{
    [Theory]
    [InlineData("unix:/run/colo-proxy/p.sock", EndpointKind.Unix, "/run/colo-proxy/p.sock", "", 0, false)]
    [InlineData("unix:/run/colo-proxy/p.sock,server", EndpointKind.Unix, "/run/colo-proxy/p.sock", "", 0, true)]
    [InlineData("tcp:127.0.0.1:9003", EndpointKind.Tcp, "", "127.0.0.1", 9003, false)]
    [InlineData("tcp:127.0.0.1:9003,server=on", EndpointKind.Tcp, "", "127.0.0.1", 9003, true)]
    [InlineData("tcp:[::1]:9003,server", EndpointKind.Tcp, "", "::1", 9003, true)]
    [InlineData("tcp:primary-host:9003", EndpointKind.Tcp, "", "primary-host", 9003, false)]
    [InlineData("unix:/run/colo-proxy/p.sock,server=on,wait=off", EndpointKind.Unix, "/run/colo-proxy/p.sock", "", 0, true)]
    [InlineData("tcp:127.0.0.1:9003,server,nowait", EndpointKind.Tcp, "", "127.0.0.1", 9003, true)]
    public void TryParse_Valid_Parses(string text, EndpointKind kind, string path, string host, int port, bool server)
    {
        Assert.True(EndpointSpec.TryParse(text, out EndpointSpec? spec, out _));

        Assert.Equal(new EndpointSpec(kind, path, host, port, server), spec);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("udp:1.2.3.4:5", "must start with 'unix:' or 'tcp:'")]
    [InlineData("unix:", "no path")]
    [InlineData("tcp:127.0.0.1", "tcp:HOST:PORT")]
    [InlineData("tcp:127.0.0.1:99999", "invalid port")]
    [InlineData("unix:/x,server=on,wait=on", "wait=on is not supported")]
    [InlineData("unix:/x,reconnect=1", "unknown flag 'reconnect=1'")]
    public void TryParse_Invalid_SaysWhy(string text, string expected)
    {
        Assert.False(EndpointSpec.TryParse(text, out _, out string? error));

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_RoundTrips()
    {
        foreach (string text in new[] { "unix:/a/b,server", "tcp:127.0.0.1:5,server", "tcp:[::1]:7" })
            Assert.Equal(text, EndpointSpec.Parse(text).ToString());
    }

    [Fact]
    public void Validate_SameSocketTwice_NamesBothOptions()
    {
        var options = new ProxyOptions
        {
            PrimaryIn = EndpointSpec.Parse("unix:/tmp/x.sock,server"),
            SecondaryIn = EndpointSpec.Parse("unix:/tmp/x.sock,server"),
            Outdev = EndpointSpec.Parse("tcp:127.0.0.1:9000,server"),
        };

        string error = Assert.Single(options.Validate());

        Assert.Contains("--secondary-in", error, StringComparison.Ordinal);
        Assert.Contains("--primary-in", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingAndRemote_ReportsEach()
    {
        var options = new ProxyOptions
        {
            PrimaryIn = EndpointSpec.Parse("tcp:0.0.0.0:9000,server"),
            SecondaryIn = EndpointSpec.Parse("tcp:127.0.0.1:9001,server"),
        };
        options.Compare.MaxQueueSize = 0;

        IReadOnlyList<string> errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("--outdev is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("--allow-remote", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--max-queue-size", StringComparison.Ordinal));
    }
}
