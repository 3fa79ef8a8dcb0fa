// Network namespaces, tap devices and QEMU's COLO: this test exists only on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
