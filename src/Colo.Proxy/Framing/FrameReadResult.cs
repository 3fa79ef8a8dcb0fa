namespace Colo.Proxy.Framing;

/// <summary>How a framed connection ended.</summary>
public enum FrameReadResult
{
    /// <summary>The peer closed the connection at a frame boundary.</summary>
    Closed = 0,

    /// <summary>The peer closed in the middle of a frame; the partial frame was discarded.</summary>
    ClosedMidFrame,

    /// <summary>A length word beyond the maximum; the connection must be closed.</summary>
    Oversize,

    /// <summary>Cancelled by the proxy.</summary>
    Cancelled,

    /// <summary>
    /// A vnet_hdr_len word that no virtio-net header has (above <see cref="FrameCodec.MaxVnetHeaderLength"/> or the
    /// frame's own length): the peer does not send the word, so vnet_hdr_support differs between the two ends and the
    /// stream cannot be parsed; the connection must be closed.
    /// </summary>
    VnetMismatch,
}
