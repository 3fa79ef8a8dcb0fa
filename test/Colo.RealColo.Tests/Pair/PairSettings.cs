using System.Diagnostics;
using Colo.RealColo.Tests.Guest;
using Colo.RealColo.Tests.Network;

namespace Colo.RealColo.Tests.Pair;

/// <summary>What every pair of the run shares: the patched QEMU, the guest, the namespace, ColoProxy, one clock.</summary>
internal sealed record PairSettings(
    string Qemu,
    GuestImage Guest,
    NetworkNamespace Namespace,
    ProxyCommand Proxy,
    Stopwatch Clock,
    bool CaptureChardevs,
    Action<string> Log);
