using System.CommandLine;
using System.Globalization;
using Colo.Cli.Align;
using Colo.Packets.Capture;

namespace Colo.Cli;

/// <summary>
/// <c>colo-proxy align PRIMARY SECONDARY --out FILE</c>: re-maps a secondary capture taken before filter-rewriter into
/// the primary's sequence space, per connection, so that <c>replay</c> can compare it. Exit 0 when every connection
/// was re-mapped, 3 when some could not be, 2 on bad input.
/// </summary>
internal static class AlignCommand
{
    public static Command Create()
    {
        var primary = new Argument<string>("PRIMARY") { Description = "Capture of the primary's output." };
        var secondary = new Argument<string>("SECONDARY") { Description = "Capture of the secondary's output taken before filter-rewriter (its own sequence numbers)." };
        var output = new Option<string>("--out") { Description = "Where to write the re-mapped secondary capture (pcapng if FILE ends in .pcapng, else pcap).", Required = true };
        var command = new Command("align", "Re-map a secondary capture taken before filter-rewriter into the primary's TCP sequence space, per connection.")
        {
            primary, secondary, output,
        };
        command.SetAction(parse => Run(parse.GetRequiredValue(primary), parse.GetRequiredValue(secondary), parse.GetRequiredValue(output), Console.Out, Console.Error));
        return command;
    }

    public static int Run(string primary, string secondary, string output, TextWriter stdout, TextWriter stderr)
    {
        IReadOnlyList<ConnectionShift> shifts;
        try
        {
            shifts = SequenceAligner.Align(primary, secondary, output);
        }
        catch (Exception ex) when (ex is CaptureFormatException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"colo-proxy align: {ex.Message}");
            return ReplayCommand.ExitBadInput;
        }
        foreach (ConnectionShift shift in shifts)
        {
            stdout.WriteLine(shift.Delta is { } delta
                ? string.Create(CultureInfo.InvariantCulture, $"{shift.Flow}: seq + {delta} ({shift.Basis})")
                : $"{shift.Flow}: left as captured ({shift.Basis})");
        }
        stdout.WriteLine($"written: {output}");
        return shifts.All(s => s.Delta is not null) ? ReplayCommand.ExitSame : ReplayCommand.ExitIncomplete;
    }
}
