using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Colo.Cli.Replay;
using Colo.Packets.Capture;
using Colo.Packets.Frames;
using Colo.TestSupport.Capture;
using Colors = Colo.Cli.Replay.HtmlReportWriter.Colors;

namespace Colo.Cli.Tests.Replay;

/// <summary>
/// <c>replay --html</c>, opened in a real headless Chromium (Debian's <c>chromium</c>): the screenshot shows the verdict
/// in its colour at the top, both sides' differing bytes marked, the timeline's lanes, timeouts, divergence and queue.
/// </summary>
public sealed class HtmlReportTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan BrowserTimeout = TimeSpan.FromSeconds(120);

    private readonly string _temp = Directory.CreateTempSubdirectory("colo-html-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Html_DivergentPair_ScreenshotShowsVerdictMarkedBytesAndTimeline()
    {
        CapturePair pair = CaptureManifest.Get("chatty_divergent");
        string html = Path.Combine(_temp, "report.html");

        ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath, HtmlPath = html });

        PngImage shot = Screenshot(html, 1200, 1100);
        Assert.Equal((0xc6, 0x28, 0x28), ((int)shot[10, 10].R, (int)shot[10, 10].G, (int)shot[10, 10].B));
        Assert.True(shot.Count(Colors.Divergent, 0, 60) > 1200 * 50, "the verdict bar is red across the page top");
        Assert.True(shot.Count(Colors.DifferingByte, 700) > 4 * 100, "both sides' differing byte is marked, hex and text");
        Assert.True(shot.Count(Colors.PrimaryFrames, 150, 450) > 100, "the primary lane shows frames");
        Assert.True(shot.Count(Colors.SecondaryFrames, 150, 450) > 100, "the secondary lane shows frames");
        Assert.True(shot.Count(Colors.Timeout, 150, 450) > 5 * 100, "the five timeouts are drawn");
        Assert.True(shot.Count(Colors.QueueDepth, 150, 450) > 10_000, "queue depth is drawn");
        Assert.True(shot.Count(Colors.Divergent, 150, 450) > 100, "the divergence is marked on the timeline");
    }

    [Fact]
    public void Html_SamePair_GreenVerdictNoDivergence()
    {
        CapturePair pair = CaptureManifest.Get("udp_dns_same");
        string html = Path.Combine(_temp, "same.html");

        ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath, HtmlPath = html });

        PngImage shot = Screenshot(html, 1000, 700);
        Assert.True(shot.Count(Colors.Same, 0, 60) > 1000 * 50, "the verdict bar is green");
        Assert.Equal(0, shot.Count(Colors.DifferingByte));
        Assert.DoesNotContain("<script", File.ReadAllText(html), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Html_HttpDateHeaderDiffers_DecodedAsTheDateHeaderWithBothLines()
    {
        CapturePair pair = CaptureManifest.Get("http_keepalive_same");
        string secondary = Path.Combine(_temp, "date.pcap");
        bool changed = false;
        CaptureRewriter.Write(pair.SecondaryPath, secondary, (data, ts, _) =>
        {
            if (!changed && FrameParser.TryParse(data, 0, out PacketInfo info) == ParseStatus.Ok)
            {
                int date = data.AsSpan(info.PayloadOffset, info.PayloadLength).IndexOf("Date: "u8);
                if (date >= 0)
                {
                    int second = info.PayloadOffset + date + "Date: Mon, 01 Jan 2026 00:00:0".Length;
                    data[second] = (byte)(data[second] == (byte)'9' ? '8' : data[second] + 1);
                    changed = true;
                }
            }
            return (data, LinkType.Ethernet, ts);
        });
        Assert.True(changed, "the pair holds an HTTP Date header");
        string html = Path.Combine(_temp, "date.html");

        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = secondary, HtmlPath = html });

        Assert.Equal(ReplayVerdict.Divergent, result.Verdict);
        string page = File.ReadAllText(html, Encoding.UTF8);
        Assert.Contains("HTTP header Date differs", page, StringComparison.Ordinal);
        Assert.Equal(2, CountOf(page, "<pre class=\"line\">Date: "));
        PngImage shot = Screenshot(html, 1200, 1400);
        Assert.True(shot.Count(Colors.DifferingByte) > 4 * 100, "the differing byte is marked on both sides");
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
            count++;
        return count;
    }

    /// <summary>Renders <paramref name="html"/> in headless Chromium (no network needed: the page is self-contained).</summary>
    private PngImage Screenshot(string html, int width, int height)
    {
        string png = Path.Combine(_temp, Path.GetFileNameWithoutExtension(html) + ".png");
        var start = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
            "--user-data-dir=" + Path.Combine(_temp, "chromium-profile"), "--force-device-scale-factor=1",
            $"--window-size={width},{height}", "--screenshot=" + png, new Uri(html).AbsoluteUri,
        })
        {
            start.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
        }
        catch (Win32Exception exception)
        {
            Assert.Fail($"{Chromium} is required by this test ({exception.Message}); install the Debian package 'chromium'.");
            throw;
        }
        using (process)
        {
            Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            _ = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            if (!process.WaitForExit(BrowserTimeout))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"chromium did not finish within {BrowserTimeout}");
            }
            Assert.True(File.Exists(png), $"chromium wrote no screenshot (exit {process.ExitCode}): {error.GetAwaiter().GetResult()}");
        }
        return PngImage.Load(png);
    }
}
