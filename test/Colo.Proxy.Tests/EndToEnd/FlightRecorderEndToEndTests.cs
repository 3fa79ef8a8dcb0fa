using System.Diagnostics;
using System.Text.Json;
using Colo.Packets.Capture;
using Colo.Packets.Frames;
using Colo.TestSupport.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Proxy.Tests.EndToEnd;

/// <summary>
/// A live divergence leaves a capture pair and a report behind, announced on the control socket, and
/// <c>colo-proxy replay</c> on the pair finds the same divergence.
/// </summary>
public sealed class FlightRecorderEndToEndTests : IDisposable
{
    private readonly string _records = Path.Combine(Path.GetTempPath(), "cpx-rec-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        if (Directory.Exists(_records))
            Directory.Delete(_records, recursive: true);
    }

    private const string Guest = "10.0.0.2";
    private const string Client = "10.0.0.1";
    private static readonly FlowAddress GuestToClient = FlowAddress.Between(Guest, Client);

    private static byte[] Segment(uint seq, string payload, TcpFlags flags = TcpFlags.Ack | TcpFlags.Psh) =>
        Tcp(seq, Ascii(payload), flags, acknowledgment: 1000, sourcePort: 80, destinationPort: 40000, address: GuestToClient);

    [Fact]
    public async Task Divergence_WritesPairAndReport_ThatReplayToTheSameDivergence()
    {
        await using var proxy = await ProxyHarness.StartAsync(options =>
        {
            options.Compare.RecorderBytesPerFlow = 64 * 1024;
            options.Compare.RecorderBudgetBytes = 1024 * 1024;
            options.Records.Directory = _records;
        });
        await using var control = await proxy.ControlAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        const uint isn = 5000;
        byte[] synAck = Segment(isn, "", TcpFlags.Syn | TcpFlags.Ack);
        byte[] page = Segment(isn + 1, "HTTP/1.0 200 OK\r\n");
        byte[] primaryDate = Segment(isn + 18, "Date: Mon, 01 Jan 2026 00:00:01 GMT\r\n");
        byte[] secondaryDate = Segment(isn + 18, "Date: Mon, 01 Jan 2026 00:00:02 GMT\r\n");
        await primary.SendAsync(synAck);
        await secondary.SendAsync(synAck);
        await primary.SendAsync(page);
        await secondary.SendAsync(page);
        Assert.Equal(synAck, await outdev.ReceiveAsync());
        Assert.Equal(page, await outdev.ReceiveAsync());
        await primary.SendAsync(primaryDate);
        await secondary.SendAsync(secondaryDate);

        JsonElement recorded = await control.WaitEventAsync("COLO_RECORD");
        string primaryFile = recorded.GetProperty("data").GetProperty("primary-file").GetString()!;
        string secondaryFile = recorded.GetProperty("data").GetProperty("secondary-file").GetString()!;
        string reportFile = recorded.GetProperty("data").GetProperty("report-file").GetString()!;
        Assert.Equal([synAck, page, primaryDate], ReadFrames(primaryFile));
        Assert.Equal([synAck, page, secondaryDate], ReadFrames(secondaryFile));
        using (JsonDocument report = JsonDocument.Parse(File.ReadAllText(reportFile)))
        {
            Assert.Equal("divergence", report.RootElement.GetProperty("record").GetString());
            Assert.Equal("payload", report.RootElement.GetProperty("kind").GetString());
            Assert.Equal(isn + 18 + 30, report.RootElement.GetProperty("seq").GetUInt32());
            Assert.Equal(Path.GetFileName(primaryFile), report.RootElement.GetProperty("primary-file").GetString());
        }
        if (!OperatingSystem.IsWindows())
        {
            foreach (string file in (string[])[primaryFile, secondaryFile, reportFile])
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        (int exit, string output) = await ReplayAsync(primaryFile, secondaryFile);
        Assert.True(exit == 1, $"replay exit {exit}: {output}");
        Assert.Contains("divergent", output, StringComparison.Ordinal);
        Assert.Contains($"seq {isn + 18 + 30}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retention_KeepsOnlyTheNewestSets()
    {
        await using var proxy = await ProxyHarness.StartAsync(options =>
        {
            options.Compare.RecorderBytesPerFlow = 8 * 1024;
            options.Compare.RecorderBudgetBytes = 1024 * 1024;
            options.Records.Directory = _records;
            options.Records.Keep = 2;
        });
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        for (int flow = 0; flow < 4; flow++)
        {
            // Each UDP flow (its own port) diverges once.
            await primary.SendAsync(Udp(Ascii("answer A"), (ushort)(100 + flow), 3333, GuestToClient));
            await secondary.SendAsync(Udp(Ascii("answer B"), (ushort)(100 + flow), 3333, GuestToClient));
            int expected = flow + 1;
            await Wait.UntilAsync(() => proxy.Host.Records!.Written == expected, $"{expected} records written");
        }

        Assert.Equal(2, Directory.GetFiles(_records, "*.json").Length);
        Assert.Equal(4, Directory.GetFiles(_records, "*.pcapng").Length);
        Assert.Equal(["0003", "0004"], Directory.GetFiles(_records, "*.json").Select(f => Path.GetFileName(f).Split('-')[1]).Order());
    }

    private static List<byte[]> ReadFrames(string path)
    {
        using CaptureReader reader = CaptureReader.Open(path);
        var frames = new List<byte[]>();
        while (reader.TryReadNext(out CaptureRecord record))
            frames.Add(record.Data.ToArray());
        return frames;
    }

    private static async Task<(int Exit, string Output)> ReplayAsync(string primary, string secondary)
    {
        string testDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        string cli = Path.GetFullPath(Path.Combine(testDir, "..", "..", "colo-proxy", Path.GetFileName(testDir), "colo-proxy.dll"));
        var info = new ProcessStartInfo("dotnet", $"\"{cli}\" replay \"{primary}\" \"{secondary}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
