namespace Colo.Cli.Replay;

/// <summary>Settings of one replay run.</summary>
internal sealed class ReplayOptions
{
    public required string PrimaryPath { get; init; }
    public required string SecondaryPath { get; init; }

    /// <summary>Where released primary frames are written (pcap, or pcapng by extension); null for none.</summary>
    public string? OutputPath { get; init; }

    /// <summary><c>--flow</c>: only this flow (as printed, or its Community ID); null for all.</summary>
    public string? Flow { get; init; }

    /// <summary><c>--extract</c>: where to write a pcapng pair per divergent flow; null for none.</summary>
    public string? ExtractDirectory { get; init; }

    /// <summary><c>--html</c>: where to write the self-contained HTML report; null for none.</summary>
    public string? HtmlPath { get; init; }

    /// <summary>Added to every secondary timestamp, for captures taken on hosts whose clocks differ.</summary>
    public TimeSpan SecondaryTimeOffset { get; init; }

    public TimeSpan CompareTimeout { get; init; } = TimeSpan.FromMilliseconds(3000);
    public TimeSpan ExpiredScanCycle { get; init; } = TimeSpan.FromMilliseconds(1000);
    public int MaxQueueSize { get; init; } = 1024;

    /// <summary>Compare non-IP frames (ARP, ...) instead of passing the primary's uncompared.</summary>
    public bool CompareNonIp { get; init; }

    /// <summary>Compare link-local housekeeping (ARP, IPv6 neighbour discovery, MLD, IGMP) too.</summary>
    public bool CompareHousekeeping { get; init; }

    /// <summary>
    /// Replay judges content, so nothing may be dropped for lack of room: the whole of both captures may be held.
    /// </summary>
    public long MaxBufferedBytes { get; init; } = 16L * 1024 * 1024 * 1024;
}
