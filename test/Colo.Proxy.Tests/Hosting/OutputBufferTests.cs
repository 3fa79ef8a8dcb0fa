using System.Buffers.Binary;
using System.Net.Sockets;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Hosting;
using Colo.Proxy.Tests.EndToEnd;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colo.Proxy.Tests.Hosting;

/// <summary>
/// The output buffer over real unix sockets: frames reach outdev whole and in order whoever sends them (the flushing
/// thread or the pump), inputs wait while outdev lags, a peer that leaves mid-frame costs the next peer nothing.
/// </summary>
public sealed class OutputBufferTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cpx-out-").FullName;
    private int _sockets;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Flush_PeerConnected_DeliversEveryFrameWholeAndInOrder()
    {
        var output = new OutputBuffer(16 * 1024 * 1024, vnetHeader: false, NullLogger.Instance);
        await using Outdev outdev = Serve(output);
        byte[][] frames = Frames(2000, seed: 1);

        foreach (byte[] frame in frames)
        {
            output.Write(frame, 0);
            output.Flush();
        }

        Assert.Equal(frames, ReadFrames(outdev.Peer, frames.Length, vnetHeader: false));
    }

    [Fact]
    public async Task Write_FarMoreThanTheSocketHolds_PumpDeliversEverythingInOrder()
    {
        var output = new OutputBuffer(64 * 1024 * 1024, vnetHeader: true, NullLogger.Instance);
        await using Outdev outdev = Serve(output, sendBuffer: 8192);
        byte[][] frames = Frames(20000, seed: 2);

        // 30 MB at once: the flushing thread meets a full socket and the pump takes over.
        foreach (byte[] frame in frames)
            output.Write(frame, frame.Length % 13);
        output.Flush();

        List<byte[]> received = ReadFrames(outdev.Peer, frames.Length, vnetHeader: true, vnetLengths: out List<int> vnet);
        Assert.Equal(frames, received);
        Assert.Equal(frames.Select(f => f.Length % 13), vnet);
    }

    [Fact]
    public async Task WriteFlushWait_SeveralWritersAndASmallBuffer_EveryFrameOnceInEachWritersOrder()
    {
        // Like several engine shards sharing outdev, with a buffer small enough that writers keep waiting for space
        // and the send role keeps passing between flushing threads and the pump.
        var output = new OutputBuffer(256 * 1024, vnetHeader: false, NullLogger.Instance);
        await using Outdev outdev = Serve(output, sendBuffer: 16384);
        const int Writers = 3;
        const int FramesPerWriter = 20000;
        Task[] writers = Enumerable.Range(0, Writers).Select(writer => OnOwnThread(() =>
        {
            var random = new Random(writer);
            for (int i = 0; i < FramesPerWriter; i++)
            {
                var frame = new byte[random.Next(8, 1514)];
                BinaryPrimitives.WriteInt32BigEndian(frame, writer);
                BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), i);
                output.Write(frame, 0);
                if (random.Next(4) == 0)
                {
                    output.Flush();
                    output.WaitForSpace(CancellationToken.None);
                }
            }
            output.Flush();
        })).ToArray();

        List<byte[]> received = ReadFrames(outdev.Peer, Writers * FramesPerWriter, vnetHeader: false);
        await Task.WhenAll(writers).WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);

        var next = new int[Writers];
        foreach (byte[] frame in received)
        {
            int writer = BinaryPrimitives.ReadInt32BigEndian(frame);
            Assert.Equal(next[writer]++, BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4)));
        }
        Assert.All(next, count => Assert.Equal(FramesPerWriter, count));
        Assert.True(output.Stalls > 0, "the small buffer should have made writers wait");
    }

    [Fact]
    public async Task PeerReplacedWhileWritersRun_NewPeerGetsWholeFramesInOrderThroughTheLast()
    {
        var output = new OutputBuffer(1024 * 1024, vnetHeader: false, NullLogger.Instance);
        Outdev first = Serve(output, sendBuffer: 16384, receiveBuffer: 16384);
        const int Frames = 30000;
        Task writer = OnOwnThread(() =>
        {
            var random = new Random(7);
            for (int i = 0; i < Frames; i++)
            {
                var frame = new byte[random.Next(8, 3000)];
                BinaryPrimitives.WriteInt32BigEndian(frame, i);
                output.Write(frame, 0);
                output.Flush();
                output.WaitForSpace(CancellationToken.None);
            }
        });

        // The first peer reads a few thousand frames, then leaves without reading what the kernel still holds for it.
        List<byte[]> before = ReadFrames(first.Peer, 3000, vnetHeader: false);
        await first.LeaveAsync();
        await using Outdev second = Serve(output);
        Task<List<byte[]>> reading = OnOwnThread(() => ReadFramesUntilIdle(second.Peer));
        await writer.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);
        List<byte[]> after = await reading.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);

        int[] sequence = [.. before.Concat(after).Select(f => BinaryPrimitives.ReadInt32BigEndian(f))];
        for (int i = 1; i < sequence.Length; i++)
            Assert.True(sequence[i] > sequence[i - 1], $"frame {sequence[i]} after {sequence[i - 1]}");
        Assert.Equal(Frames - 1, sequence[^1]);
    }

    [Fact]
    public async Task Flush_NoPeer_FramesWaitForTheNextPeer()
    {
        var output = new OutputBuffer(16 * 1024 * 1024, vnetHeader: false, NullLogger.Instance);
        byte[][] frames = Frames(100, seed: 3);
        WriteAll(output, frames);
        output.Flush();
        Assert.Equal(frames.Sum(f => 4L + f.Length), output.BufferedBytes);

        await using Outdev outdev = Serve(output);

        Assert.Equal(frames, ReadFrames(outdev.Peer, frames.Length, vnetHeader: false));
    }

    [Fact]
    public async Task PeerLeavesMidFrame_NextPeerStartsWithThatFrameWhole()
    {
        var output = new OutputBuffer(16 * 1024 * 1024, vnetHeader: false, NullLogger.Instance);
        Outdev first = Serve(output, sendBuffer: 4096, receiveBuffer: 4096);
        byte[][] frames = Frames(40, seed: 4, minLength: 20000, maxLength: 60000);
        WriteAll(output, frames);
        output.Flush();

        // The first peer takes a few bytes (so the kernel is in the middle of the first frame) and goes away.
        await Wait.UntilAsync(() => output.BytesSent > 0, "the first bytes sent");
        Assert.True(first.Peer.Receive(new byte[10]) > 0);
        await first.LeaveAsync();

        await using Outdev second = Serve(output);
        List<byte[]> received = ReadFramesUntilIdle(second.Peer);

        // A clean frame stream that is exactly the tail of what was written, starting with the interrupted frame.
        Assert.NotEmpty(received);
        int start = frames.Length - received.Count;
        Assert.Equal(frames[start..], received);
        Assert.Equal(1, output.ResentFrames);
    }

    [Fact]
    public async Task PeerLeavesAfterALengthWordAcrossChunks_NextPeerStartsWithTheInterruptedFrame()
    {
        var output = new OutputBuffer(16 * 1024 * 1024, vnetHeader: false, NullLogger.Instance);
        Outdev first = Serve(output, sendBuffer: 4096, receiveBuffer: 4096);
        // The first frame ends 2 bytes before the end of a 256 KiB chunk: the second frame's length word straddles
        // two chunks. The third is large, so the first peer cannot have been handed all of it.
        byte[] a = Filled(256 * 1024 - 2 - 4, 1);
        byte[] b = Filled(100, 2);
        byte[] c = Filled(200_000, 3);
        WriteAll(output, [a, b, c]);
        output.Flush();

        Assert.Equal(a, ReadFrames(first.Peer, 1, vnetHeader: false)[0]);
        await Wait.UntilAsync(() => output.BytesSent > 4 + a.Length + 4 + b.Length, "the third frame to be started");
        await first.LeaveAsync();
        await using Outdev second = Serve(output);

        Assert.Equal([c], ReadFramesUntilIdle(second.Peer));
        Assert.Equal(1, output.ResentFrames);
    }

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();

    [Fact]
    public async Task WaitForSpace_OverCapacity_BlocksUntilOutdevDrains()
    {
        var output = new OutputBuffer(64 * 1024, vnetHeader: false, NullLogger.Instance);
        byte[][] frames = Frames(200, seed: 5, minLength: 1000, maxLength: 1500);
        WriteAll(output, frames);
        output.Flush();
        Assert.True(output.IsOverCapacity);

        Task waiting = OnOwnThread(() => output.WaitForSpace(CancellationToken.None));
        Task first = await Task.WhenAny(waiting, Task.Delay(300, TestContext.Current.CancellationToken));
        Assert.NotSame(waiting, first);
        Assert.Equal(1, output.Stalls);

        await using Outdev outdev = Serve(output);
        Assert.Equal(frames, ReadFrames(outdev.Peer, frames.Length, vnetHeader: false));
        await waiting.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);
        Assert.False(output.IsOverCapacity);
    }

    [Fact]
    public async Task Complete_WithFramesBuffered_DrainedOnceThePeerHasThem()
    {
        var output = new OutputBuffer(16 * 1024 * 1024, vnetHeader: false, NullLogger.Instance);
        byte[][] frames = Frames(50, seed: 6);
        WriteAll(output, frames);
        output.Complete();
        output.Write(frames[0], 0);
        Assert.False(output.Drained.IsCompleted);

        await using Outdev outdev = Serve(output);

        Assert.Equal(frames, ReadFrames(outdev.Peer, frames.Length, vnetHeader: false));
        await output.Drained.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(frames.Length, output.FramesWritten);
    }

    [Fact]
    public async Task WriteAndFlush_SteadyState_AllocatesNothingPerFrame()
    {
        var output = new OutputBuffer(4 * 1024 * 1024, vnetHeader: false, NullLogger.Instance);
        await using Outdev outdev = Serve(output);
        var frame = new byte[1514];
        const int FramesPerRound = 20000;
        Task reader = OnOwnThread(() =>
        {
            var sink = new byte[256 * 1024];
            long expected = 5L * FramesPerRound * (4 + frame.Length);
            for (long got = 0; got < expected;)
                got += outdev.Peer.Receive(sink);
        });

        // Warm up (chunks are allocated once), then measure several rounds: a per-frame allocation fails every one.
        long[] allocated = new long[5];
        for (int round = 0; round < allocated.Length; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < FramesPerRound; i++)
            {
                output.Write(frame, 0);
                if (i % 8 == 0)
                {
                    // As an input thread does after each read.
                    output.Flush();
                    output.WaitForSpace(CancellationToken.None);
                }
            }
            output.Flush();
            allocated[round] = GC.GetAllocatedBytesForCurrentThread() - before;
            await Wait.UntilAsync(() => output.BufferedBytes == 0, "outdev to take the round");
        }
        await reader.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);

        Assert.True(allocated[1..].Min() < FramesPerRound / 100, $"allocated per round: {string.Join(", ", allocated)}");
    }

    /// <summary>A connected outdev peer served by the buffer's pump. Disposing stops the pump and closes both ends.</summary>
    private sealed class Outdev(PeerConnection connection, Socket peer, Task pump, CancellationTokenSource stop) : IAsyncDisposable
    {
        /// <summary>The test's end of the connection.</summary>
        public Socket Peer => peer;

        /// <summary>The peer closes its end (unread bytes are lost with it); returns once the pump has noticed.</summary>
        public async Task LeaveAsync()
        {
            peer.Close();
            await pump.WaitAsync(Wait.Timeout);
            await DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await pump.WaitAsync(Wait.Timeout);
            await connection.DisposeAsync();
            peer.Dispose();
            stop.Dispose();
        }
    }

    /// <summary>Connects a unix socket pair and starts the pump on the buffer's end (small kernel buffers on request).</summary>
    private Outdev Serve(OutputBuffer output, int sendBuffer = 0, int receiveBuffer = 0)
    {
        string path = Path.Combine(_directory, $"o{Interlocked.Increment(ref _sockets)}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var peer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        if (receiveBuffer > 0)
            peer.ReceiveBufferSize = receiveBuffer;
        peer.Connect(new UnixDomainSocketEndPoint(path));
        Socket accepted = listener.Accept();
        if (sendBuffer > 0)
            accepted.SendBufferSize = sendBuffer;
        peer.ReceiveTimeout = (int)Wait.Timeout.TotalMilliseconds;
        var connection = new PeerConnection("outdev", accepted);
        var stop = new CancellationTokenSource();
        return new Outdev(connection, peer, new OutdevSender(output).PumpAsync(connection, stop.Token), stop);
    }

    /// <summary>Runs a blocking body (writer, reader, waiter) on a thread of its own, as the proxy's input threads are.</summary>
    private static Task OnOwnThread(Action body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static Task<T> OnOwnThread<T>(Func<T> body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static void WriteAll(OutputBuffer output, byte[][] frames)
    {
        foreach (byte[] frame in frames)
            output.Write(frame, 0);
    }

    private static byte[][] Frames(int count, int seed, int minLength = 1, int maxLength = 1514)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var frame = new byte[random.Next(minLength, maxLength + 1)];
            random.NextBytes(frame);
            return frame;
        }).ToArray();
    }

    private static List<byte[]> ReadFrames(Socket peer, int count, bool vnetHeader) =>
        ReadFrames(peer, count, vnetHeader, out _);

    private static List<byte[]> ReadFrames(Socket peer, int count, bool vnetHeader, out List<int> vnetLengths)
    {
        var frames = new List<byte[]>(count);
        vnetLengths = new List<int>(count);
        int headerLength = vnetHeader ? 8 : 4;
        var header = new byte[headerLength];
        for (int i = 0; i < count; i++)
        {
            ReadExactly(peer, header);
            var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(header)];
            if (vnetHeader)
                vnetLengths.Add(BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)));
            ReadExactly(peer, frame);
            frames.Add(frame);
        }
        return frames;
    }

    /// <summary>Reads whole frames until nothing more arrives for half a second; a torn frame fails the test.</summary>
    private static List<byte[]> ReadFramesUntilIdle(Socket peer)
    {
        var frames = new List<byte[]>();
        var header = new byte[4];
        while (peer.Poll(500_000, SelectMode.SelectRead))
        {
            ReadExactly(peer, header);
            int length = BinaryPrimitives.ReadInt32BigEndian(header);
            Assert.InRange(length, 1, 1 << 20);
            var frame = new byte[length];
            ReadExactly(peer, frame);
            frames.Add(frame);
        }
        return frames;
    }

    private static void ReadExactly(Socket socket, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int read = socket.Receive(destination);
            if (read == 0)
                throw new EndOfStreamException("outdev closed");
            destination = destination[read..];
        }
    }
}
