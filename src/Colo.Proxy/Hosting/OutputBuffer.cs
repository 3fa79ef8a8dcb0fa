using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Framing;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

/// <summary>
/// Released frames on their way to outdev: a bounded pipe. Engine workers write framed bytes into it (under a lock:
/// several shards share it; each shard's writes are in its release order, so no flow is reordered). One pump copies
/// the pipe to the connected outdev peer; with no peer the bytes wait. When the pipe holds
/// <see cref="Capacity"/> bytes the writing worker blocks, its queue fills, and the inputs stop being read
/// (backpressure): nothing is dropped.
/// </summary>
internal sealed partial class OutputBuffer
{
    private const int FlushThreshold = 64 * 1024;

    // Pipe segments as large as a flush: a send covers many frames, not 4 KiB.
    private const int SegmentSize = 64 * 1024;

    // Segments smaller than this are gathered into one contiguous send of up to GatherSize bytes.
    private const int GatherSize = 256 * 1024;

    private readonly Pipe _pipe;
    private readonly Lock _lock = new();
    private readonly bool _vnetHeader;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Set whenever bytes became visible to the pump (or the buffer completed): the pump thread waits on it.
    private readonly ManualResetEventSlim _dataReady = new(false, spinCount: 0);
    private long _unflushed;
    private long _written;
    private long _sent;
    private long _frames;
    private long _stalls;
    private bool _completed;

    public OutputBuffer(long capacity, bool vnetHeader, ILogger logger)
    {
        Capacity = capacity;
        _vnetHeader = vnetHeader;
        _logger = logger;
        _pipe = new Pipe(new PipeOptions(
            pauseWriterThreshold: capacity,
            resumeWriterThreshold: capacity / 2,
            readerScheduler: PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.Inline,
            minimumSegmentSize: SegmentSize,
            useSynchronizationContext: false));
    }

    public long Capacity { get; }

    /// <summary>Bytes written by the engines and not yet sent to outdev.</summary>
    public long BufferedBytes => Interlocked.Read(ref _written) + Interlocked.Read(ref _unflushed) - Interlocked.Read(ref _sent);

    public long FramesWritten => Interlocked.Read(ref _frames);

    public long BytesSent => Interlocked.Read(ref _sent);

    /// <summary>Times a worker had to wait for outdev (backpressure).</summary>
    public long Stalls => Interlocked.Read(ref _stalls);

    /// <summary>Completes when, after <see cref="Complete"/>, everything was sent.</summary>
    public Task Drained => _drained.Task;

    /// <summary>Appends one released frame with the channel's framing. Called on a worker thread.</summary>
    public void Write(ReadOnlySpan<byte> frame, int vnetHeaderLength)
    {
        lock (_lock)
        {
            if (_completed)
                return;
            FrameCodec.WriteFrame(_pipe.Writer, frame, _vnetHeader, vnetHeaderLength);
            _frames++;
            _unflushed += FrameCodec.HeaderLength(_vnetHeader) + frame.Length;
            if (_unflushed >= FlushThreshold)
                FlushLocked();
        }
    }

    /// <summary>Makes written frames visible to the pump; blocks while the buffer is full (backpressure).</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (_unflushed > 0 && !_completed)
                FlushLocked();
        }
    }

    private void FlushLocked()
    {
        Interlocked.Add(ref _written, _unflushed);
        Interlocked.Exchange(ref _unflushed, 0);
        if (_abort.IsCancellationRequested)
            return;
        ValueTask<FlushResult> flush = _pipe.Writer.FlushAsync(_abort.Token);
        _dataReady.Set();
        if (flush.IsCompleted)
        {
            flush.GetAwaiter().GetResult();
            return;
        }
        Interlocked.Increment(ref _stalls);
        try
        {
            flush.AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // Shutdown gave up on outdev; the bytes stay in the pipe.
        }
    }

    /// <summary>No more frames: the pump ends once it has sent what is buffered.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_completed)
                return;
            if (_unflushed > 0)
                FlushLocked();
            _completed = true;
            _pipe.Writer.Complete();
            _dataReady.Set();
        }
    }

    /// <summary>Stops waiting for outdev (shutdown timeout): blocked writers return.</summary>
    public void Abort() => _abort.Cancel();

    /// <summary>
    /// Copies buffered frames to <paramref name="connection"/> until it closes or the buffer completes. The copying
    /// runs on a dedicated thread with blocking sends, and a second thread watches for the peer closing with a blocking
    /// receive: the socket never joins the runtime's event loop, so a released frame costs no thread-pool wake-ups.
    /// </summary>
    public async Task PumpAsync(PeerConnection connection, CancellationToken cancellationToken)
    {
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
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
                // Ends the watcher's receive; outdev peers send nothing we need.
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
        PipeReader reader = _pipe.Reader;
        // A send blocked on a peer that stopped reading ends when we stop or give up on it.
        using CancellationTokenRegistration stop = cancellationToken.Register(static c => ((PeerConnection)c!).Abort(), connection);
        byte[] gather = ArrayPool<byte>.Shared.Rent(GatherSize);
        try
        {
            while (true)
            {
                if (!reader.TryRead(out ReadResult result))
                {
                    try
                    {
                        _dataReady.Wait(cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    _dataReady.Reset();
                    continue;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                long consumed = 0;
                bool failed = false;
                try
                {
                    // One send per large segment, or per up to GatherSize bytes of smaller ones copied together.
                    while (consumed < buffer.Length)
                    {
                        ReadOnlySequence<byte> rest = buffer.Slice(consumed);
                        ReadOnlySpan<byte> chunk;
                        if (rest.First.Length >= SegmentSize / 2 || rest.IsSingleSegment)
                        {
                            chunk = rest.FirstSpan;
                        }
                        else
                        {
                            int length = (int)Math.Min(rest.Length, gather.Length);
                            rest.Slice(0, length).CopyTo(gather);
                            chunk = gather.AsSpan(0, length);
                        }
                        while (!chunk.IsEmpty)
                        {
                            int sent = socket.Send(chunk, SocketFlags.None);
                            chunk = chunk[sent..];
                            consumed += sent;
                            Interlocked.Add(ref _sent, sent);
                        }
                    }
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    // What was not written stays buffered for the next peer.
                    failed = true;
                }
                finally
                {
                    reader.AdvanceTo(buffer.GetPosition(consumed));
                }

                if (failed || cancellationToken.IsCancellationRequested)
                    return;
                if (result.IsCompleted)
                {
                    _drained.TrySetResult();
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(gather);
        }
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
                if (socket.Poll(-1, SelectMode.SelectRead) && socket.Receive(discard, SocketFlags.None) == 0)
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
