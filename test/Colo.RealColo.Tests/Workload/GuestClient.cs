using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Colo.RealColo.Tests.Guest;
using Colo.RealColo.Tests.Network;

namespace Colo.RealColo.Tests.Workload;

/// <summary>The client side of the workload, on sockets inside the test's namespace: plain HTTP/1.0 GETs and the line echo.</summary>
internal sealed class GuestClient(NamespaceSockets sockets)
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    /// <summary>GET <paramref name="path"/> and read to the end; the time runs from connect to the server's close.</summary>
    public async Task<HttpResponse> GetAsync(string path)
    {
        using var timeout = new CancellationTokenSource(RequestTimeout);
        var clock = Stopwatch.StartNew();
        using var socket = await sockets.ConnectAsync(GuestImage.Address, GuestImage.HttpPort, timeout.Token).ConfigureAwait(false);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\nHost: {GuestImage.Address}\r\n\r\n"), timeout.Token).ConfigureAwait(false);
        using var received = new MemoryStream(GuestImage.BlobLength + 1024);
        var buffer = new byte[256 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
            received.Write(buffer, 0, read);
        var seconds = clock.Elapsed.TotalSeconds;
        var all = received.ToArray();
        var headerEnd = all.AsSpan().IndexOf("\r\n\r\n"u8);
        if (headerEnd < 0)
            return new HttpResponse($"no HTTP header in {all.Length} bytes", [], seconds);
        var head = Encoding.ASCII.GetString(all, 0, headerEnd);
        var statusLine = head.Split("\r\n")[0];
        return new HttpResponse(statusLine, all[(headerEnd + 4)..], seconds);
    }

    /// <summary>A connection to the guest's line echo.</summary>
    public Task<Socket> ConnectEchoAsync(CancellationToken cancellation) =>
        sockets.ConnectAsync(GuestImage.Address, GuestImage.EchoPort, cancellation);

    public Task<Socket> ListenForGuestAsync() => sockets.ListenAsync(GuestImage.HostAddress, GuestImage.DialBackPort);
}
