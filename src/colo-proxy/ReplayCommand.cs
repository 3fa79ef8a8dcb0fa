using System.CommandLine;
using Colo.Cli.Replay;
using Colo.Packets.Capture;

namespace Colo.Cli;

/// <summary>
/// <c>colo-proxy replay PRIMARY SECONDARY</c>: the comparison engine over two captures. Exit 0 when the content is
/// the same, 1 when it diverged, 2 on bad input or usage, 3 when the pair could not be judged (incomplete).
/// </summary>
internal static class ReplayCommand
{
    public const int ExitSame = 0;
    public const int ExitDivergent = 1;
    public const int ExitBadInput = 2;
    public const int ExitIncomplete = 3;

    public static Command Create()
    {
        var primary = new Argument<string>("PRIMARY") { Description = "Capture of the primary's output (pcap or pcapng, optionally gzip-compressed)." };
        var secondary = new Argument<string>("SECONDARY") { Description = "Capture of the secondary's output, after filter-rewriter (pcap or pcapng, optionally gzip-compressed)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the human report." };
        var output = new Option<string?>("--out") { Description = "Write the released primary frames, in release order (pcapng if FILE ends in .pcapng, else pcap)." };
        var timeout = new Option<int>("--compare-timeout") { Description = "Milliseconds a frame may wait before a (recorded) timeout checkpoint.", DefaultValueFactory = _ => 3000 };
        var scan = new Option<int>("--expired-scan-cycle") { Description = "Milliseconds between timeout scans.", DefaultValueFactory = _ => 1000 };
        var queue = new Option<int>("--max-queue-size") { Description = "Frames queued per flow per side before a (recorded) queue_full checkpoint.", DefaultValueFactory = _ => 1024 };
        var nonIp = new Option<bool>("--compare-non-ip") { Description = "Compare non-IP frames instead of passing the primary's uncompared." };
        var housekeeping = new Option<bool>("--compare-housekeeping") { Description = "Compare link-local housekeeping (ARP, IPv6 neighbour discovery, MLD, IGMP), which replicas send on their own timers." };
        var flow = new Option<string?>("--flow") { Description = "Compare only this flow: as the report prints it ('tcp 10.0.0.1:80 -> 10.0.0.2:4000', either direction) or its Community ID ('1:...')." };
        var extract = new Option<string?>("--extract") { Description = "Write, per divergent flow, a pcapng pair of just that flow's frames into DIR, the divergence frame commented." };
        var html = new Option<string?>("--html") { Description = "Write the report as one self-contained HTML file (verdict, flows, both sides' bytes, timeline)." };
        var offset = new Option<double>("--secondary-time-offset") { Description = "Seconds added to every secondary timestamp (when the hosts' clocks differ).", DefaultValueFactory = _ => 0 };

        var command = new Command("replay", "Compare two captures (pcap or pcapng) of the primary's and the secondary's output and report where they diverge.")
        {
            primary, secondary, json, output, timeout, scan, queue, nonIp, housekeeping, flow, extract, html, offset,
        };
        command.SetAction(parse =>
        {
            int timeoutMs = parse.GetValue(timeout);
            int scanMs = parse.GetValue(scan);
            int maxQueue = parse.GetValue(queue);
            if (timeoutMs <= 0 || scanMs <= 0 || maxQueue <= 0)
            {
                Console.Error.WriteLine("colo-proxy replay: --compare-timeout, --expired-scan-cycle and --max-queue-size must be positive.");
                return ExitBadInput;
            }
            var options = new ReplayOptions
            {
                PrimaryPath = parse.GetRequiredValue(primary),
                SecondaryPath = parse.GetRequiredValue(secondary),
                OutputPath = parse.GetValue(output),
                CompareTimeout = TimeSpan.FromMilliseconds(timeoutMs),
                ExpiredScanCycle = TimeSpan.FromMilliseconds(scanMs),
                MaxQueueSize = maxQueue,
                CompareNonIp = parse.GetValue(nonIp),
                CompareHousekeeping = parse.GetValue(housekeeping),
                Flow = parse.GetValue(flow),
                ExtractDirectory = parse.GetValue(extract),
                HtmlPath = parse.GetValue(html),
                SecondaryTimeOffset = TimeSpan.FromSeconds(parse.GetValue(offset)),
            };
            return Run(options, parse.GetValue(json), Console.Out, Console.Error);
        });
        return command;
    }

    public static int Run(ReplayOptions options, bool json, TextWriter output, TextWriter error)
    {
        ReplayResult result;
        try
        {
            result = ReplaySession.Run(options);
        }
        catch (CaptureFormatException ex)
        {
            error.WriteLine($"colo-proxy replay: {ex.Message}");
            return ExitBadInput;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            error.WriteLine($"colo-proxy replay: {ex.Message}");
            return ExitBadInput;
        }

        if (json)
        {
            output.Flush();
            using Stream stdout = output == Console.Out ? Console.OpenStandardOutput() : new TextWriterStream(output);
            ReplayReportWriter.WriteJson(result, stdout);
        }
        else
        {
            ReplayReportWriter.WriteHuman(result, output);
        }
        return result.Verdict switch
        {
            ReplayVerdict.Divergent => ExitDivergent,
            ReplayVerdict.Incomplete => ExitIncomplete,
            _ => ExitSame,
        };
    }
}
