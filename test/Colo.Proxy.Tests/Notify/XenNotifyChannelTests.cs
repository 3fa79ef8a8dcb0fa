using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Colo.Proxy.Checkpoints;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Framing;
using Colo.Proxy.Notify;
using Colo.Proxy.Tests.EndToEnd;
using Colo.Proxy.Tests.Qemu;
using Colo.TestSupport.Frames;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Colo.Proxy.Tests.Notify;

/// <summary>The Xen notify channel as libxl sees it: BE32-framed ASCII, never a vnet word.</summary>
public class XenNotifyChannelTests
{
    private sealed class Events : ICheckpointEvents
    {
        public ConcurrentQueue<string> Log { get; } = new();

        public void CheckpointCompleted(string channel) => Log.Enqueue("completed:" + channel);

        public void FailoverRequested(string channel, string reason) => Log.Enqueue("failover");

        public void ChannelError(string channel, string message) => Log.Enqueue("error");

        public void PeerChanged(string channel, bool connected) => Log.Enqueue(connected ? "connected" : "disconnected");
    }

    private static async Task<(XenNotifyChannel Channel, Events Events, FramedPeer Xen)> StartAsync(ILogger? logger = null, TimeProvider? time = null)
    {
        var endpoint = new SocketEndpoint("notify_dev", EndpointSpec.Parse("tcp:127.0.0.1:0,server"), new EndpointOptions(), NullLogger.Instance);
        var channel = new XenNotifyChannel(endpoint, logger ?? NullLogger.Instance, time);
        var events = new Events();
        await channel.StartAsync(events, CancellationToken.None);
        FramedPeer xen = await FramedPeer.ConnectAsync(channel.LocalEndPoint!);
        await Wait.UntilAsync(() => channel.IsConnected, "libxl connected");
        return (channel, events, xen);
    }

    private static string Text(byte[] frame) => Encoding.ASCII.GetString(frame);

    [Fact]
    public async Task ProxyInit_RepliesGetXenInit()
    {
        var (channel, _, xen) = await StartAsync();
        await using (channel)
        await using (xen)
        {
            await xen.SendAsync(Payloads.Ascii("COLO_USERSPACE_PROXY_INIT"));

            Assert.Equal("COLO_COMPARE_GET_XEN_INIT", Text(await xen.ReceiveAsync()));
        }
    }

    [Fact]
    public async Task ColoCheckpoint_SplitByteByByte_ReportsCompletion()
    {
        var (channel, events, xen) = await StartAsync();
        await using (channel)
        await using (xen)
        {
            foreach (byte b in FrameCodec.Encode(Payloads.Ascii("COLO_CHECKPOINT")))
                await xen.SendRawAsync([b]);

            await Wait.UntilAsync(() => events.Log.Contains("completed:xen-notify"), "the completion");
        }
    }

    [Fact]
    public async Task UnsupportedInstruction_IgnoredAndConnectionKept()
    {
        var (channel, events, xen) = await StartAsync();
        await using (channel)
        await using (xen)
        {
            await xen.SendAsync(Payloads.Ascii("COLO_SOMETHING_NEW"));
            await xen.SendAsync(Payloads.Ascii("COLO_USERSPACE_PROXY_INIT"));

            Assert.Equal("COLO_COMPARE_GET_XEN_INIT", Text(await xen.ReceiveAsync()));
            Assert.DoesNotContain("disconnected", events.Log);
        }
    }

    [Fact]
    public async Task UnsupportedInstructions_LoggedAtDebugOncePerMinute()
    {
        var logger = new TestOutputLogger();
        var time = new FakeTimeProvider();
        var (channel, _, xen) = await StartAsync(logger, time);
        await using (channel)
        await using (xen)
        {
            for (int i = 0; i < 5; i++)
                await xen.SendAsync(Payloads.Ascii("COLO_SOMETHING_NEW"));
            // A known instruction after them: once answered, the unknown ones before it were handled.
            await xen.SendAsync(Payloads.Ascii("COLO_USERSPACE_PROXY_INIT"));
            await xen.ReceiveAsync();
            time.Advance(TimeSpan.FromMinutes(1));
            await xen.SendAsync(Payloads.Ascii("COLO_SOMETHING_NEW"));
            await xen.SendAsync(Payloads.Ascii("COLO_USERSPACE_PROXY_INIT"));
            await xen.ReceiveAsync();

            var unsupported = logger.Entries.Snapshot().Where(e => e.EventId == 3204).ToArray();
            Assert.Equal(2, unsupported.Length);
            Assert.All(unsupported, e => Assert.Equal(LogLevel.Debug, e.Level));
            Assert.Contains("(4 more since the last line not logged)", unsupported[1].Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RequestCheckpoint_Connected_SendsDoCheckpointWithoutVnetWord()
    {
        var (channel, _, xen) = await StartAsync();
        await using (channel)
        await using (xen)
        {
            Assert.True(await channel.RequestCheckpointAsync("divergence", CancellationToken.None));

            Assert.Equal("DO_CHECKPOINT", Text(await xen.ReceiveAsync()));
        }
    }

    [Fact]
    public async Task RequestCheckpoint_NoPeer_ReturnsFalse()
    {
        var endpoint = new SocketEndpoint("notify_dev", EndpointSpec.Parse("tcp:127.0.0.1:0,server"), new EndpointOptions(), NullLogger.Instance);
        await using var channel = new XenNotifyChannel(endpoint, NullLogger.Instance);
        await channel.StartAsync(new Events(), CancellationToken.None);

        Assert.False(await channel.RequestCheckpointAsync("timeout", CancellationToken.None));
    }

    [Fact]
    public async Task NotifyOverProxy_VnetSupportOn_NotifyFramesStillWithoutVnetWord()
    {
        await using var proxy = await ProxyHarness.StartAsync(o => o.VnetHdrSupport = true);
        await using var xen = await FramedPeer.ConnectAsync(proxy.EndPointOf("notify_dev"));

        await xen.SendAsync(Payloads.Ascii("COLO_USERSPACE_PROXY_INIT"));

        Assert.Equal("COLO_COMPARE_GET_XEN_INIT", Text(await xen.ReceiveAsync()));
        _ = IPAddress.Loopback;
    }
}
