using Colo.Differential.Tests.Scenarios;

namespace Colo.Differential.Tests.Classification;

/// <summary>
/// The table of <c>docs/compatibility.md</c> as code: each entry explains a kind of difference between QEMU's
/// colo-compare and ColoProxy, for flows with given features. Ids are the same as in the document (a test checks).
/// </summary>
internal static class Compatibility
{
    private static readonly string[] MisalignmentFeatures =
    [
        Feature.ReorderPrimary, Feature.ReorderSecondary, Feature.RetransmitPrimary, Feature.RetransmitSecondary,
        Feature.PartialRetransmit,
    ];

    /// <summary>QEMU compares the flow at all: IPv4, untagged or QinQ (QEMU rejects only an outer 802.1Q tag).</summary>
    private static bool Compared(FlowInfo flow) => !flow.IsIpv6 && !flow.Has(Feature.Vlan);

    public static IReadOnlyList<CompatibilityEntry> Entries { get; } =
    [
        new("C1", "QEMU forwards IPv6 and 802.1Q-tagged frames uncompared",
            (d, _) => d.Flow is { } f && !Compared(f) && d.Kind is not DifferenceKind.QemuCheckpointFirst),
        new("C2", "QEMU compares TCP segments by queue position, not by sequence number",
            (d, _) => d.Flow is { Kind: FlowKind.Tcp } f && Compared(f) && MisalignmentFeatures.Any(f.Has)
                      && d.Kind is DifferenceKind.QemuCheckpointFirst or DifferenceKind.ReleasedByOursOnly),
        new("C3", "QEMU's datagram queues are LIFO",
            (d, _) => d.Flow is { Kind: not FlowKind.Tcp } f && Compared(f)
                      && (d.Kind is DifferenceKind.ReleaseOrder or DifferenceKind.ReleaseMixed
                          || (f.Kind != FlowKind.OtherIp && f.Has(Feature.DatagramBurst)
                              && d.Kind is DifferenceKind.QemuCheckpointFirst or DifferenceKind.ReleasedByOursOnly))),
        new("C4", "QEMU compares whole frames of other IP protocols, IP header included",
            (d, _) => d.Flow is { Kind: FlowKind.OtherIp } f && Compared(f) && f.Has(Feature.IpIdDiff)
                      && d.Kind is DifferenceKind.QemuCheckpointFirst or DifferenceKind.ReleasedByOursOnly),
        new("C5", "QEMU counts Ethernet padding as TCP payload",
            (d, _) => d.Flow is { Kind: FlowKind.Tcp } f && Compared(f) && f.Has(Feature.Padded)
                      && d.Kind is DifferenceKind.QemuCheckpointFirst or DifferenceKind.ReleasedByOursOnly),
        new("C6", "QEMU's ACK gate holds the last ACK, is not wrap-safe, and asks for a checkpoint when it fails",
            (d, _) => d.Flow is { Kind: FlowKind.Tcp } f && Compared(f) && f.Has(Feature.AckLag)
                      && d.Kind is DifferenceKind.QemuCheckpointFirst or DifferenceKind.ReleasedByQemuOnly or DifferenceKind.ReleasedByOursOnly),
        new("C7", "QEMU releases zero-payload TCP segments (ACK, SYN, FIN, RST) when any secondary packet is queued, without the ACK gate or a match",
            (d, _) => d.Flow is { Kind: FlowKind.Tcp } f && Compared(f) && !f.Has(Feature.AckLag)
                      && (f.Has(Feature.PureAck) || f.Has(Feature.Syn) || f.Has(Feature.Fin) || f.Has(Feature.FinOneSide))
                      && (d.Kind is DifferenceKind.ReleasedByQemuOnly or DifferenceKind.ReleaseOrder
                          || (d.Kind is DifferenceKind.ReleasedByOursOnly && !f.Has(Feature.Padded) && !MisalignmentFeatures.Any(f.Has))
                          || ((f.Has(Feature.FinOneSide) || (f.Has(Feature.Fin) && f.Has(Feature.LengthDiff)))
                              && d.Kind is DifferenceKind.OursCheckpointFirst))),
        new("C8", "QEMU drops frames beyond max_queue_size silently",
            (d, _) => d.Flow is { } f && Compared(f) && f.Has(Feature.QueueFull)
                      && d.Kind is DifferenceKind.QemuLostFrames or DifferenceKind.OursCheckpointFirst or DifferenceKind.ReleasedByOursOnly),
        new("C9", "QEMU ignores a side that resends different bytes for a range it has not compared yet",
            (d, _) => d.Flow is { Kind: FlowKind.Tcp } f && Compared(f) && f.Has(Feature.OverlapDiffers)
                      && d.Kind is DifferenceKind.OursCheckpointFirst or DifferenceKind.ReleasedByQemuOnly),
        new("C10", "QEMU leaves a fully consumed secondary segment queued, which times out",
            (d, _) => d.Flow is { Kind: FlowKind.Tcp } f && Compared(f) && f.Has(Feature.ConsumedSecondary)
                      && d.Kind is DifferenceKind.QemuLateCheckpointOnly),
        new("C11", "With vnet_hdr_support QEMU wants a vnet word on incoming notify frames",
            // A wire-format difference, not a difference in outcomes: the harness speaks each dialect
            // (ComparatorProcess.NotifyTakesVnetWord), so no recorded difference is explained by it.
            (_, _) => false),
    ];

    // Each difference needs exactly one explanation: C2 and C5 own the "ColoProxy released earlier" differences of
    // their flows (QEMU asked for a checkpoint instead), C6 owns every release difference of a flow whose ACK lags,
    // and C7 owns zero-payload releases everywhere else.

    /// <summary>The entries that explain <paramref name="difference"/> for one of its candidate flows.</summary>
    public static IReadOnlyList<CompatibilityEntry> Explain(Difference difference, ScenarioComparison comparison)
    {
        IReadOnlyList<Difference> variants = difference.Candidates.Count == 0
            ? [difference]
            : [.. difference.Candidates.Select(flow => difference with { Flow = flow })];
        return [.. Entries.Where(e => variants.Any(v => e.Explains(v, comparison)))];
    }
}
