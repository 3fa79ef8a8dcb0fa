using Colo.Packets.Capture;
using Colo.TestSupport.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Proxy.Tests.EndToEnd;

/// <summary><c>serve --capture DIR</c>: both inputs and outdev, frame for frame, in rotated pcapng files.</summary>
public sealed class TrafficCaptureEndToEndTests : IDisposable
{
    private const string Guest = "10.0.0.2";
    private const string Client = "10.0.0.1";
    private static readonly FlowAddress GuestToClient = FlowAddress.Between(Guest, Client);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cpx-cap-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Capture_HoldsEveryInputFrameAndEveryReleasedFrame_WithoutVnetHeaders(bool vnet)
    {
        int header = vnet ? 10 : 0;
        byte[][] primaryFrames = [.. Enumerable.Range(0, 30).Select(i => Udp(Ascii("answer " + i), 53, 3333, GuestToClient, ipId: (ushort)i, vnetHeaderLength: header))];
        byte[][] secondaryFrames = [.. primaryFrames.Take(20)];
        await using (var proxy = await ProxyHarness.StartAsync(options =>
        {
            options.VnetHdrSupport = vnet;
            options.Capture.Directory = _dir;
        }))
        {
            await using var primary = await proxy.ConnectAsync("primary_in");
            await using var secondary = await proxy.ConnectAsync("secondary_in");
            await using var outdev = await proxy.ConnectAsync("outdev");
            foreach (byte[] frame in primaryFrames)
                await primary.SendAsync(frame, header);
            foreach (byte[] frame in secondaryFrames)
                await secondary.SendAsync(frame, header);
            for (int i = 0; i < secondaryFrames.Length; i++)
                Assert.Equal(primaryFrames[i], await outdev.ReceiveAsync());
            await proxy.WaitReceivedAsync(primaryFrames.Length, secondaryFrames.Length);
            await proxy.Host.StopAsync();
        }

        Assert.Equal(primaryFrames.Select(f => f[header..]), Read("primary"));
        Assert.Equal(secondaryFrames.Select(f => f[header..]), Read("secondary"));
        // The 20 confirmed ones, then the 10 the proxy still held: stopping releases them (nothing is lost).
        Assert.Equal(primaryFrames.Select(f => f[header..]), Read("outdev"));
    }

    [Fact]
    public async Task Capture_RotatesAtTheFileSize_AndKeepsTheNewestFiles()
    {
        await using (var proxy = await ProxyHarness.StartAsync(options =>
        {
            options.Capture.Directory = _dir;
            options.Capture.FileBytes = 1024 * 1024;
            options.Capture.Files = 2;
        }))
        {
            await using var secondary = await proxy.ConnectAsync("secondary_in");
            // About 3.3 MiB of secondary frames: four files written, the newest two kept.
            byte[] frame = Udp(new byte[1400], 53, 3333, GuestToClient);
            for (int i = 0; i < 2400; i++)
                await secondary.SendAsync(frame);
            await proxy.WaitReceivedAsync(0, 2400);
            await proxy.Host.StopAsync();
        }

        string[] files = [.. Directory.GetFiles(_dir, "*-secondary-*.pcapng").Order(StringComparer.Ordinal)];
        Assert.Equal(["0003", "0004"], files.Select(f => Path.GetFileNameWithoutExtension(f)[^4..]));
        Assert.All(files, f => Assert.InRange(new FileInfo(f).Length, 1, 1024 * 1024));
    }

    private List<byte[]> Read(string stream)
    {
        var frames = new List<byte[]>();
        foreach (string path in Directory.GetFiles(_dir, $"*-{stream}-*.pcapng").Order(StringComparer.Ordinal))
        {
            using CaptureReader reader = CaptureReader.Open(path);
            while (reader.TryReadNext(out CaptureRecord record))
                frames.Add(record.Data.ToArray());
        }
        return frames;
    }
}
