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
}
