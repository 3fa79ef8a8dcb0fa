using Colo.Proxy.Endpoints;
using Colo.Proxy.Framing;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

/// <summary>
/// Released frames on their way to outdev: a <see cref="FramedChunkQueue"/> behind a lock, and who sends from it.
/// Engines append (several shards share the buffer; each appends in its release order, so no flow is reordered) and
/// then <see cref="Flush"/>: the flushing thread sends what it can at once with a non-blocking send, so a released
/// frame usually costs one system call and no thread wake-up. Only when the socket is full does the send role pass to
/// the pump (<see cref="OutdevSender"/>), which waits for room and sends until the buffer is empty.
/// <para>
/// The capacity holds everywhere: appending never blocks, but whoever appends waits first in <see cref="WaitForSpace"/>
/// while more than <see cref="Capacity"/> bytes wait: input threads before they hand frames over, engines before each
/// release (<see cref="ShardSink"/>), so a checkpoint that releases a whole queue moves it out at outdev's pace and
/// the buffer holds at most a frame per engine past the capacity. Nothing is dropped while outdev may still come:
/// unsent bytes wait for the next peer from a frame boundary. After <see cref="Abort"/> (the shutdown timeout) or
/// <see cref="Complete"/>, frames still released are not kept and count as <see cref="UndeliveredFrames"/>.
/// </para>
/// </summary>
internal sealed partial class OutputBuffer
{
    // Unflushed bytes after which an append makes them visible to the pump (a long checkpoint release starts moving).
    private const int CommitThreshold = 1 << FramedChunkQueue.DefaultChunkShift;

    // Spare chunks kept beyond the capacity: frames appended past it before their writers wait.
    private const long SpareSlackBytes = 8L * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly FramedChunkQueue _queue;
    private readonly bool _vnetHeader;
    private readonly ILogger _logger;
    private readonly ManualResetEventSlim _pumpSignal = new(false, spinCount: 0);
    private readonly ManualResetEventSlim _spaceSignal = new(true, spinCount: 0);
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private long _peakBuffered;
    private long _discarded;
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
        _logger = logger;
        _queue = new FramedChunkQueue(FrameCodec.HeaderLength(vnetHeader), capacity + SpareSlackBytes);
    }

    /// <summary>Bytes above which writers and inputs wait in <see cref="WaitForSpace"/>.</summary>
    public long Capacity { get; }

    /// <summary>Bytes released by the engines and not yet sent to outdev (read without the lock: may be a frame old).</summary>
    public long BufferedBytes => _queue.Buffered;

    /// <summary>The most bytes buffered at once so far.</summary>
    public long PeakBufferedBytes => Volatile.Read(ref _peakBuffered);

    /// <summary>True while more than <see cref="Capacity"/> bytes wait.</summary>
    public bool IsOverCapacity => BufferedBytes > Capacity;

    public long FramesWritten => _queue.FramesAppended;

    public long BytesSent => _queue.Sent;

    /// <summary>Times a writer or an input had to wait for outdev (backpressure).</summary>
    public long Stalls => Interlocked.Read(ref _stalls);

    /// <summary>Frames sent again whole to a new outdev peer because the previous one went away in the middle of them.</summary>
    public long ResentFrames => Interlocked.Read(ref _resentFrames);

    /// <summary>Frames released that no outdev peer received: still buffered, or released after the buffer gave up.</summary>
    public long UndeliveredFrames
    {
        get
        {
            lock (_lock)
                return _discarded + _queue.FramesUnsent;
        }
    }

    /// <summary>Completes when, after <see cref="Complete"/>, everything was sent.</summary>
    public Task Drained => _drained.Task;

    /// <summary>Fires on <see cref="Abort"/>: a pump stops waiting for a peer that does not read.</summary>
    internal CancellationToken Aborted => _abort.Token;

    /// <summary>Appends one released frame with the channel's framing. Never blocks (writers wait in <see cref="WaitForSpace"/> first).</summary>
    public void Write(ReadOnlySpan<byte> frame, int vnetHeaderLength)
    {
        Span<byte> header = stackalloc byte[FrameCodec.LengthFieldLength + FrameCodec.VnetFieldLength];
        header = header[..FrameCodec.WriteHeader(header, frame.Length, _vnetHeader, vnetHeaderLength)];
        bool wakePump = false;
        lock (_lock)
        {
            if (_completed || _abort.IsCancellationRequested)
            {
                // Given up on outdev (or shutting down): kept, it would only grow the buffer past its cap.
                _discarded++;
                return;
            }
            _queue.Append(header, frame);
            if (_queue.Buffered > _peakBuffered)
                Volatile.Write(ref _peakBuffered, _queue.Buffered);
            if (_queue.Written - _queue.Committed >= CommitThreshold)
            {
                _queue.Commit();
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
            _queue.Commit();
            peer = _peer;
            if (_sending || peer is null || _queue.Sent == _queue.Committed)
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
    /// Blocks the calling thread while more than <see cref="Capacity"/> bytes wait for outdev, until at most half of it
    /// is left, the buffer completes or is aborted, or <paramref name="cancellationToken"/> fires. What is buffered is
    /// made sendable and given to the pump first, so the wait cannot be for bytes nobody may send.
    /// </summary>
    public void WaitForSpace(CancellationToken cancellationToken)
    {
        if (!IsOverCapacity)
            return;
        Interlocked.Increment(ref _stalls);
        while (true)
        {
            bool wakePump;
            lock (_lock)
            {
                if (_completed || _abort.IsCancellationRequested || _queue.Buffered <= Capacity)
                    return;
                _queue.Commit();
                wakePump = HandToPumpLocked();
                _spaceWaiters = true;
                _spaceSignal.Reset();
            }
            if (wakePump)
                _pumpSignal.Set();
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
            _queue.Commit();
            if (_queue.Sent == _queue.Written)
                _drained.TrySetResult();
            HandToPumpLocked();
            _spaceSignal.Set();
        }
        // Wakes the pump to send the rest, or to end when nothing is left.
        _pumpSignal.Set();
    }

    /// <summary>Stops waiting for outdev (shutdown timeout): waiting writers return, later frames are not kept.</summary>
    public void Abort()
    {
        _abort.Cancel();
        // Under the lock: a waiter checks for abort and resets the signal under it, so this Set cannot be lost.
        lock (_lock)
            _spaceSignal.Set();
        _pumpSignal.Set();
    }
}
