using Colo.Compare;
using Colo.Packets.Frames;
using Colo.Proxy.Qemu;
using Colo.Proxy.Tests.EndToEnd;
using Colo.TestSupport.Frames;
using Microsoft.Extensions.Logging.Abstractions;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Proxy.Tests.Qemu;

/// <summary>
/// The whole QEMU/KVM loop through the proxy: a divergence makes ColoProxy write <c>x-checkpoint-delay</c> over QMP;
/// QEMU's <c>STOP</c> / <c>MIGRATION_PASS</c> / <c>RESUME</c> (as recorded on a real COLO pair) flushes the held frames
/// to outdev; a user's stop/cont flushes nothing; <c>COLO_EXIT</c> fails over. Real sockets throughout.
/// </summary>
public class QemuProxyIntegrationTests
{
    private const string Guest = "10.0.0.2";
    private const string Client = "10.0.0.1";
    private static readonly FlowAddress GuestToClient = FlowAddress.Between(Guest, Client);

    private static byte[] Segment(uint seq, string payload, TcpFlags flags = TcpFlags.Ack | TcpFlags.Psh) =>
        Tcp(seq, Ascii(payload), flags, acknowledgment: 5000, sourcePort: 80, destinationPort: 40000, address: GuestToClient);

    private static string Event(string name, string? data = null) =>
        "{\"timestamp\": {\"seconds\": 1795631884, \"microseconds\": 299898}, \"event\": \"" + name + "\""
        + (data is null ? "" : ", \"data\": " + data) + "}";

    [Fact]
    public async Task Serve_QemuQmpChannel_FlushesHeldFramesExactlyAtCheckpointCompletion()
    {
        await using var qmp = new ScriptedQmpServer();
        var channel = new QemuCheckpointChannel(
            new QemuCheckpointOptions { Endpoint = qmp.Endpoint, CheckpointTimeout = TimeSpan.FromSeconds(30) },
            NullLogger.Instance, TimeProvider.System);
        await using var proxy = await ProxyHarness.StartAsync(tcp: true, notify: false, channels: [channel]);
        await qmp.WaitConnectedAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        await Wait.UntilAsync(() => channel.IsConnected, "the QMP session to be up");

        byte[] synAck = Segment(100, "", TcpFlags.Syn | TcpFlags.Ack);
        await primary.SendAsync(synAck);
        await secondary.SendAsync(synAck);
        Assert.Equal(synAck, await outdev.ReceiveAsync());

        // A divergence: the primary's segment is held and a checkpoint forced over QMP.
        byte[] held = Segment(101, "hello");
        await primary.SendAsync(held);
        await secondary.SendAsync(Segment(101, "hellp"));
        await qmp.Commands.WaitAsync(c => c.Any(x => x.Name == "migrate-set-parameters"), "migrate-set-parameters");
        Assert.Contains("x-checkpoint-delay", qmp.Commands.Snapshot().Last(x => x.Name == "migrate-set-parameters").Arguments, StringComparison.Ordinal);

        // A user's stop/cont is not a checkpoint: nothing is flushed.
        await qmp.SendManyAsync([Event("STOP"), Event("RESUME")]);
        await Wait.UntilAsync(() => channel.UserStopResumes == 1, "the stop/cont to be handled");
        EngineCounters counters = await proxy.Host.GetCountersAsync();
        Assert.Equal(1, counters.PrimaryQueued);
        Assert.Equal(0, counters.CheckpointsCompleted);

        // QEMU's checkpoint: the held frame goes out at RESUME.
        await qmp.SendManyAsync([Event("STOP"), Event("MIGRATION_PASS", "{\"pass\": 3}")]);
        await qmp.SendAsync(Event("RESUME"));
        Assert.Equal(held, await outdev.ReceiveAsync());
        counters = await proxy.Host.GetCountersAsync();
        Assert.Equal(0, counters.PrimaryQueued);
        Assert.Equal(1, counters.CheckpointsCompleted);
        Assert.True(counters.IsBalanced);

        // The secondary now runs from the primary's state: new equal bytes are compared and released.
        byte[] next = Segment(106, " world");
        await secondary.SendAsync(Segment(106, " world"));
        await primary.SendAsync(next);
        Assert.Equal(next, await outdev.ReceiveAsync());

        // COLO_EXIT: failover, the primary's frames pass uncompared from now on.
        await qmp.SendAsync(Event("COLO_EXIT", "{\"mode\": \"primary\", \"reason\": \"error\"}"));
        await Wait.UntilAsync(() => channel.Failovers == 1, "failover");
        byte[] afterFailover = Segment(112, "no secondary needed");
        await primary.SendAsync(afterFailover);
        Assert.Equal(afterFailover, await outdev.ReceiveAsync());
        counters = await proxy.Host.GetCountersAsync();
        Assert.Equal(1, counters.Released(ReleaseReason.Failover));
        Assert.True(counters.IsBalanced);
    }
}
