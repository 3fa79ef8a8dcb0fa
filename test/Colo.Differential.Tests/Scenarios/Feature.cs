namespace Colo.Differential.Tests.Scenarios;

/// <summary>Names of the features a flow can carry (what the generator did to it).</summary>
internal static class Feature
{
    public const string Resegmented = "resegmented";
    public const string ReorderPrimary = "reorder-p";
    public const string ReorderSecondary = "reorder-s";
    public const string RetransmitPrimary = "retransmit-p";
    public const string RetransmitSecondary = "retransmit-s";
    public const string PartialRetransmit = "partial-retransmit";
    public const string PureAck = "pure-ack";
    public const string SequenceWrap = "seq-wrap";
    public const string ContentDiff = "content-diff";
    public const string LengthDiff = "length-diff";
    public const string Syn = "syn";
    public const string Fin = "fin";
    public const string FinOneSide = "fin-one-side";
    public const string AckLag = "ack-lag";
    public const string AckWrap = "ack-wrap";
    public const string Padded = "e1000-padding";
    public const string Ipv6 = "ipv6";
    /// <summary>One 802.1Q tag (TPID 0x8100).</summary>
    public const string Vlan = "vlan";

    /// <summary>802.1ad outer tag (TPID 0x88A8) and an 802.1Q inner tag.</summary>
    public const string QinQ = "qinq";
    public const string IpIdDiff = "ip-id-diff";
    public const string DatagramBurst = "datagram-burst";
    public const string SecondaryExtra = "secondary-extra";
    public const string QueueFull = "queue-full";
    public const string PrefixMatch = "prefix-match";
    public const string ConsumedSecondary = "consumed-secondary";
    public const string OverlapDiffers = "overlap-differs";
}
