using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Colo.LoadGen;

/// <summary>
/// A socket address in the comparator's syntax: <c>unix:PATH[,server]</c> or <c>tcp:HOST:PORT[,server]</c>.
/// The load generator always connects; the null forwarder always listens (the <c>,server</c> suffix is accepted and
/// ignored so the same strings work for both).
/// </summary>
internal sealed class Endpoint
{
    private Endpoint(string text, EndPoint address, bool isUnix)
    {
        Text = text;
        Address = address;
        IsUnix = isUnix;
    }

    public string Text { get; }

    public EndPoint Address { get; }

    public bool IsUnix { get; }

    public static Endpoint Parse(string text)
    {
        string body = text;
        int comma = body.IndexOf(',', StringComparison.Ordinal);
        if (comma >= 0)
        {
            string suffix = body[(comma + 1)..];
            if (suffix != "server")
                throw new FormatException($"endpoint '{text}': unknown option '{suffix}' (only ',server' is accepted).");
            body = body[..comma];
        }

        if (body.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = body[5..];
            if (path.Length == 0)
                throw new FormatException($"endpoint '{text}': empty unix socket path.");
            return new Endpoint(text, new UnixDomainSocketEndPoint(path), isUnix: true);
        }

        if (body.StartsWith("tcp:", StringComparison.Ordinal))
        {
            string hostPort = body[4..];
            int colon = hostPort.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port)
                || port is < 1 or > 65535)
                throw new FormatException($"endpoint '{text}': expected tcp:HOST:PORT.");
            string host = hostPort[..colon].Trim('[', ']');
            IPAddress address = host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(host);
            return new Endpoint(text, new IPEndPoint(address, port), isUnix: false);
        }

        throw new FormatException($"endpoint '{text}': expected unix:PATH or tcp:HOST:PORT.");
    }

    public Socket CreateSocket()
    {
        Socket socket = IsUnix
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (!IsUnix)
            socket.NoDelay = true;
        return socket;
    }

    /// <summary>Connects, retrying until <paramref name="timeout"/> (the comparator may still be starting).</summary>
    public Socket Connect(TimeSpan timeout, int bufferBytes)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Socket socket = CreateSocket();
            SocketTuning.SetBuffers(socket, bufferBytes);
            try
            {
                socket.Connect(Address);
                return socket;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                Thread.Sleep(50);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>Binds and listens (a stale unix socket file is removed first).</summary>
    public Socket Listen(int bufferBytes)
    {
        if (Address is UnixDomainSocketEndPoint unix)
        {
            string path = unix.ToString();
            if (File.Exists(path))
                File.Delete(path);
        }

        Socket socket = CreateSocket();
        SocketTuning.SetBuffers(socket, bufferBytes);
        if (!IsUnix)
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(Address);
        socket.Listen(4);
        return socket;
    }

    public override string ToString() => Text;
}
