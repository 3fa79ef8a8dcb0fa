using System.IO.Pipelines;
using System.Net.Sockets;
using Colo.Proxy.Framing;

namespace Colo.Proxy.Tests.Framing;

public class FrameReaderTests
{
    private sealed class Recorder : IFrameHandler
    {
        public List<byte[]> Frames { get; } = [];
        public List<int> Vnet { get; } = [];
        public int Reads { get; private set; }

        public void OnFrame(ReadOnlySpan<byte> frame, int vnetHeaderLength)
        {
            Frames.Add(frame.ToArray());
            Vnet.Add(vnetHeaderLength);
        }

        public void OnReadStarted()
        {
        }

        public ValueTask OnReadCompletedAsync(CancellationToken cancellationToken)
        {
            Reads++;
            return ValueTask.CompletedTask;
        }
    }

    private static async Task<(FrameReadResult Result, Recorder Recorder, FrameReader Reader)> RunAsync(
        byte[] wire, int chunk, bool vnet = false, int max = 1000)
    {
        var pipe = new Pipe(new PipeOptions(minimumSegmentSize: 16));
        var reader = new FrameReader(vnet, max);
        var recorder = new Recorder();
        Task<FrameReadResult> running = reader.RunAsync(pipe.Reader, recorder, TestContext.Current.CancellationToken);
        for (int i = 0; i < wire.Length; i += chunk)
            await pipe.Writer.WriteAsync(wire.AsMemory(i, Math.Min(chunk, wire.Length - i)), TestContext.Current.CancellationToken);
        await pipe.Writer.CompleteAsync();
        return (await running, recorder, reader);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task RunAsync_AnyChunking_DeliversFramesInOrder(int chunk)
    {
        byte[][] frames = Enumerable.Range(1, 20).Select(i => Enumerable.Repeat((byte)i, i * 13).ToArray()).ToArray();
        byte[] wire = frames.SelectMany(f => FrameCodec.Encode(f, true, f.Length % 13)).ToArray();

        var (result, recorder, _) = await RunAsync(wire, chunk, vnet: true);

        Assert.Equal(FrameReadResult.Closed, result);
        Assert.Equal(frames, recorder.Frames);
        Assert.All(recorder.Vnet, v => Assert.Equal(0, v));
    }

    [Fact]
    public async Task RunAsync_ZeroLengthFrames_SkippedAndCounted()
    {
        byte[] wire = [0, 0, 0, 0, .. FrameCodec.Encode([7]), 0, 0, 0, 0];

        var (_, recorder, reader) = await RunAsync(wire, 100);

        Assert.Single(recorder.Frames);
        Assert.Equal(2, reader.EmptyFrames);
    }

    [Fact]
    public async Task RunAsync_ClosedMidFrame_DiscardsPartialFrame()
    {
        byte[] wire = [.. FrameCodec.Encode([1, 2]), .. FrameCodec.Encode([3, 4, 5])[..5]];

        var (result, recorder, _) = await RunAsync(wire, 100);

        Assert.Equal(FrameReadResult.ClosedMidFrame, result);
        Assert.Equal([[1, 2]], recorder.Frames);
    }

    [Fact]
    public async Task RunAsync_Oversize_DeliversEarlierFramesThenStops()
    {
        byte[] wire = [.. FrameCodec.Encode([1]), 0, 0, 0x10, 0, .. FrameCodec.Encode([2])];

        var (result, recorder, reader) = await RunAsync(wire, 100, max: 1000);

        Assert.Equal(FrameReadResult.Oversize, result);
        Assert.Equal([[1]], recorder.Frames);
        Assert.Equal(4096u, reader.OversizeLength);
    }

    private static (FrameReadResult Result, Recorder Recorder, FrameReader Reader) RunBlocking(byte[] wire, int chunk, bool vnet = false, int max = 1000)
    {
        (Socket receiver, Socket sender) = SocketPair();
        using (receiver)
        {
            var reader = new FrameReader(vnet, max);
            var recorder = new Recorder();
            var writing = Task.Run(() =>
            {
                using (sender)
                {
                    for (int i = 0; i < wire.Length; i += chunk)
                        sender.Send(wire.AsSpan(i, Math.Min(chunk, wire.Length - i)));
                    sender.Shutdown(SocketShutdown.Send);
                }
            }, TestContext.Current.CancellationToken);
            FrameReadResult result = reader.RunBlocking(receiver, recorder, TestContext.Current.CancellationToken);
            writing.GetAwaiter().GetResult();
            return (result, recorder, reader);
        }
    }

    private static (Socket Receiver, Socket Sender) SocketPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(1);
        var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        sender.Connect(listener.LocalEndPoint!);
        return (listener.Accept(), sender);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void RunBlocking_AnyChunking_DeliversFramesInOrder(int chunk)
    {
        byte[][] frames = Enumerable.Range(1, 20).Select(i => Enumerable.Repeat((byte)i, i * 13).ToArray()).ToArray();
        byte[] wire = [.. frames.SelectMany(f => FrameCodec.Encode(f, true, f.Length % 13)), 0, 0, 0, 0, 0, 0, 0, 0];

        var (result, recorder, reader) = RunBlocking(wire, chunk, vnet: true);

        Assert.Equal(FrameReadResult.Closed, result);
        Assert.Equal(frames, recorder.Frames);
        Assert.Equal(1, reader.EmptyFrames);
    }

    [Fact]
    public void RunBlocking_ClosedMidFrame_DiscardsPartialFrame()
    {
        byte[] wire = [.. FrameCodec.Encode([1, 2]), 0, 0, 0, 9, 1];

        var (result, recorder, _) = RunBlocking(wire, 3);

        Assert.Equal(FrameReadResult.ClosedMidFrame, result);
        Assert.Equal([[1, 2]], recorder.Frames);
    }

    [Fact]
    public void RunBlocking_Oversize_DeliversEarlierFramesThenStops()
    {
        byte[] wire = [.. FrameCodec.Encode([1]), 0, 0, 16, 0];

        var (result, recorder, reader) = RunBlocking(wire, 4096);

        Assert.Equal(FrameReadResult.Oversize, result);
        Assert.Equal([[1]], recorder.Frames);
        Assert.Equal(4096u, reader.OversizeLength);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    public async Task RunAsync_PeerSendsNoVnetWord_StopsAsVnetMismatch(int chunk)
    {
        // The peer frames without vnet_hdr_len: the "word" read is the frame's destination MAC.
        byte[] frame = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0xAB, 0xCD, 0xEF, 0x08, 0x00];
        byte[] wire = [.. FrameCodec.Encode(new byte[20], true, 12), .. FrameCodec.Encode(frame), .. FrameCodec.Encode(frame)];

        var (result, recorder, reader) = await RunAsync(wire, chunk, vnet: true);

        Assert.Equal(FrameReadResult.VnetMismatch, result);
        Assert.Single(recorder.Frames);
        Assert.Equal(0x52540012, reader.ImplausibleVnet.VnetHeaderLength);
    }

    [Fact]
    public void RunBlocking_VnetLengthBeyondTheFrame_StopsAsVnetMismatch()
    {
        byte[] wire = [.. FrameCodec.Encode(new byte[8], true, 12)];

        var (result, recorder, reader) = RunBlocking(wire, 4096, vnet: true);

        Assert.Equal(FrameReadResult.VnetMismatch, result);
        Assert.Empty(recorder.Frames);
        Assert.Equal((12, 8), reader.ImplausibleVnet);
    }

    [Fact]
    public void RunBlocking_PeerSendsVnetWordsWithoutSupport_FlagsTheFirstFrame()
    {
        byte[] inner = [.. new byte[12], 0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
        byte[] wire = [.. FrameCodec.Encode(inner, true, 12)];

        var (_, _, reader) = RunBlocking(wire, 4096, vnet: false);

        Assert.True(reader.FirstFrameLooksVnetFramed);
    }
}
