using System.Net.Sockets;
using Colo.Proxy.Endpoints;

namespace Colo.Proxy.Hosting;

/// <summary>
/// The threads around one connected outdev peer: the pump, which sends from the <see cref="OutputBuffer"/> whenever it
/// holds the send role and waits with poll(2) while the socket is full, and a watcher that notices the peer closing.
/// Neither joins the runtime's event loop. What is sent, from where, and who may send, the buffer decides.
/// </summary>
internal sealed class OutdevSender(OutputBuffer output)
{
    // How often a pump waiting for room in the socket looks at its cancellation token.
    private const int WritablePollMicroseconds = 100_000;

    /// <summary>
    /// Serves one connected outdev peer until it goes away, the buffer is drained after <see cref="OutputBuffer.Complete"/>,
    /// the buffer is aborted, or <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task PumpAsync(PeerConnection connection, CancellationToken cancellationToken)
    {
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, output.Aborted);
        Task watch = StartThread("colo-outdev-watch", () => WatchForClose(connection.Socket, closed));
        try
        {
            await StartThread("colo-outdev", () => Pump(connection, closed.Token)).ConfigureAwait(false);
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

    private void Pump(PeerConnection connection, CancellationToken cancellationToken)
    {
        Socket socket = connection.Socket;
        // Sends never block: a full socket hands the role to this thread, which waits for room with poll.
        socket.Blocking = false;
        // A send blocked on a peer that stopped reading ends when we stop or give up on it.
        using CancellationTokenRegistration stop = cancellationToken.Register(static c => ((PeerConnection)c!).Abort(), connection);
        output.Attach(connection);
        try
        {
            while (!cancellationToken.IsCancellationRequested && output.WaitForSendRole(cancellationToken))
            {
                switch (output.SendCommitted(connection))
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
            output.Detach(connection);
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
