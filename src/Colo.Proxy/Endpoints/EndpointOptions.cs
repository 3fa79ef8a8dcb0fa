namespace Colo.Proxy.Endpoints;

/// <summary>Connection behaviour shared by all endpoints.</summary>
public sealed class EndpointOptions
{
    /// <summary>Client mode: first delay between connection attempts (doubles up to <see cref="MaxReconnectDelay"/>).</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>Client mode: the longest delay between connection attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Allow TCP servers to bind a non-loopback address.</summary>
    public bool AllowRemote { get; set; }

    /// <summary>Owner (user name or number) given to the unix sockets the proxy creates; null keeps the proxy's own.</summary>
    public string? SocketOwner { get; set; }

    /// <summary>Group (name or number) given to the unix sockets the proxy creates; null keeps the proxy's own.</summary>
    public string? SocketGroup { get; set; }

    /// <summary>Permissions of the unix sockets the proxy creates (0600: only the proxy's user may connect).</summary>
    public UnixFileMode SocketMode { get; set; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;
}
