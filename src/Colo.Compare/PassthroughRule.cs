using System.Net;
using Colo.Packets.Frames;

namespace Colo.Compare;

/// <summary>
/// Flows exempt from comparison (their primary frames are released at once, the secondary's dropped), matched by
/// protocol and optional source/destination address and port. A null field matches anything.
/// </summary>
public sealed record PassthroughRule(byte? Protocol, IPAddress? Source, ushort? SourcePort, IPAddress? Destination, ushort? DestinationPort)
{
    public bool Matches(in FlowKey flow)
    {
        if (Protocol is { } protocol && protocol != flow.Protocol)
            return false;
        if (SourcePort is { } sport && sport != flow.SourcePort)
            return false;
        if (DestinationPort is { } dport && dport != flow.DestinationPort)
            return false;
        if (Source is not null && !Source.Equals(flow.SourceAddress))
            return false;
        return Destination is null || Destination.Equals(flow.DestinationAddress);
    }
}
