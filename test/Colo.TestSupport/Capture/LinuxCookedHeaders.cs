using System.Buffers.Binary;

namespace Colo.TestSupport.Capture;

/// <summary>
/// The link-layer headers of <c>tcpdump -i any</c> captures (Linux cooked capture, LINKTYPE_LINUX_SLL and
/// LINKTYPE_LINUX_SLL2) for an outgoing Ethernet packet, as users' captures have them instead of an Ethernet header.
/// </summary>
public static class LinuxCookedHeaders
{
    public const int SllLength = 16;
    public const int Sll2Length = 20;

    /// <summary>SLL header: packet type outgoing (4), ARPHRD_ETHER, 6-byte address padded to 8, protocol (EtherType).</summary>
    public static byte[] Sll(ushort protocol, ReadOnlySpan<byte> senderMac)
    {
        byte[] header = new byte[SllLength];
        BinaryPrimitives.WriteUInt16BigEndian(header, 4);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 6);
        senderMac[..6].CopyTo(header.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), protocol);
        return header;
    }

    /// <summary>SLL2 header: protocol, reserved, interface index, ARPHRD_ETHER, outgoing (4), 6-byte address padded to 8.</summary>
    public static byte[] Sll2(ushort protocol, ReadOnlySpan<byte> senderMac, uint interfaceIndex)
    {
        byte[] header = new byte[Sll2Length];
        BinaryPrimitives.WriteUInt16BigEndian(header, protocol);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), interfaceIndex);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), 1);
        header[10] = 4;
        header[11] = 6;
        senderMac[..6].CopyTo(header.AsSpan(12));
        return header;
    }
}
