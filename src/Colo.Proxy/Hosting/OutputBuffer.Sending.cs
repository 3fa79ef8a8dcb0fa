using System.Net.Sockets;
using Colo.Proxy.Endpoints;

namespace Colo.Proxy.Hosting;

// The sending side: the send role (who may send: a flushing thread, or the pump once the socket was full), and the
// calls OutdevSender makes for the peer it serves.
internal sealed partial class OutputBuffer
{
    /// <summary>A peer connected: it is sent to from now on, starting with whatever waits.</summary>
    internal void Attach(PeerConnection connection)
    {
        lock (_lock)
        {
            _peer = connection;
            HandToPumpLocked();
        }
    }

    /// <summary>Blocks the pump until it owns the send role; false once everything was sent after <see cref="Complete"/>.</summary>
    internal bool WaitForSendRole(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_completed && _queue.Sent == _queue.Written)
                    return false;
                if (_pumpOwnsSend)
                    return true;
                _pumpSignal.Reset();
            }
            _pumpSignal.Wait(cancellationToken);
        }
    }

    /// <summary>
    /// Sends committed bytes; the caller owns the send role. <see cref="SendOutcome.Done"/>: all sent, role released;
    /// <see cref="SendOutcome.Full"/>: the socket is full, the role now belongs to the pump; <see cref="SendOutcome.Failed"/>:
    /// the peer is gone, role released.
    /// </summary>
    internal SendOutcome SendCommitted(PeerConnection peer)
    {
        Socket socket = peer.Socket;
        int sent = 0;
        while (true)
        {
            ArraySegment<byte> segment;
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
                if (!_queue.TryGetSendable(out segment))
                {
                    ReleaseSendLocked();
                    return SendOutcome.Done;
                }
            }

            SocketError error;
            try
            {
                sent = socket.Send(segment.AsSpan(), SocketFlags.None, out error);
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

    /// <summary>The peer is gone: nobody sends to it any more, and unsent bytes restart at a frame boundary.</summary>
    internal void Detach(PeerConnection connection)
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
                    long partial = _queue.RewindToBoundary();
                    if (partial > 0)
                    {
                        Interlocked.Increment(ref _resentFrames);
                        LogPartialFrameResent(_logger, partial);
                    }
                    return;
                }
            }
            spin.SpinOnce();
        }
    }

    private void ReleaseSendLocked()
    {
        _sending = false;
        _pumpOwnsSend = false;
        if (_completed && _queue.Sent == _queue.Written)
            _drained.TrySetResult();
    }

    /// <summary>Gives the send role to the pump when there is something to send and nobody sending.</summary>
    private bool HandToPumpLocked()
    {
        if (_sending || _peer is null || _queue.Sent == _queue.Committed)
            return false;
        _sending = true;
        _pumpOwnsSend = true;
        return true;
    }

    private void AdvanceSentLocked(int count)
    {
        _queue.AdvanceSent(count);
        if (_spaceWaiters && _queue.Buffered <= Capacity / 2)
        {
            _spaceWaiters = false;
            _spaceSignal.Set();
        }
    }
}
