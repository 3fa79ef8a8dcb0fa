namespace Colo.Proxy.Control;

/// <summary>How many control clients may be connected, and how long one may hold a place without using it.</summary>
public sealed class ControlLimits
{
    /// <summary>Clients connected at once; a new client past it takes the place of the longest-idle one.</summary>
    public int MaxClients { get; set; } = 16;

    /// <summary>Time from connecting to a completed <c>qmp_capabilities</c>; a client that takes longer is closed.</summary>
    public TimeSpan NegotiationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Time a negotiated client may go without a command (bytes that complete no command do not count); then it is
    /// closed. A client that only watches events sends a cheap command (<c>query-status</c>) now and then.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);
}
