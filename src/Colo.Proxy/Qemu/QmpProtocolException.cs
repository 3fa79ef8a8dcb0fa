namespace Colo.Proxy.Qemu;

/// <summary>The QMP peer broke the protocol (not JSON, no greeting, an oversized message): the connection is dropped.</summary>
public sealed class QmpProtocolException : IOException
{
    public QmpProtocolException()
    {
    }

    public QmpProtocolException(string message)
        : base(message)
    {
    }

    public QmpProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
