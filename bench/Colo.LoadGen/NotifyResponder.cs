using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Colo.LoadGen;

/// <summary>
/// Plays Xen on notify_dev: sends <c>COLO_USERSPACE_PROXY_INIT</c>, and answers <c>DO_CHECKPOINT</c> with
/// <c>COLO_CHECKPOINT</c> after a delay (requests arriving during the delay are covered by the same checkpoint).
/// Notify frames are <c>BE32 len</c> + ASCII, never with a vnet word.
/// </summary>
internal sealed class NotifyResponder
{
    private static readonly byte[] DoCheckpoint = Encoding.ASCII.GetBytes("DO_CHECKPOINT");
    private static readonly byte[] ProxyInit = Encoding.ASCII.GetBytes("COLO_USERSPACE_PROXY_INIT");
    private static readonly byte[] CheckpointDone = Encoding.ASCII.GetBytes("COLO_CHECKPOINT");

    private readonly Socket _socket;
    private readonly TimeSpan _delay;
    private readonly object _gate = new();
    private int _pending;
    private volatile bool _stopping;

    public NotifyResponder(Socket socket, TimeSpan delay)
    {
        _socket = socket;
        _delay = delay;
    }

    public long Requests { get; private set; }

    public long Checkpoints { get; private set; }

    public long OtherMessages { get; private set; }

    public void SendInit() => Send(ProxyInit);

    public void RunReader()
    {
        byte[] buffer = new byte[64 * 1024];
        int filled = 0;
        try
        {
            while (true)
            {
                int read = _socket.Receive(buffer.AsSpan(filled), SocketFlags.None);
                if (read <= 0)
                    break;
                filled += read;
                int consumed = 0;
                while (filled - consumed >= 4)
                {
                    int length = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(consumed));
                    if (length < 0 || length > buffer.Length - 4)
                        throw new IOException($"notify_dev sent a frame length of {length}.");
                    if (filled - consumed < 4 + length)
                        break;
                    ReadOnlySpan<byte> message = buffer.AsSpan(consumed + 4, length);
                    if (message.SequenceEqual(DoCheckpoint))
                    {
                        lock (_gate)
                        {
                            Requests++;
                            _pending++;
                            Monitor.PulseAll(_gate);
                        }
                    }
                    else
                    {
                        OtherMessages++;
                    }

                    consumed += 4 + length;
                }

                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            Stop();
        }
    }

    /// <summary>Answers pending requests until <see cref="Stop"/>.</summary>
    public void RunResponder()
    {
        try
        {
            while (true)
            {
                lock (_gate)
                {
                    while (_pending == 0 && !_stopping)
                        Monitor.Wait(_gate, 100);
                    if (_pending == 0 && _stopping)
                        return;
                }

                if (_delay > TimeSpan.Zero)
                    Thread.Sleep(_delay);
                lock (_gate)
                    _pending = 0;
                Send(CheckpointDone);
                Checkpoints++;
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
        }
    }

    public void Stop()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
    }

    private void Send(byte[] message)
    {
        byte[] frame = new byte[4 + message.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, message.Length);
        message.CopyTo(frame, 4);
        lock (_socket)
            SocketTuning.SendAll(_socket, frame);
    }
}
