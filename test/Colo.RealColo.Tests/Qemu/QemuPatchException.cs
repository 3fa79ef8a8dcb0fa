namespace Colo.RealColo.Tests.Qemu;

/// <summary>The QEMU binary is not the build the patches were written for (or is already patched): nothing was written.</summary>
internal sealed class QemuPatchException(string message) : Exception(message);
