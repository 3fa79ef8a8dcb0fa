using Colo.Compare;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Framing;
using Colo.Proxy.Metrics;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

/// <summary>
/// One input side (primary_in or secondary_in): each connection its endpoint accepts or makes is read by a thread of
/// its own with blocking receives (one system call per read and a direct wake-up by the kernel, instead of an
/// event-loop thread handing every read to the thread pool), its frames handed to the shards by an
/// <see cref="InputHandler"/>. How a connection ended is counted and logged here.
/// </summary>
internal sealed partial class InputServer(Side side, SocketEndpoint endpoint, EngineShards shards, ProxyOptions options, ILogger logger)
{
    public InputStats Stats { get; } = new();

    public Task RunAsync(CancellationToken cancellationToken) => endpoint.RunAsync(ServeAsync, cancellationToken);

    private async Task ServeAsync(PeerConnection connection, CancellationToken cancellationToken)
    {
        var reader = new FrameReader(options.VnetHdrSupport, options.MaxFrameLength);
        var handler = new InputHandler(side, shards.Workers, Stats);
        try
        {
            FrameReadResult result = await ReadOnOwnThreadAsync(reader, handler, connection, cancellationToken).ConfigureAwait(false);
            switch (result)
            {
                case FrameReadResult.Oversize:
                    Interlocked.Increment(ref Stats.Oversize);
                    LogOversize(logger, endpoint.Name, connection.Remote, reader.OversizeLength, options.MaxFrameLength);
                    if (reader.FirstFrameLooksVnetFramed)
                        LogPeerSendsVnetWords(logger, endpoint.Name, connection.Remote);
                    break;
                case FrameReadResult.VnetMismatch:
                    Interlocked.Increment(ref Stats.VnetMismatch);
                    LogVnetMismatch(logger, endpoint.Name, connection.Remote, reader.ImplausibleVnet.VnetHeaderLength, reader.ImplausibleVnet.FrameLength);
                    break;
                case FrameReadResult.ClosedMidFrame:
                    Interlocked.Increment(ref Stats.ClosedMidFrame);
                    LogClosedMidFrame(logger, endpoint.Name, connection.Remote);
                    break;
            }
        }
        finally
        {
            handler.Reset();
            Interlocked.Add(ref Stats.EmptyFrames, reader.EmptyFrames);
            if (reader.EmptyFrames > 0)
                LogEmptyFrames(logger, endpoint.Name, reader.EmptyFrames);
        }
    }

    private Task<FrameReadResult> ReadOnOwnThreadAsync(FrameReader reader, InputHandler handler, PeerConnection connection, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<FrameReadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                // Cancellation must also shut the socket down to end a blocking receive.
                using CancellationTokenRegistration stop = cancellationToken.Register(static c => ((PeerConnection)c!).Abort(), connection);
                done.TrySetResult(reader.RunBlocking(connection.Socket, handler, cancellationToken));
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = side == Side.Primary ? "colo-primary-in" : "colo-secondary-in",
        };
        thread.Start();
        return done.Task;
    }
}
