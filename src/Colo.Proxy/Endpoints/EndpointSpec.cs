using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Colo.Proxy.Endpoints;

/// <summary>
/// A socket endpoint as the user writes it: <c>unix:PATH[,server]</c> or <c>tcp:HOST:PORT[,server]</c> (IPv6 hosts in
/// brackets; QEMU's <c>server=on,wait=off</c> means the same as <c>server</c>). With <c>server</c> the proxy listens
/// (QEMU's chardevs connect to it); without, it connects to a listening
/// chardev.
/// </summary>
public sealed record EndpointSpec(EndpointKind Kind, string Path, string Host, int Port, bool IsServer)
{
    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out EndpointSpec? spec, [NotNullWhen(false)] out string? error)
    {
        spec = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty; expected unix:PATH[,server] or tcp:HOST:PORT[,server]";
            return false;
        }

        string body = text.Trim();
        bool server = false;
        int comma = body.IndexOf(',', StringComparison.Ordinal);
        if (comma >= 0)
        {
            foreach (string flag in body[(comma + 1)..].Split(',', StringSplitOptions.TrimEntries))
            {
                switch (flag)
                {
                    case "server":
                    case "server=on":
                        server = true;
                        break;
                    case "server=off":
                        server = false;
                        break;
                    // QEMU's chardev spelling (server=on,wait=off): the proxy never waits for a client before serving.
                    case "wait=off":
                    case "nowait":
                        break;
                    case "wait=on":
                    case "wait":
                        error = $"'{text}': wait=on is not supported; the proxy serves without waiting for a client (use wait=off or leave it out)";
                        return false;
                    default:
                        error = $"'{text}' has an unknown flag '{flag}'; the flags are server (server=on|off) and wait=off";
                        return false;
                }
            }
            body = body[..comma];
        }

        if (body.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = body["unix:".Length..];
            if (path.Length == 0)
            {
                error = $"'{text}' has no path after 'unix:'";
                return false;
            }
            spec = new EndpointSpec(EndpointKind.Unix, path, "", 0, server);
            error = null;
            return true;
        }

        if (body.StartsWith("tcp:", StringComparison.Ordinal))
        {
            string hostPort = body["tcp:".Length..];
            int colon = hostPort.LastIndexOf(':');
            if (colon <= 0)
            {
                error = $"'{text}' needs tcp:HOST:PORT";
                return false;
            }
            string host = hostPort[..colon];
            if (host.StartsWith('[') && host.EndsWith(']'))
                host = host[1..^1];
            if (!int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port)
                || port is < 0 or > 65535 || (port == 0 && !server))
            {
                error = $"'{text}' has an invalid port '{hostPort[(colon + 1)..]}' (1..65535)";
                return false;
            }
            if (host.Length == 0)
            {
                error = $"'{text}' has no host";
                return false;
            }
            spec = new EndpointSpec(EndpointKind.Tcp, "", host, port, server);
            error = null;
            return true;
        }

        error = $"'{text}' must start with 'unix:' or 'tcp:'";
        return false;
    }

    /// <summary>Parses or throws <see cref="FormatException"/> with the reason.</summary>
    public static EndpointSpec Parse(string text) =>
        TryParse(text, out EndpointSpec? spec, out string? error) ? spec : throw new FormatException($"Endpoint {error}.");

    /// <summary>True when two specs would use the same socket (same path, or same host and port).</summary>
    public bool SameSocketAs(EndpointSpec other) => Kind == other.Kind && (Kind == EndpointKind.Unix
        ? string.Equals(System.IO.Path.GetFullPath(Path), System.IO.Path.GetFullPath(other.Path), StringComparison.Ordinal)
        : string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase) && Port == other.Port && Port != 0);

    /// <summary>True when a TCP server address is a loopback address (or a name for one).</summary>
    public bool IsLoopback()
    {
        if (Kind == EndpointKind.Unix)
            return true;
        if (string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase))
            return true;
        return IPAddress.TryParse(Host, out IPAddress? address) && IPAddress.IsLoopback(Unmapped(address));
    }

    /// <summary>
    /// The address a TCP server binds: a literal address (an IPv4-mapped IPv6 one such as <c>::ffff:127.0.0.1</c> as the
    /// IPv4 address it names: an IPv6-only socket cannot bind it), <c>localhost</c> as 127.0.0.1, any other name
    /// resolved, its first address taken. Throws <see cref="InvalidOperationException"/> when a name does not resolve.
    /// </summary>
    public IPAddress ResolveListenAddress()
    {
        if (IPAddress.TryParse(Host, out IPAddress? literal))
            return Unmapped(literal);
        if (string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase))
            return IPAddress.Loopback;
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(Host);
        }
        catch (SocketException ex)
        {
            throw new InvalidOperationException($"{this}: cannot resolve '{Host}' ({ex.SocketErrorCode}); give an address or a name that resolves.", ex);
        }
        if (addresses.Length == 0)
            throw new InvalidOperationException($"{this}: '{Host}' resolves to no address; give an address or a name that resolves.");
        return Unmapped(addresses[0]);
    }

    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>The socket address (resolves host names; for servers only literal addresses and localhost).</summary>
    public async Task<EndPoint> ResolveAsync(CancellationToken cancellationToken)
    {
        if (Kind == EndpointKind.Unix)
            return new UnixDomainSocketEndPoint(Path);
        if (IPAddress.TryParse(Host, out IPAddress? address))
            return new IPEndPoint(Unmapped(address), Port);
        if (string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase))
            return new IPEndPoint(IPAddress.Loopback, Port);
        IPAddress[] addresses = await Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
            throw new SocketException((int)SocketError.HostNotFound);
        return new IPEndPoint(addresses[0], Port);
    }

    public override string ToString() => (Kind == EndpointKind.Unix
        ? "unix:" + Path
        : "tcp:" + (Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture))
        + (IsServer ? ",server" : "");
}
