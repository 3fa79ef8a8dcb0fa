namespace Colo.Proxy.Framing;

/// <summary>A length word beyond the configured maximum: the stream cannot be trusted any more (QEMU disables its input
/// for good; we close the connection and accept or reconnect).</summary>
public sealed class FrameTooLargeException : Exception
{
    public FrameTooLargeException(uint length, int maxFrameLength)
        : base($"Frame length {length} exceeds the maximum of {maxFrameLength} bytes; closing the connection.")
    {
        Length = length;
        MaxFrameLength = maxFrameLength;
    }

    public FrameTooLargeException() : base("Frame too large.") { }

    public FrameTooLargeException(string message) : base(message) { }

    public FrameTooLargeException(string message, Exception innerException) : base(message, innerException) { }

    public uint Length { get; }

    public int MaxFrameLength { get; }
}
