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
}
