using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Colo.Proxy.Qemu;

/// <summary>Where a QMP monitor listens: <c>unix:PATH</c> or <c>tcp:HOST:PORT</c> (<c>tcp:[::1]:4444</c> for IPv6).</summary>
internal sealed class QmpEndpoint
{
    private const string UnixPrefix = "unix:";
    private const string TcpPrefix = "tcp:";

    private QmpEndpoint(string text, EndPoint endPoint)
    {
        Text = text;
        EndPoint = endPoint;
    }

    /// <summary>The endpoint as the user wrote it.</summary>
    public string Text { get; }

    public EndPoint EndPoint { get; }

    public bool IsUnix => EndPoint is UnixDomainSocketEndPoint;

    /// <summary>The socket path of a unix endpoint, else null.</summary>
    public string? UnixPath => IsUnix ? Text[UnixPrefix.Length..] : null;

    public static bool TryParse(string? text, [NotNullWhen(true)] out QmpEndpoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "no endpoint given; expected unix:PATH or tcp:HOST:PORT.";
            return false;
        }

        if (text.EndsWith(",server", StringComparison.Ordinal) || text.Contains(",server=", StringComparison.Ordinal))
        {
            error = $"'{text}': ColoProxy is always the client of QEMU's QMP socket; drop ',server' (QEMU's -qmp option is the server).";
            return false;
        }

        if (text.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            string path = text[UnixPrefix.Length..];
            if (path.Length == 0)
            {
                error = $"'{text}' has no socket path; expected unix:PATH.";
                return false;
            }

            endpoint = new QmpEndpoint(text, new UnixDomainSocketEndPoint(path));
            error = null;
            return true;
        }

        if (text.StartsWith(TcpPrefix, StringComparison.Ordinal))
        {
            string rest = text[TcpPrefix.Length..];
            int colon = rest.LastIndexOf(':');
            if (colon <= 0 || colon == rest.Length - 1)
            {
                error = $"'{text}' is not tcp:HOST:PORT.";
                return false;
            }

            string host = rest[..colon];
            if (host.StartsWith('[') && host.EndsWith(']'))
                host = host[1..^1];
            if (!int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
                || port is < 1 or > IPEndPoint.MaxPort)
            {
                error = $"'{text}' has an invalid port '{rest[(colon + 1)..]}'; expected 1..65535.";
                return false;
            }

            EndPoint ep = IPAddress.TryParse(host, out IPAddress? address)
                ? new IPEndPoint(address, port)
                : new DnsEndPoint(host, port);
            endpoint = new QmpEndpoint(text, ep);
            error = null;
            return true;
        }

        error = $"'{text}' is neither unix:PATH nor tcp:HOST:PORT.";
        return false;
    }

    public Socket CreateSocket() => IsUnix
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    public override string ToString() => Text;
}
