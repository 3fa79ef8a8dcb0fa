using System.Net;
using System.Net.Sockets;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Tests.EndToEnd;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colo.Proxy.Tests.Endpoints;

public class SocketEndpointTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Bind_UnixServer_SocketIs0600AndRemovedOnDispose()
    {
        string path = Path.Combine(ProxyHarness.NewDirectory(), "e.sock");
        var endpoint = new SocketEndpoint("primary_in", EndpointSpec.Parse($"unix:{path},server"), new EndpointOptions(), NullLogger.Instance);

        endpoint.Bind();
        UnixFileMode mode = File.GetUnixFileMode(path);
        await endpoint.DisposeAsync();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.False(File.Exists(path));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Bind_UnixServerWithSocketMode0660_GroupMayConnect()
    {
        string path = Path.Combine(ProxyHarness.NewDirectory(), "m.sock");
        var options = new EndpointOptions { SocketMode = (UnixFileMode)0x1B0 };
        var endpoint = new SocketEndpoint("primary_in", EndpointSpec.Parse($"unix:{path},server"), options, NullLogger.Instance);

        endpoint.Bind();
        UnixFileMode mode = File.GetUnixFileMode(path);
        await endpoint.DisposeAsync();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, mode);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Bind_UnixServerWithSocketGroup_SocketBelongsToTheGroup()
    {
        Assert.SkipUnless(Environment.UserName == "root", "giving a socket another group needs root; not run as " + Environment.UserName);
        string path = Path.Combine(ProxyHarness.NewDirectory(), "g.sock");
        var options = new EndpointOptions { SocketGroup = "nogroup" };
        var endpoint = new SocketEndpoint("primary_in", EndpointSpec.Parse($"unix:{path},server"), options, NullLogger.Instance);

        endpoint.Bind();
        var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%G", path]) { RedirectStandardOutput = true })!;
        string group = (await stat.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken)).Trim();
        await stat.WaitForExitAsync(TestContext.Current.CancellationToken);
        await endpoint.DisposeAsync();

        Assert.Equal("nogroup", group);
    }

    [Fact]
    public void Bind_UnknownSocketGroup_ThrowsNamingIt()
    {
        string path = Path.Combine(ProxyHarness.NewDirectory(), "u.sock");
        var options = new EndpointOptions { SocketGroup = "no-such-group-here" };
        var endpoint = new SocketEndpoint("primary_in", EndpointSpec.Parse($"unix:{path},server"), options, NullLogger.Instance);

        var ex = Assert.Throws<ArgumentException>(endpoint.Bind);

        Assert.Contains("no group 'no-such-group-here'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bind_NonLoopbackTcpWithoutAllowRemote_Throws()
    {
        var endpoint = new SocketEndpoint("outdev", EndpointSpec.Parse("tcp:0.0.0.0:0,server"), new EndpointOptions(), NullLogger.Instance);

        var ex = Assert.Throws<InvalidOperationException>(endpoint.Bind);

        Assert.Contains("--allow-remote", ex.Message, StringComparison.Ordinal);
        await endpoint.DisposeAsync();
    }

    [Fact]
    public async Task RunAsync_NewPeer_ReplacesTheConnectedOne()
    {
        string path = Path.Combine(ProxyHarness.NewDirectory(), "r.sock");
        await using var endpoint = new SocketEndpoint("primary_in", EndpointSpec.Parse($"unix:{path},server"), new EndpointOptions(), NullLogger.Instance);
        using var cts = new CancellationTokenSource();
        int served = 0;
        Task running = endpoint.RunAsync(async (connection, ct) =>
        {
            Interlocked.Increment(ref served);
            while (!(await connection.Input.ReadAsync(ct)).IsCompleted)
            {
            }
        }, cts.Token);

        await using var first = await FramedPeer.ConnectAsync(new UnixDomainSocketEndPoint(path));
        await Wait.UntilAsync(() => served == 1, "first peer served");
        await using var second = await FramedPeer.ConnectAsync(new UnixDomainSocketEndPoint(path));

        Assert.True(await first.WaitClosedAsync());
        await Wait.UntilAsync(() => served == 2 && endpoint.IsConnected, "second peer served");
        await cts.CancelAsync();
        await running.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task DisposeAsync_SuccessorBoundTheSamePath_LeavesTheSuccessorsSocket()
    {
        // A slow instance's file was found stale, removed, and bound again by its successor.
        string path = Path.Combine(ProxyHarness.NewDirectory(), "shared.sock");
        var first = new SocketEndpoint("primary_in", EndpointSpec.Parse($"unix:{path},server"), new EndpointOptions(), NullLogger.Instance);
        first.Bind();
        File.Delete(path);
        await using var successor = new SocketEndpoint("primary_in", EndpointSpec.Parse($"unix:{path},server"), new EndpointOptions(), NullLogger.Instance);
        successor.Bind();

        await first.DisposeAsync();

        Assert.True(File.Exists(path));
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await probe.ConnectAsync(new UnixDomainSocketEndPoint(path), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Bind_Ipv4MappedLoopback_ListensOnTheIpv4Address()
    {
        await using var endpoint = new SocketEndpoint("outdev", EndpointSpec.Parse("tcp:[::ffff:127.0.0.1]:0,server"), new EndpointOptions(), NullLogger.Instance);

        endpoint.Bind();

        var bound = Assert.IsType<IPEndPoint>(endpoint.LocalEndPoint);
        Assert.Equal(IPAddress.Loopback, bound.Address);
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await probe.ConnectAsync(bound, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Bind_HostNameWithAllowRemote_ListensOnAnAddressOfTheName()
    {
        string host = Dns.GetHostName();
        IPAddress[] addresses = Dns.GetHostAddresses(host);
        Assert.SkipWhen(addresses.Length == 0, "the host name does not resolve here");
        await using var endpoint = new SocketEndpoint("outdev", EndpointSpec.Parse($"tcp:{host}:0,server"), new EndpointOptions { AllowRemote = true }, NullLogger.Instance);

        endpoint.Bind();

        var bound = Assert.IsType<IPEndPoint>(endpoint.LocalEndPoint);
        Assert.Contains(bound.Address, addresses.Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a));
    }

    [Fact]
    public async Task Bind_HostNameThatDoesNotResolve_ThrowsNamingIt()
    {
        await using var endpoint = new SocketEndpoint("outdev", EndpointSpec.Parse("tcp:myhost.invalid:0,server"), new EndpointOptions { AllowRemote = true }, NullLogger.Instance);

        var ex = Assert.Throws<InvalidOperationException>(endpoint.Bind);

        Assert.Contains("myhost.invalid", ex.Message, StringComparison.Ordinal);
    }
}
