namespace Colo.RealColo.Tests.Pair;

/// <summary>How the guest is run for one third of the test.</summary>
internal enum PairMode
{
    /// <summary>One VM on the bridge, no COLO: the yardstick both comparators are a share of.</summary>
    Native,

    /// <summary>A COLO pair with QEMU's own colo-compare object in the primary.</summary>
    Reference,

    /// <summary>A COLO pair with ColoProxy (<c>serve</c>, QMP mode) as the only comparator, wired as docs/qemu-kvm.md says.</summary>
    Proxy,
}
