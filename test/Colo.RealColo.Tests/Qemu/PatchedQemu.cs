namespace Colo.RealColo.Tests.Qemu;

/// <summary>A patched copy of QEMU and what was changed where (for the log).</summary>
internal sealed record PatchedQemu(string Path, string Description);
