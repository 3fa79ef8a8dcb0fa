namespace Colo.Differential.Tests.Classification;

/// <summary>How the two recorded outcomes of a scenario differ.</summary>
internal enum DifferenceKind
{
    /// <summary>QEMU asked for a checkpoint at a step where ColoProxy did not (earlier, or ColoProxy never did).</summary>
    QemuCheckpointFirst,

    /// <summary>ColoProxy asked for a checkpoint at a step where QEMU did not (earlier, or QEMU never did).</summary>
    OursCheckpointFirst,

    /// <summary>Within the common steps QEMU released frames of the flow that ColoProxy still held.</summary>
    ReleasedByQemuOnly,

    /// <summary>Within the common steps ColoProxy released frames of the flow that QEMU still held.</summary>
    ReleasedByOursOnly,

    /// <summary>The same frames of the flow, released (or flushed) in another order.</summary>
    ReleaseOrder,

    /// <summary>Both released frames the other did not.</summary>
    ReleaseMixed,

    /// <summary>A timeout checkpoint request (after the last step) from QEMU only.</summary>
    QemuLateCheckpointOnly,

    /// <summary>A timeout checkpoint request (after the last step) from ColoProxy only.</summary>
    OursLateCheckpointOnly,

    /// <summary>QEMU never released (nor flushed) a primary frame it received.</summary>
    QemuLostFrames,
}
