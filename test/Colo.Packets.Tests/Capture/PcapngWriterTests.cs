using Colo.Packets.Capture;
using Colo.TestSupport;
using Colo.TestSupport.Capture;

namespace Colo.Packets.Tests.Capture;

/// <summary>pcapng files of several link types with per-packet comments, checked by tshark.</summary>
public sealed class PcapngWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pcapng-writer-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Write_SeveralLinkTypes_EachPacketKeepsItsLinkType()
    {
        string path = Path.Combine(_directory, "mixed.pcapng");
        using (PcapngWriter writer = PcapngWriter.CreateFile(path, LinkType.Ethernet))
        {
            writer.Write(new byte[60], 1_000, LinkType.Ethernet, comment: null);
            writer.Write([.. LinkLayerTests.Sll(0x0800), .. new byte[20]], 2_000, LinkType.LinuxSll, comment: null);
            writer.Write(new byte[60], 3_000, LinkType.Ethernet, comment: null);
        }

        using CaptureReader reader = CaptureReader.Open(path);
        var records = CaptureFiles.ReadAll(reader);

        Assert.Equal([LinkType.Ethernet, LinkType.LinuxSll, LinkType.Ethernet], records.Select(r => r.LinkType));
        Assert.Equal([0, 1, 0], records.Select(r => r.InterfaceId));
    }

    [Fact]
    public void Write_Comment_TsharkShowsItOnThatFrameOnly()
    {
        string path = Path.Combine(_directory, "comment.pcapng");
        using (PcapngWriter writer = PcapngWriter.CreateFile(path, LinkType.Ethernet))
        {
            writer.Write(new byte[60], 1_000, LinkType.Ethernet, comment: null);
            writer.Write(new byte[61], 2_000, LinkType.Ethernet, comment: "divergence: payload differs at stream offset 7");
            writer.Write(new byte[62], 3_000, LinkType.Ethernet, comment: null);
        }

        (int exit, string output, string error) = Tshark.Run("-r", path, "-T", "fields", "-e", "frame.number", "-e", "frame.comment");

        Assert.True(exit == 0, $"tshark exited with {exit}: {error}");
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["1\t", "2\tdivergence: payload differs at stream offset 7", "3\t"], lines.Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void CreateFile_AnyUmask_OwnerOnlyMode()
    {
        string path = Path.Combine(_directory, "private.pcapng");
        File.WriteAllBytes(path, []);
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);

        using (PcapngWriter.CreateFile(path, LinkType.Ethernet))
        {
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }
}
