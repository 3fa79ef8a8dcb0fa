namespace Colo.Differential.Tests.Scenarios;

/// <summary>A TCP segment before it becomes a frame: stream offset (0 = ISN+1), data, flags, ACK.</summary>
internal sealed record TcpSegment(long Offset, byte[] Data, byte Flags, uint Ack)
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Psh = 0x08;
    public const byte AckFlag = 0x10;
}
