using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Colo.Proxy.Checkpoints;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Framing;
using Colo.Proxy.Logging;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Notify;

/// <summary>
/// Xen COLO's notify_dev: libxl connects (usually over TCP) and speaks <c>BE32 len</c> framed ASCII with no NUL and
/// never a vnet word. Xen sends <c>COLO_USERSPACE_PROXY_INIT</c> (we answer <c>COLO_COMPARE_GET_XEN_INIT</c>) and
/// <c>COLO_CHECKPOINT</c> (a checkpoint completed); we send <c>DO_CHECKPOINT</c>.
/// </summary>
public sealed partial class XenNotifyChannel : ICheckpointChannel
{
    public const string ProxyInit = "COLO_USERSPACE_PROXY_INIT";
    public const string ProxyInitReply = "COLO_COMPARE_GET_XEN_INIT";
    public const string CheckpointDone = "COLO_CHECKPOINT";
    public const string DoCheckpoint = "DO_CHECKPOINT";

    /// <summary>Notify messages are short; anything longer is a broken peer.</summary>
    public const int MaxMessageLength = 4096;

    private static readonly byte[] DoCheckpointFrame = FrameCodec.Encode(Encoding.ASCII.GetBytes(DoCheckpoint));
    private static readonly byte[] ProxyInitReplyFrame = FrameCodec.Encode(Encoding.ASCII.GetBytes(ProxyInitReply));

    private readonly SocketEndpoint _endpoint;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private volatile PeerConnection? _connection;
    private ICheckpointEvents? _events;
    private Task _run = Task.CompletedTask;

    // A peer that keeps sending something unknown must not flood the journal.
    private readonly LogRateLimiter _unsupportedLog;

    public XenNotifyChannel(SocketEndpoint endpoint, ILogger logger, TimeProvider? time = null)
    {
        _endpoint = endpoint;
        _logger = logger;
        _unsupportedLog = new LogRateLimiter(time ?? TimeProvider.System, TimeSpan.FromMinutes(1));
    }

    public string Name => "xen-notify";

    public bool IsConnected => _connection is not null;

    /// <summary>Server mode: the bound address.</summary>
    public EndPoint? LocalEndPoint => _endpoint.LocalEndPoint;

    public long RequestsSent { get; private set; }

    public Task StartAsync(ICheckpointEvents events, CancellationToken cancellationToken)
    {
        _events = events;
        _endpoint.Bind();
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        _run = _endpoint.RunAsync(ServeAsync, linked.Token).ContinueWith(_ => linked.Dispose(), TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public async ValueTask<bool> RequestCheckpointAsync(string reason, CancellationToken cancellationToken)
    {
        if (_connection is not { } connection)
            return false;
        bool sent = await SendAsync(connection, DoCheckpointFrame, cancellationToken).ConfigureAwait(false);
        if (sent)
        {
            RequestsSent++;
            LogSentDoCheckpoint(_logger, reason);
        }
        return sent;
    }

    private async Task<bool> SendAsync(PeerConnection connection, byte[] frame, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.Stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ServeAsync(PeerConnection connection, CancellationToken cancellationToken)
    {
        _connection = connection;
        _events?.PeerChanged(Name, true);
        try
        {
            var handler = new MessageHandler(this, connection);
            var reader = new FrameReader(vnetHeader: false, MaxMessageLength);
            FrameReadResult result = await reader.RunAsync(connection.Input, handler, cancellationToken).ConfigureAwait(false);
            if (result == FrameReadResult.Oversize)
                LogOversize(_logger, reader.OversizeLength);
        }
        finally
        {
            _connection = null;
            _events?.PeerChanged(Name, false);
        }
    }

    private void OnMessage(ReadOnlySpan<byte> payload, List<byte[]> replies)
    {
        if (payload.SequenceEqual("COLO_CHECKPOINT"u8))
        {
            LogCheckpointDone(_logger);
            _events?.CheckpointCompleted(Name);
        }
        else if (payload.SequenceEqual("COLO_USERSPACE_PROXY_INIT"u8))
        {
            LogHandshake(_logger);
            replies.Add(ProxyInitReplyFrame);
        }
        else
        {
            if (_logger.IsEnabled(LogLevel.Debug) && _unsupportedLog.TryAcquire("unsupported", out long suppressed))
            {
                // Printable for the log; bounded length.
                string text = Encoding.ASCII.GetString(payload[..Math.Min(payload.Length, 64)]);
                LogUnsupported(_logger, text, payload.Length, suppressed);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _connection?.Abort();
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _endpoint.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _writeLock.Dispose();
    }

    private sealed class MessageHandler(XenNotifyChannel owner, PeerConnection connection) : IFrameHandler
    {
        private readonly List<byte[]> _replies = [];

        public void OnReadStarted()
        {
        }

        public void OnFrame(ReadOnlySpan<byte> frame, int vnetHeaderLength) => owner.OnMessage(frame, _replies);

        public async ValueTask OnReadCompletedAsync(CancellationToken cancellationToken)
        {
            foreach (byte[] reply in _replies)
                await owner.SendAsync(connection, reply, cancellationToken).ConfigureAwait(false);
            _replies.Clear();
        }
    }
}
