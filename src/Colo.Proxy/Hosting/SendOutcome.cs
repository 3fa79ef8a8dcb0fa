namespace Colo.Proxy.Hosting;

/// <summary>How a turn of sending from the <see cref="OutputBuffer"/> ended.</summary>
internal enum SendOutcome
{
    /// <summary>Everything committed was sent; the send role is free.</summary>
    Done,

    /// <summary>The socket is full; the send role now belongs to the pump.</summary>
    Full,

    /// <summary>The peer is gone; the send role is free.</summary>
    Failed,
}
