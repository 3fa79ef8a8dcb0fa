using System.Net.Sockets;

namespace Colo.LoadGen;

/// <summary>
/// <c>colo-loadgen null-forwarder</c>: listens like a comparator, copies the primary byte stream to outdev unchanged
/// (framing included), reads and discards the secondary and notify. No parsing, no comparison: the socket limit.
/// </summary>
internal static class NullForwarder
{
    public const string Usage = """
        colo-loadgen null-forwarder --primary-in EP --secondary-in EP --outdev EP [--notify-dev EP]
                                    [--socket-buffer N] [--keep-running] [--max-seconds S]
          Listens on all endpoints (unix:PATH or tcp:HOST:PORT; ,server accepted). Exits when the primary connection
          closes, unless --keep-running; always exits after --max-seconds (default 3600).
        """;

    public static int Run(IReadOnlyList<string> args)
    {
        var reader = new ArgReader(args, new HashSet<string>(StringComparer.Ordinal) { "--keep-running" });
        Endpoint primaryIn = Endpoint.Parse(reader.Required("--primary-in"));
        Endpoint secondaryIn = Endpoint.Parse(reader.Required("--secondary-in"));
        Endpoint outdevEndpoint = Endpoint.Parse(reader.Required("--outdev"));
        string? notifyText = reader.String("--notify-dev");
        int buffer = (int)reader.Long("--socket-buffer", 4 * 1024 * 1024, 0, 1 << 30);
        bool keepRunning = reader.Has("--keep-running");
        double maxSeconds = reader.Double("--max-seconds", 3600, 1, 86400);
        reader.RejectUnknown();

        using Socket primaryListener = primaryIn.Listen(buffer);
        using Socket secondaryListener = secondaryIn.Listen(buffer);
        using Socket outdevListener = outdevEndpoint.Listen(buffer);
        using Socket? notifyListener = notifyText is null ? null : Endpoint.Parse(notifyText).Listen(64 * 1024);
        Console.Error.WriteLine($"null-forwarder: listening (primary {primaryIn}, secondary {secondaryIn}, outdev {outdevEndpoint})");

        using var done = new ManualResetEventSlim();
        var outdev = new OutdevSlot();
        StartThread("outdev-accept", () => AcceptOutdev(outdevListener, outdev, done));
        StartThread("secondary", () => Discard(secondaryListener, done));
        if (notifyListener is not null)
            StartThread("notify", () => Discard(notifyListener, done));
        StartThread("primary", () => ForwardPrimary(primaryListener, outdev, buffer, keepRunning, done));

        done.Wait(TimeSpan.FromSeconds(maxSeconds));
        return 0;
    }

    /// <summary>The current outdev connection; the primary copier waits for one.</summary>
    private sealed class OutdevSlot
    {
        private readonly object _gate = new();
        private Socket? _socket;

        public void Set(Socket socket)
        {
            lock (_gate)
            {
                _socket?.Dispose();
                _socket = socket;
                Monitor.PulseAll(_gate);
            }
        }

        public Socket? WaitFor(ManualResetEventSlim done)
        {
            lock (_gate)
            {
                while (_socket is null && !done.IsSet)
                    Monitor.Wait(_gate, 100);
                return _socket;
            }
        }
    }

    private static void AcceptOutdev(Socket listener, OutdevSlot slot, ManualResetEventSlim done)
    {
        try
        {
            while (!done.IsSet)
                slot.Set(listener.Accept());
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private static void ForwardPrimary(Socket listener, OutdevSlot slot, int bufferBytes, bool keepRunning, ManualResetEventSlim done)
    {
        byte[] buffer = new byte[Math.Max(1 << 20, bufferBytes / 4)];
        try
        {
            do
            {
                using Socket primary = listener.Accept();
                Socket? outdev = slot.WaitFor(done);
                if (outdev is null)
                    return;
                while (true)
                {
                    int read = primary.Receive(buffer, SocketFlags.None);
                    if (read <= 0)
                        break;
                    try
                    {
                        SocketTuning.SendAll(outdev, buffer.AsSpan(0, read));
                    }
                    catch (Exception ex) when (ex is SocketException or IOException)
                    {
                        // outdev went away: like QEMU, what is released meanwhile is lost; pick up a new one.
                        outdev = slot.WaitFor(done);
                        if (outdev is null)
                            return;
                    }
                }
            }
            while (keepRunning && !done.IsSet);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            done.Set();
        }
    }

    private static void Discard(Socket listener, ManualResetEventSlim done)
    {
        byte[] buffer = new byte[1 << 20];
        try
        {
            while (!done.IsSet)
            {
                using Socket socket = listener.Accept();
                while (socket.Receive(buffer, SocketFlags.None) > 0)
                {
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private static void StartThread(string name, ThreadStart body)
    {
        var thread = new Thread(body) { Name = name, IsBackground = true };
        thread.Start();
    }
}
