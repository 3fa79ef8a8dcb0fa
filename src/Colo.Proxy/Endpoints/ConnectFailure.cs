using System.Net.Sockets;

namespace Colo.Proxy.Endpoints;

/// <summary>
/// Says why a connect failed in the operator's terms. The runtime reports a unix socket path that does not exist as
/// "Cannot assign requested address", which sends people looking at the network instead of at the path.
/// </summary>
public static class ConnectFailure
{
    /// <summary>A one-line reason for <paramref name="error"/>; <paramref name="unixPath"/> is the socket path for unix endpoints.</summary>
    public static string Describe(SocketException error, string? unixPath)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (unixPath is not null)
        {
            if (!File.Exists(unixPath) && !Directory.Exists(unixPath))
                return $"the socket {unixPath} does not exist (is the peer running and listening there?)";
            return error.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => $"nothing listens on {unixPath} (a socket file left by a process that exited?)",
                SocketError.AccessDenied => $"permission denied on {unixPath}",
                _ => error.Message,
            };
        }
        return error.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused (nothing listens there yet)",
            SocketError.HostNotFound or SocketError.NoData => "the host name does not resolve",
            _ => error.Message,
        };
    }
}
