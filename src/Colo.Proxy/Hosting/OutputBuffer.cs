using System.Buffers.Binary;
using System.Net.Sockets;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Framing;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

/// <summary>
/// Released frames on their way to outdev: framed bytes in a queue of 256 KiB chunks that are recycled (no allocation
/// once warm). Engines append under a lock (several shards share the buffer; each shard appends in its release order,
/// so no flow is reordered) and then <see cref="Flush"/>: the flushing thread sends what it can at once with a
/// non-blocking send, so a released frame usually costs one system call and no thread wake-up. Only when the socket is
/// full does the send role pass to the pump thread, which waits for room and sends until the buffer is empty.
/// <para>
/// Backpressure: appending never blocks (an engine must stay responsive). Input threads call <see cref="WaitForSpace"/>
/// before they hand over more frames; while more than <see cref="Capacity"/> bytes wait, they stop reading. Nothing
/// is dropped. When the outdev peer goes away, unsent bytes wait for the next peer, starting at a frame boundary: a
/// frame the old peer got only part of is sent again whole.
/// </para>
/// </summary>
internal sealed partial class OutputBuffer
{
    // 256 KiB: one send system call carries ~170 full-size frames.
    private const int ChunkShift = 18;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;

    private const long SpareSlackBytes = 8L * 1024 * 1024;

    // Unflushed bytes after which an append makes them visible to the pump (a long checkpoint release starts moving).
    private const int CommitThreshold = ChunkSize;

    // How often a pump waiting for room in the socket looks at its cancellation token.
    private const int WritablePollMicroseconds = 100_000;

    private readonly Lock _lock = new();
    private readonly bool _vnetHeader;
    private readonly int _headerLength;
    private readonly ILogger _logger;
    private readonly Stack<byte[]> _spareChunks = new();
    private readonly int _maxSpareChunks;
    private readonly ManualResetEventSlim _pumpSignal = new(false, spinCount: 0);
    private readonly ManualResetEventSlim _spaceSignal = new(true, spinCount: 0);
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Byte positions in the stream of framed bytes (monotonic): position p is in chunk slot
    // (p >> ChunkShift) & (_chunks.Length - 1), at p & ChunkMask. _released <= _boundary <= _sent <= _committed <= _written.
    private byte[]?[] _chunks = new byte[]?[16];
    private long _released;   // chunks below this were recycled
    private long _boundary;   // start of the first frame not completely sent: where a new peer starts
    private long _sent;       // handed to the socket
    private long _committed;  // flushed: the sender may send up to here
    private long _written;    // appended

    private long _frames;
    private long _stalls;
    private long _resentFrames;
    private PeerConnection? _peer; // set while a pump serves a connected outdev peer
    private bool _sending;         // a thread owns the send role
    private bool _pumpOwnsSend;    // ... and it is the pump (the socket was full, or a backlog was waiting)
    private bool _spaceWaiters;
    private bool _completed;

    public OutputBuffer(long capacity, bool vnetHeader, ILogger logger)
    {
        Capacity = capacity;
        _vnetHeader = vnetHeader;
        _headerLength = FrameCodec.HeaderLength(vnetHeader);
        _logger = logger;
        // Keep enough chunks for a full buffer plus what may be appended past it before the inputs pause (with
        // --workers N, the batches already queued to workers: a few MiB each).
        _maxSpareChunks = (int)Math.Min(int.MaxValue, (capacity + SpareSlackBytes) / ChunkSize + 1);
    }

    /// <summary>Bytes above which input threads wait in <see cref="WaitForSpace"/>.</summary>
    public long Capacity { get; }

    /// <summary>Bytes written by the engines and not yet sent to outdev.</summary>
    public long BufferedBytes => Volatile.Read(ref _written) - Volatile.Read(ref _sent);

    /// <summary>True while more than <see cref="Capacity"/> bytes wait: inputs should pause.</summary>
    public bool IsOverCapacity => BufferedBytes > Capacity;

    public long FramesWritten => Volatile.Read(ref _frames);

    public long BytesSent => Volatile.Read(ref _sent);

    /// <summary>Times an input had to wait for outdev (backpressure).</summary>
    public long Stalls => Interlocked.Read(ref _stalls);

    /// <summary>Frames sent again whole to a new outdev peer because the previous one went away in the middle of them.</summary>
    public long ResentFrames => Interlocked.Read(ref _resentFrames);

    /// <summary>Completes when, after <see cref="Complete"/>, everything was sent.</summary>
    public Task Drained => _drained.Task;

    /// <summary>Appends one released frame with the channel's framing. Never blocks.</summary>
    public void Write(ReadOnlySpan<byte> frame, int vnetHeaderLength)
    {
        Span<byte> header = stackalloc byte[FrameCodec.LengthFieldLength + FrameCodec.VnetFieldLength];
        header = header[..FrameCodec.WriteHeader(header, frame.Length, _vnetHeader, vnetHeaderLength)];
        bool wakePump = false;
        lock (_lock)
        {
            if (_completed)
                return;
            Append(header);
            Append(frame);
            Volatile.Write(ref _frames, _frames + 1);
            if (_written - _committed >= CommitThreshold)
            {
                _committed = _written;
                wakePump = HandToPumpLocked();
            }
        }
        if (wakePump)
            _pumpSignal.Set();
    }

    /// <summary>
    /// Makes appended frames sendable and sends what the socket takes now, on the calling thread (unless another
    /// thread is sending: it picks them up). Never blocks.
    /// </summary>
    public void Flush()
    {
        PeerConnection? peer;
        lock (_lock)
        {
            _committed = _written;
            peer = _peer;
            if (_sending || peer is null || _sent == _committed)
                return;
            _sending = true;
        }
        SendOutcome outcome = SendCommitted(peer);
        if (outcome == SendOutcome.Full)
            _pumpSignal.Set();
        else if (outcome == SendOutcome.Failed)
            peer.Abort();
    }

    /// <summary>
    /// Blocks the calling input thread while more than <see cref="Capacity"/> bytes wait for outdev, until at most half
    /// of it is left, the buffer completes or is aborted, or <paramref name="cancellationToken"/> fires.
    /// </summary>
    public void WaitForSpace(CancellationToken cancellationToken)
    {
        if (!IsOverCapacity)
            return;
        Interlocked.Increment(ref _stalls);
        while (true)
        {
            lock (_lock)
            {
                if (_completed || _abort.IsCancellationRequested || _written - _sent <= Capacity)
                    return;
                _spaceWaiters = true;
                _spaceSignal.Reset();
            }
            _spaceSignal.Wait(cancellationToken);
        }
    }

    /// <summary>No more frames: the pump ends once it has sent what is buffered.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_completed)
                return;
            _completed = true;
            _committed = _written;
            if (_sent == _written)
                _drained.TrySetResult();
            HandToPumpLocked();
            _spaceSignal.Set();
        }
        // Wakes the pump to send the rest, or to end when nothing is left.
        _pumpSignal.Set();
    }

    /// <summary>Stops waiting for outdev (shutdown timeout): waiting inputs return.</summary>
    public void Abort()
    {
        _abort.Cancel();
        // Under the lock: a waiter checks for abort and resets the signal under it, so this Set cannot be lost.
        lock (_lock)
            _spaceSignal.Set();
        _pumpSignal.Set();
    }

    /// <summary>
    /// Serves one connected outdev peer until it goes away, the buffer is drained after <see cref="Complete"/>, or
    /// <paramref name="cancellationToken"/> fires. The pump runs on a dedicated thread and a second thread watches for
    /// the peer closing; neither socket operation joins the runtime's event loop.
    /// </summary>
    public async Task PumpAsync(PeerConnection connection, CancellationToken cancellationToken)
    {
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        Task watch = StartThread("colo-outdev-watch", () => WatchForClose(connection.Socket, closed));
        try
        {
            await StartThread("colo-outdev", () => PumpCore(connection, closed.Token)).ConfigureAwait(false);
        }
        finally
        {
            await closed.CancelAsync().ConfigureAwait(false);
            try
            {
                // Ends the watcher's wait; outdev peers send nothing we need.
                connection.Socket.Shutdown(SocketShutdown.Receive);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
            await watch.ConfigureAwait(false);
        }
    }

    private static Task StartThread(string name, Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body();
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    private void PumpCore(PeerConnection connection, CancellationToken cancellationToken)
    {
        Socket socket = connection.Socket;
        // Sends never block: a full socket hands the role to this thread, which waits for room with poll.
        socket.Blocking = false;
        // A send blocked on a peer that stopped reading ends when we stop or give up on it.
        using CancellationTokenRegistration stop = cancellationToken.Register(static c => ((PeerConnection)c!).Abort(), connection);
        lock (_lock)
        {
            _peer = connection;
            HandToPumpLocked();
        }
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                bool owns;
                lock (_lock)
                {
                    if (_completed && _sent == _written)
                        return;
                    owns = _pumpOwnsSend;
                    if (!owns)
                        _pumpSignal.Reset();
                }
                if (!owns)
                {
                    _pumpSignal.Wait(cancellationToken);
                    continue;
                }
                switch (SendCommitted(connection))
                {
                    case SendOutcome.Failed:
                        return;
                    case SendOutcome.Full:
                        while (!socket.Poll(WritablePollMicroseconds, SelectMode.SelectWrite))
                        {
                            if (cancellationToken.IsCancellationRequested)
                                return;
                        }
                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Detach(connection);
        }
    }

    private enum SendOutcome
    {
        Done,
        Full,
        Failed,
    }

    /// <summary>
    /// Sends committed bytes; the caller owns the send role. <see cref="SendOutcome.Done"/>: all sent, role released;
    /// <see cref="SendOutcome.Full"/>: the socket is full, the role now belongs to the pump; <see cref="SendOutcome.Failed"/>:
    /// the peer is gone, role released.
    /// </summary>
    private SendOutcome SendCommitted(PeerConnection peer)
    {
        Socket socket = peer.Socket;
        int sent = 0;
        while (true)
        {
            byte[] chunk;
            int offset;
            int length;
            lock (_lock)
            {
                if (sent > 0)
                    AdvanceSentLocked(sent);
                if (_peer != peer)
                {
                    // Detached meanwhile (the peer went away, or shutdown): stop sending to it.
                    ReleaseSendLocked();
                    return SendOutcome.Failed;
                }
                if (_sent == _committed)
                {
                    ReleaseSendLocked();
                    return SendOutcome.Done;
                }
                chunk = _chunks[(_sent >> ChunkShift) & (_chunks.Length - 1)]!;
                offset = (int)(_sent & ChunkMask);
                length = (int)Math.Min(_committed - _sent, ChunkSize - offset);
            }

            SocketError error;
            try
            {
                sent = socket.Send(chunk.AsSpan(offset, length), SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                error = SocketError.Shutdown;
                sent = 0;
            }
            if (error == SocketError.Success)
                continue;

            lock (_lock)
            {
                if (error == SocketError.WouldBlock && _peer == peer)
                {
                    // The pump waits for room and goes on; a flushing thread hands the role over and returns.
                    _pumpOwnsSend = true;
                    return SendOutcome.Full;
                }
                ReleaseSendLocked();
                return SendOutcome.Failed;
            }
        }
    }

    private void ReleaseSendLocked()
    {
        _sending = false;
        _pumpOwnsSend = false;
        if (_completed && _sent == _written)
            _drained.TrySetResult();
    }

    /// <summary>Gives the send role to the pump when there is something to send and nobody sending.</summary>
    private bool HandToPumpLocked()
    {
        if (_sending || _peer is null || _sent == _committed)
            return false;
        _sending = true;
        _pumpOwnsSend = true;
        return true;
    }

    private void AdvanceSentLocked(int count)
    {
        Volatile.Write(ref _sent, _sent + count);

        // Move the frame boundary over every frame now sent completely, and recycle the chunks behind it.
        while (_sent - _boundary >= _headerLength)
        {
            long end = _boundary + _headerLength + ReadLengthWord(_boundary);
            if (end > _sent)
                break;
            _boundary = end;
        }
        while (_boundary - _released >= ChunkSize)
        {
            ref byte[]? slot = ref _chunks[(_released >> ChunkShift) & (_chunks.Length - 1)];
            if (_spareChunks.Count < _maxSpareChunks)
                _spareChunks.Push(slot!);
            slot = null;
            _released += ChunkSize;
        }

        if (_spaceWaiters && _written - _sent <= Capacity / 2)
        {
            _spaceWaiters = false;
            _spaceSignal.Set();
        }
    }

    /// <summary>The peer is gone: nobody sends to it any more, and unsent bytes restart at a frame boundary.</summary>
    private void Detach(PeerConnection connection)
    {
        var spin = new SpinWait();
        while (true)
        {
            lock (_lock)
            {
                if (_peer == connection)
                    _peer = null;
                // A flushing thread may be in a (non-blocking) send to this peer: let it finish.
                if (!_sending || _pumpOwnsSend)
                {
                    _sending = false;
                    _pumpOwnsSend = false;
                    if (_sent != _boundary)
                    {
                        Interlocked.Increment(ref _resentFrames);
                        LogPartialFrameResent(_logger, _sent - _boundary);
                        Volatile.Write(ref _sent, _boundary);
                    }
                    return;
                }
            }
            spin.SpinOnce();
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            long index = _written >> ChunkShift;
            if (index - (_released >> ChunkShift) >= _chunks.Length)
                GrowSlots();
            ref byte[]? slot = ref _chunks[index & (_chunks.Length - 1)];
            slot ??= _spareChunks.TryPop(out byte[]? spare) ? spare : new byte[ChunkSize];
            int offset = (int)(_written & ChunkMask);
            int count = Math.Min(data.Length, ChunkSize - offset);
            data[..count].CopyTo(slot.AsSpan(offset));
            data = data[count..];
            Volatile.Write(ref _written, _written + count);
        }
    }

    private void GrowSlots()
    {
        var slots = new byte[]?[_chunks.Length * 2];
        for (long index = _released >> ChunkShift; index <= (_written - 1) >> ChunkShift && _written > _released; index++)
            slots[index & (slots.Length - 1)] = _chunks[index & (_chunks.Length - 1)];
        _chunks = slots;
    }

    /// <summary>The length word of the frame at <paramref name="position"/> (once per frame sent: read in place when it can).</summary>
    private uint ReadLengthWord(long position)
    {
        byte[] chunk = _chunks[(position >> ChunkShift) & (_chunks.Length - 1)]!;
        int offset = (int)(position & ChunkMask);
        if (offset <= ChunkSize - FrameCodec.LengthFieldLength)
            return BinaryPrimitives.ReadUInt32BigEndian(chunk.AsSpan(offset));
        // The word straddles two chunks.
        Span<byte> word = stackalloc byte[FrameCodec.LengthFieldLength];
        int first = ChunkSize - offset;
        chunk.AsSpan(offset, first).CopyTo(word);
        _chunks[((position + first) >> ChunkShift) & (_chunks.Length - 1)]!.AsSpan(0, word.Length - first).CopyTo(word[first..]);
        return BinaryPrimitives.ReadUInt32BigEndian(word);
    }

    private static void WatchForClose(Socket socket, CancellationTokenSource closed)
    {
        // outdev peers send nothing; receiving only tells us when they go away. Poll first: a thread blocked in recv
        // would also be woken each time the peer reads (the socket's wait queue is shared with writers).
        Span<byte> discard = stackalloc byte[512];
        try
        {
            while (!closed.IsCancellationRequested)
            {
                if (!socket.Poll(-1, SelectMode.SelectRead))
                    continue;
                int received = socket.Receive(discard, SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                    continue;
                if (received == 0 || error != SocketError.Success)
                    break;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        try
        {
            closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
