namespace Colo.Packets.Capture;

/// <summary>Container format of a capture file.</summary>
public enum CaptureFileFormat
{
    /// <summary>Classic libpcap format (one link type, one timestamp resolution per file).</summary>
    Pcap,

    /// <summary>pcapng: sections, several interfaces, per-interface link type and timestamp resolution.</summary>
    Pcapng,
}
