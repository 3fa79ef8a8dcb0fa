using Colo.Packets.Frames;

namespace Colo.Compare.Internal;

/// <summary>Identifies one datagram being reassembled on one side: the fragment flow (addresses, protocol, VLANs) and the IP ID.</summary>
internal readonly record struct FragmentKey(FlowKey Flow, uint Id, Side Side);
