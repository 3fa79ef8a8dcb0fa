using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Colo.Compare;
using Colo.Packets.Frames;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Framing;
using Colo.Proxy.Hosting;
using Colo.TestSupport.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Proxy.Tests.EndToEnd;

/// <summary>The proxy on real sockets, driven only through the wire formats QEMU and libxl speak.</summary>
public class ProxyEndToEndTests
{
    private const string Guest = "10.0.0.2";
    private const string Client = "10.0.0.1";
    private static readonly FlowAddress GuestToClient = FlowAddress.Between(Guest, Client);
    private const uint Ack = 5000;

    private static byte[] Segment(uint seq, string payload, TcpFlags flags = TcpFlags.Ack | TcpFlags.Psh, string src = Guest, string dst = Client) =>
        Tcp(seq, Ascii(payload), flags, acknowledgment: Ack, sourcePort: 80, destinationPort: 40000, address: FlowAddress.Between(src, dst));

    /// <summary>Both replicas' SYN-ACK; returns after the primary's was released to outdev.</summary>
    private static async Task HandshakeAsync(FramedPeer primary, FramedPeer secondary, FramedPeer outdev, uint isn,
        string src = Guest, string dst = Client)
    {
        byte[] synAck = Segment(isn, "", TcpFlags.Syn | TcpFlags.Ack, src, dst);
        await primary.SendAsync(synAck);
        await secondary.SendAsync(synAck);
        Assert.Equal(synAck, await outdev.ReceiveAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Serve_SeedExample_ReleasesBothPrimarySegmentsInOrderWithoutCheckpoint(bool tcp)
    {
        await using var proxy = await ProxyHarness.StartAsync(tcp: tcp);
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        const uint isn = 1000;
        await HandshakeAsync(primary, secondary, outdev, isn);

        byte[] first = Segment(isn + 1, "123");
        byte[] second = Segment(isn + 4, "4567890");
        await primary.SendAsync(first);
        await primary.SendAsync(second);
        await secondary.SendAsync(Segment(isn + 1, "1234567890"));

        Assert.Equal(first, await outdev.ReceiveAsync());
        Assert.Equal(second, await outdev.ReceiveAsync());
        EngineCounters counters = await proxy.Host.GetCountersAsync();
        Assert.Equal(0, proxy.Host.Coordinator.RequestsSent);
        Assert.Equal(0, counters.SecondaryQueued);
        Assert.True(counters.IsBalanced);
    }

    [Fact]
    public async Task Serve_Mismatch_SendsOneDoCheckpointAndHoldsFrameUntilColoCheckpoint()
    {
        await using var proxy = await ProxyHarness.StartAsync(tcp: true);
        await using var notify = await proxy.ConnectAsync("notify_dev");
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        await Wait.UntilAsync(() => proxy.Host.Peers().All(p => p.Value), "all peers connected");
        const uint isn = 77;
        await HandshakeAsync(primary, secondary, outdev, isn);

        byte[] held = Segment(isn + 1, "hello");
        await primary.SendAsync(held);
        await secondary.SendAsync(Segment(isn + 1, "hellp"));

        Assert.Equal("DO_CHECKPOINT", System.Text.Encoding.ASCII.GetString(await notify.ReceiveAsync()));
        EngineCounters counters = await proxy.Host.GetCountersAsync();
        Assert.Equal(1, counters.PrimaryQueued);
        Assert.Equal(1, counters.Divergences);
        Assert.Equal(1, proxy.Host.Coordinator.RequestsSent);

        await notify.SendAsync(Ascii("COLO_CHECKPOINT"));
        Assert.Equal(held, await outdev.ReceiveAsync());
        counters = await proxy.Host.GetCountersAsync();
        Assert.Equal(0, counters.PrimaryQueued);
        Assert.Equal(1, proxy.Host.Coordinator.RequestsSent);
        Assert.False(proxy.Host.Coordinator.Outstanding);
        Assert.True(counters.IsBalanced);
    }

    [Fact]
    public async Task Serve_UdpDatagrams_ReleasedInPrimaryOrder()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        var datagrams = Enumerable.Range(0, 20).Select(i => Udp(Ascii("answer " + i), 53, 3333, GuestToClient, ipId: (ushort)i)).ToArray();

        foreach (byte[] d in datagrams)
            await primary.SendAsync(d);
        foreach (byte[] d in datagrams)
            await secondary.SendAsync(d);

        foreach (byte[] d in datagrams)
            Assert.Equal(d, await outdev.ReceiveAsync());
        Assert.Equal(0, proxy.Host.Coordinator.RequestsSent);
    }

    [Fact]
    public async Task Serve_Ipv6Tcp_ComparedAndReleased()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        const string guest6 = "fd00::2", client6 = "fd00::1";
        const uint isn = 5;
        await HandshakeAsync(primary, secondary, outdev, isn, guest6, client6);

        byte[] data = Segment(isn + 1, "over ipv6", src: guest6, dst: client6);
        await primary.SendAsync(data);
        await secondary.SendAsync(Segment(isn + 1, "over ipv6", src: guest6, dst: client6));

        Assert.Equal(data, await outdev.ReceiveAsync());
        Assert.Equal(0, proxy.Host.Coordinator.RequestsSent);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(0x7FFFFFFFu)]
    [InlineData(0xFFFFFFF5u)]
    [InlineData(0xFFFFFFFFu)]
    public async Task Serve_SequenceWrap_SegmentsAcrossWrapReleasedInOrder(uint isn)
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        await HandshakeAsync(primary, secondary, outdev, isn);

        var segments = new[] { "abcdefgh", "ijklmnop", "qrstuvwx" };
        uint seq = isn + 1;
        var sent = new List<byte[]>();
        foreach (string s in segments)
        {
            byte[] frame = Segment(seq, s);
            sent.Add(frame);
            await primary.SendAsync(frame);
            seq += (uint)s.Length;
        }
        await secondary.SendAsync(Segment(isn + 1, string.Concat(segments)));

        foreach (byte[] frame in sent)
            Assert.Equal(frame, await outdev.ReceiveAsync());
        Assert.Equal(0, proxy.Host.Coordinator.RequestsSent);
    }

    [Fact]
    public async Task Serve_PeerDiesMidFrame_PartialFrameDiscardedAndReconnectWorks()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        byte[] datagram = Udp(Ascii("whole"), 53, 3333, GuestToClient);

        await using (var dying = await proxy.ConnectAsync("primary_in"))
        {
            byte[] framed = FrameCodec.Encode(datagram);
            await dying.SendRawAsync(framed[..(framed.Length / 2)]);
        }
        await Wait.UntilAsync(() => proxy.Host.InputStatistics.Primary.ClosedMidFrame == 1, "the mid-frame close to be seen");

        await using var primary = await proxy.ConnectAsync("primary_in");
        await primary.SendAsync(datagram);
        await secondary.SendAsync(datagram);

        Assert.Equal(datagram, await outdev.ReceiveAsync());
        EngineCounters counters = await proxy.Host.GetCountersAsync();
        Assert.Equal(1, counters.PrimaryReceived);
        Assert.True(counters.IsBalanced);
    }

    [Fact]
    public async Task Serve_VnetLengthNoHeaderHas_ClosesTheConnectionAndSaysWhy()
    {
        await using var proxy = await ProxyHarness.StartAsync(o => o.VnetHdrSupport = true);

        // A peer without vnet_hdr_support: what is read as the vnet word is the frame's destination MAC.
        await using (var bad = await FramedPeer.ConnectAsync(proxy.EndPointOf("primary_in"), vnetHeader: false))
        {
            byte[] frame = Udp(Ascii("no vnet word"), 53, 3333, GuestToClient);
            await bad.SendAsync(frame);
            await bad.SendAsync(frame);
            Assert.True(await bad.WaitClosedAsync());
        }

        Assert.Equal(1, proxy.Host.InputStatistics.Primary.VnetMismatch);
        Assert.Equal(0, (await proxy.Host.GetCountersAsync()).PrimaryReceived);
    }

    [Fact]
    public async Task Stop_ReleasedFramesNoOutdevPeerTook_CountedUndeliveredAndBalanced()
    {
        const int frames = 50;
        var proxy = await ProxyHarness.StartAsync();
        await using (var primary = await proxy.ConnectAsync("primary_in"))
        {
            // Non-IP frames are released at once, uncompared; nobody is connected to outdev.
            for (int i = 0; i < frames; i++)
                await primary.SendAsync(NonIp(Filled(100, (byte)i), EtherTypeLocalExperimental));
            await proxy.WaitReceivedAsync(frames, 0);
        }

        await proxy.DisposeAsync();

        EngineCounters counters = proxy.Host.LastCounters;
        Assert.Equal(frames, counters.Dropped(Side.Primary, DropReason.Undelivered));
        Assert.Equal(0, counters.PrimaryReleased);
        Assert.Equal(frames, proxy.Host.UndeliveredFrames);
        Assert.True(counters.IsBalanced);
    }

    [Fact]
    public async Task Serve_OversizeLength_ClosesConnectionAndAcceptsNextPeer()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");

        await using (var bad = await proxy.ConnectAsync("primary_in"))
        {
            await bad.SendRawAsync([0x00, 0x01, 0x10, 0x01, 1, 2, 3, 4]); // 69633 > 69632
            Assert.True(await bad.WaitClosedAsync());
        }
        Assert.Equal(1, proxy.Host.InputStatistics.Primary.Oversize);

        byte[] datagram = Udp(Ascii("after"), 53, 3333, GuestToClient);
        await using var primary = await proxy.ConnectAsync("primary_in");
        await primary.SendAsync(datagram);
        await secondary.SendAsync(datagram);
        Assert.Equal(datagram, await outdev.ReceiveAsync());
    }

    [Fact]
    public async Task Serve_ZeroLengthFrames_IgnoredAndCounted()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        byte[] datagram = Udp(Ascii("x"), 53, 3333, GuestToClient);

        await primary.SendRawAsync([0, 0, 0, 0, 0, 0, 0, 0]);
        await primary.SendAsync(datagram);
        await secondary.SendAsync(datagram);

        Assert.Equal(datagram, await outdev.ReceiveAsync());
        await primary.DisposeAsync();
        await Wait.UntilAsync(() => proxy.Host.InputStatistics.Primary.EmptyFrames == 2, "empty frames to be counted");
    }

    [Fact]
    public async Task Serve_OutdevConnectsLate_NothingLost()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        var datagrams = Enumerable.Range(0, 50).Select(i => Udp(Ascii("early " + i), 53, 3333, GuestToClient)).ToArray();
        foreach (byte[] d in datagrams)
        {
            await primary.SendAsync(d);
            await secondary.SendAsync(d);
        }
        await Wait.UntilAsync(() => proxy.Host.FramesReleasedToOutput == datagrams.Length, "all frames released");

        await using var outdev = await proxy.ConnectAsync("outdev");
        foreach (byte[] d in datagrams)
            Assert.Equal(d, await outdev.ReceiveAsync());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Serve_SlowOutdev_InputsPauseAndMemoryStaysBoundedWithoutLoss(int workers)
    {
        const int frames = 20000;
        const int frameSize = 1400;
        await using var proxy = await ProxyHarness.StartAsync(o =>
        {
            o.MaxFrameLength = 2048;
            o.OutputBufferBytes = 64 * 1024;
            o.Workers = workers;
        });
        await using var primary = await proxy.ConnectAsync("primary_in");

        // Non-IP frames are released at once, uncompared: only outdev limits the flow.
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < frames; i++)
                await primary.SendAsync(NonIp(Filled(frameSize, (byte)i), EtherTypeLocalExperimental));
        }, TestContext.Current.CancellationToken);
        await Wait.UntilAsync(() => proxy.Host.OutputStalls > 0, "the output buffer to fill");
        Assert.False(sending.IsCompleted, "the sender should be blocked by backpressure");
        // One worker: inputs stop between frames, so at most a frame past the capacity. Several: what was already
        // queued to the workers (non-IP frames all go to shard 0: at most its queue of batches) may still come out.
        long bound = workers == 1 ? 64 * 1024 + 2048 : 64 * 1024 + 17L * FrameBatch.DataCapacity;
        // Nothing to wait for here: give a proxy that ignored backpressure the time to run past the bound.
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.True(proxy.Host.OutputBufferedBytes <= bound, $"buffered {proxy.Host.OutputBufferedBytes} bytes");

        await using var outdev = await proxy.ConnectAsync("outdev");
        for (int i = 0; i < frames; i++)
        {
            byte[] frame = await outdev.ReceiveAsync();
            Assert.Equal(14 + frameSize, frame.Length);
            Assert.Equal((byte)i, frame[14]);
        }
        await sending.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Stop_WithQueuedPrimaryFrames_ReleasesThemAndAccountingBalances()
    {
        var proxy = await ProxyHarness.StartAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        var datagrams = Enumerable.Range(0, 10).Select(i => Udp(Ascii("queued " + i), 53, 3333, GuestToClient)).ToArray();
        foreach (byte[] d in datagrams)
            await primary.SendAsync(d);
        await proxy.WaitReceivedAsync(10, 0);
        Assert.Equal(10, (await proxy.Host.GetCountersAsync()).PrimaryQueued);

        Task stopping = proxy.Host.StopAsync();
        foreach (byte[] d in datagrams)
            Assert.Equal(d, await outdev.ReceiveAsync());
        await stopping.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);

        EngineCounters final = proxy.Host.LastCounters;
        Assert.Equal(10, final.PrimaryReceived);
        Assert.Equal(10, final.Released(ReleaseReason.Shutdown));
        Assert.Equal(0, final.PrimaryQueued);
        Assert.True(final.IsBalanced);
        await proxy.DisposeAsync();
        Assert.False(File.Exists(Path.Combine(proxy.Directory, "primary.sock")), "unix sockets are removed on exit");
    }

    [Fact]
    public async Task Serve_ClientMode_ConnectsToListeningPeers()
    {
        string dir = ProxyHarness.NewDirectory();
        using Socket primaryListener = ProxyHarness.Listen(Path.Combine(dir, "p.sock"));
        using Socket secondaryListener = ProxyHarness.Listen(Path.Combine(dir, "s.sock"));
        using Socket outdevListener = ProxyHarness.Listen(Path.Combine(dir, "o.sock"));
        await using var proxy = await ProxyHarness.StartAsync(o =>
        {
            o.PrimaryIn = EndpointSpec.Parse("unix:" + Path.Combine(dir, "p.sock"));
            o.SecondaryIn = EndpointSpec.Parse("unix:" + Path.Combine(dir, "s.sock"));
            o.Outdev = EndpointSpec.Parse("unix:" + Path.Combine(dir, "o.sock"));
        }, notify: false);
        await using var primary = new FramedPeer(await primaryListener.AcceptAsync(TestContext.Current.CancellationToken));
        await using var secondary = new FramedPeer(await secondaryListener.AcceptAsync(TestContext.Current.CancellationToken));
        await using var outdev = new FramedPeer(await outdevListener.AcceptAsync(TestContext.Current.CancellationToken));
        const uint isn = 0xFFFFFFFE;
        await HandshakeAsync(primary, secondary, outdev, isn);

        byte[] data = Segment(isn + 1, "client mode");
        await primary.SendAsync(data);
        await secondary.SendAsync(data);
        Assert.Equal(data, await outdev.ReceiveAsync());
    }

    [Fact]
    public async Task Serve_ClientMode_ReconnectsAfterPeerRestart()
    {
        string dir = ProxyHarness.NewDirectory();
        string path = Path.Combine(dir, "p.sock");
        Socket listener = ProxyHarness.Listen(path);
        await using var proxy = await ProxyHarness.StartAsync(o => o.PrimaryIn = EndpointSpec.Parse("unix:" + path), notify: false);
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        using (Socket first = await listener.AcceptAsync(TestContext.Current.CancellationToken))
            first.Shutdown(SocketShutdown.Both);
        listener.Dispose();
        File.Delete(path);
        using Socket restarted = ProxyHarness.Listen(path);

        await using var primary = new FramedPeer(await restarted.AcceptAsync(TestContext.Current.CancellationToken));
        byte[] datagram = Udp(Ascii("again"), 53, 3333, GuestToClient);
        await primary.SendAsync(datagram);
        await secondary.SendAsync(datagram);
        Assert.Equal(datagram, await outdev.ReceiveAsync());
    }

    [Fact]
    public async Task Serve_VnetHeaderSupport_FramesKeepTheirVnetWord()
    {
        await using var proxy = await ProxyHarness.StartAsync(o => o.VnetHdrSupport = true);
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        byte[] datagram = Udp(Ascii("vnet"), 53, 3333, GuestToClient, vnetHeaderLength: 12);

        await primary.SendAsync(datagram, 12);
        await secondary.SendAsync(datagram, 12);

        (byte[]? frame, int vnet) = await outdev.TryReceiveAsync(Wait.Timeout);
        Assert.Equal(datagram, frame);
        Assert.Equal(12, vnet);
    }

    [Fact]
    public async Task Serve_CompareTimeout_RequestsCheckpointAndRepeatsOncePerScanCycle()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var notify = await proxy.ConnectAsync("notify_dev");
        await using var primary = await proxy.ConnectAsync("primary_in");
        await Wait.UntilAsync(() => proxy.Host.Peers().First(p => p.Key == "xen-notify").Value, "notify connected");
        await primary.SendAsync(Udp(Ascii("lonely"), 53, 3333, GuestToClient));
        await proxy.WaitReceivedAsync(1, 0);

        proxy.Time!.Advance(TimeSpan.FromMilliseconds(3100));
        Assert.Equal("DO_CHECKPOINT", System.Text.Encoding.ASCII.GetString(await notify.ReceiveAsync()));
        proxy.Time.Advance(TimeSpan.FromMilliseconds(1000));
        Assert.Equal("DO_CHECKPOINT", System.Text.Encoding.ASCII.GetString(await notify.ReceiveAsync()));
        Assert.Equal(2, proxy.Host.Coordinator.RequestsSent);
    }

    [Fact]
    public async Task Serve_TwoWorkers_FlowsShardedAndOrderKept()
    {
        await using var proxy = await ProxyHarness.StartAsync(o => o.Workers = 2);
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        var perFlow = new Dictionary<string, List<byte[]>>();
        for (int i = 0; i < 200; i++)
        {
            string dst = "10.0.1." + (i % 8);
            byte[] d = Udp(Ascii("n" + i), 53, 3333, FlowAddress.Between(Guest, dst));
            (perFlow.TryGetValue(dst, out var list) ? list : perFlow[dst] = []).Add(d);
            await primary.SendAsync(d);
            await secondary.SendAsync(d);
        }

        var received = new Dictionary<string, int>();
        for (int i = 0; i < 200; i++)
        {
            byte[] frame = await outdev.ReceiveAsync();
            string dst = new IPAddress(frame.AsSpan(14 + 16, 4)).ToString();
            int index = received.GetValueOrDefault(dst);
            Assert.Equal(perFlow[dst][index], frame);
            received[dst] = index + 1;
        }
        Assert.True((await proxy.Host.GetCountersAsync()).IsBalanced);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Serve_BurstsOfResegmentedTcpAndDatagrams_EveryPrimaryFrameReleasedOnceInFlowOrder(int workers)
    {
        // Large writes on both sides: reads of many frames, several batches per shard, so with several workers some
        // batches are ingested by the input threads and some queued to the workers; order must hold either way.
        await using var proxy = await ProxyHarness.StartAsync(o => o.Workers = workers);
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        const int Flows = 16;
        const int SegmentsPerFlow = 300;
        const int Payload = 1000;
        var random = new Random(42);
        var expected = new Dictionary<ushort, List<byte[]>>();
        void Expect(ushort port, byte[] frame) => (expected.TryGetValue(port, out var list) ? list : expected[port] = []).Add(frame);
        using var primaryWire = new MemoryStream();
        using var secondaryWire = new MemoryStream();
        for (int segment = 0; segment < SegmentsPerFlow; segment++)
        {
            for (ushort flow = 0; flow < Flows; flow++)
            {
                ushort port = (ushort)(40000 + flow);
                uint seq = 1000u + (uint)(segment * Payload);
                byte[] payload = StreamBytes(flow, segment * Payload, Payload);
                byte[] frame = Tcp(seq, payload, acknowledgment: 1, sourcePort: 80, destinationPort: port, address: GuestToClient);
                Expect(port, frame);
                primaryWire.Write(FrameCodec.Encode(frame));
                // The secondary cuts the same bytes at another place.
                int cut = random.Next(1, Payload);
                secondaryWire.Write(FrameCodec.Encode(Tcp(seq, payload.AsSpan(0, cut), acknowledgment: 1, sourcePort: 80, destinationPort: port, address: GuestToClient, ipId: 7)));
                secondaryWire.Write(FrameCodec.Encode(Tcp(seq + (uint)cut, payload.AsSpan(cut), acknowledgment: 1, sourcePort: 80, destinationPort: port, address: GuestToClient, ipId: 8)));
                // A datagram flow beside it: released in arrival order, so any reordering of a side's frames shows.
                byte[] datagram = Udp(payload.AsSpan(0, 100), 53, (ushort)(port + 1000), GuestToClient);
                Expect((ushort)(port + 1000), datagram);
                primaryWire.Write(FrameCodec.Encode(datagram));
                secondaryWire.Write(FrameCodec.Encode(datagram));
            }
        }

        Task sending = Task.WhenAll(primary.SendRawAsync(primaryWire.ToArray()), secondary.SendRawAsync(secondaryWire.ToArray()));
        var next = new Dictionary<ushort, int>();
        for (int i = 0; i < 2 * Flows * SegmentsPerFlow; i++)
        {
            byte[] frame = await outdev.ReceiveAsync();
            ushort port = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14 + 20 + 2));
            int index = next.GetValueOrDefault(port);
            Assert.Equal(expected[port][index], frame);
            next[port] = index + 1;
        }
        await sending;

        EngineCounters counters = await proxy.Host.GetCountersAsync();
        Assert.Equal(2 * Flows * SegmentsPerFlow, counters.Released(ReleaseReason.Compared));
        Assert.Equal(0, counters.PrimaryQueued);
        Assert.True(counters.IsBalanced);
    }

    private static byte[] StreamBytes(int flow, int offset, int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
            bytes[i] = (byte)((offset + i) * 31 + flow * 7);
        return bytes;
    }

    [Fact]
    public async Task Serve_GarbageOnEveryChannel_KeepsServing()
    {
        await using var proxy = await ProxyHarness.StartAsync(o => o.VnetHdrSupport = true);
        var random = new Random(1234);
        await using (var badPrimary = await proxy.ConnectAsync("primary_in"))
        await using (var badSecondary = await proxy.ConnectAsync("secondary_in"))
        await using (var badNotify = await FramedPeer.ConnectAsync(proxy.EndPointOf("notify_dev")))
        await using (var badControl = await ControlClient.ConnectAsync(proxy.EndPointOf("control")))
        {
            for (int i = 0; i < 300; i++)
            {
                byte[] junk = new byte[random.Next(1, 1600)];
                random.NextBytes(junk);
                if (i % 3 == 0 && junk.Length > 40)
                {
                    // Plausible headers with random contents: Ethernet + IPv4 + TCP/UDP.
                    junk[12] = 0x08;
                    junk[13] = 0x00;
                    junk[14] = 0x45;
                }
                // Any vnet_hdr_len a virtio-net header can have (a larger one is a vnet_hdr_support mismatch: the
                // connection is closed, see Serve_VnetLengthNoHeaderHas_ClosesTheConnectionAndSaysWhy).
                int maxVnet = Math.Min(FrameCodec.MaxVnetHeaderLength, junk.Length);
                await badPrimary.SendAsync(junk, random.Next(0, 3) == 0 ? random.Next(0, maxVnet + 1) : 0);
                await badSecondary.SendAsync(junk, random.Next(0, maxVnet + 1));
                await badNotify.SendAsync(junk[..Math.Min(junk.Length, 64)]);
            }
            await badControl.SendRawAsync("{\"execute\": [1,2,{\"x\":\"}\"}]}\n{{{{\n]]]\n");
            await proxy.WaitReceivedAsync(300, 300);
        }

        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        await using var control = await proxy.ControlAsync();
        await control.ReturnAsync("colo-checkpoint-done");
        byte[] datagram = Udp(Ascii("still alive"), 53, 3333, FlowAddress.Between(Guest, "10.7.7.7"));
        await primary.SendAsync(datagram);
        await secondary.SendAsync(datagram);

        (byte[]? frame, _) = await outdev.TryReceiveAsync(Wait.Timeout);
        while (frame is not null && !frame.AsSpan().SequenceEqual(datagram))
            (frame, _) = await outdev.TryReceiveAsync(Wait.Timeout);
        Assert.Equal(datagram, frame);
        Assert.True((await proxy.Host.GetCountersAsync()).IsBalanced);
        Assert.Equal("running", (await control.ReturnAsync("query-status")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Serve_OutdevReconnects_LaterFramesGoToTheNewPeer()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        byte[] first = Udp(Ascii("first"), 53, 3333, GuestToClient);
        byte[] second = Udp(Ascii("second"), 53, 3333, GuestToClient);
        await using (var outdev = await proxy.ConnectAsync("outdev"))
        {
            await primary.SendAsync(first);
            await secondary.SendAsync(first);
            Assert.Equal(first, await outdev.ReceiveAsync());
        }
        await Wait.UntilAsync(() => !proxy.Host.Peers().First(p => p.Key == "outdev").Value, "outdev to be seen gone");

        await primary.SendAsync(second);
        await secondary.SendAsync(second);
        await Wait.UntilAsync(() => proxy.Host.FramesReleasedToOutput == 2, "the second frame released");
        await using var again = await proxy.ConnectAsync("outdev");

        Assert.Equal(second, await again.ReceiveAsync());
    }
}
