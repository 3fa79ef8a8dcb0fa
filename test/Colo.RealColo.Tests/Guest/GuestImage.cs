namespace Colo.RealColo.Tests.Guest;

/// <summary>A built guest: kernel, initramfs, and the SHA-256 of the 1 MiB file its httpd serves.</summary>
internal sealed record GuestImage(string KernelPath, string InitrdPath, string BlobSha256, string KernelVersion)
{
    /// <summary>The guest's address on the namespace's bridge.</summary>
    public const string Address = "10.0.0.2";

    /// <summary>The host side of the bridge, where guest-initiated connections go.</summary>
    public const string HostAddress = "10.0.0.1";

    public const int HttpPort = 80;
    public const int EchoPort = 7000;

    /// <summary>The guest's CGI <c>/cgi-bin/dial</c> connects to this port on <see cref="HostAddress"/>.</summary>
    public const int DialBackPort = 7100;

    public const string BlobPath = "/blob1m";
    public const int BlobLength = 1 << 20;
    public const string PagePath = "/index.html";
    public const string PageText = "colo test guest";
    public const string DialPath = "/cgi-bin/dial";
    public const string DialLine = "hello from the guest";
    public const string ReadyLine = "GUEST READY";
}
