using System.Text.Json;

namespace Colo.Cli.Tests.Replay;

/// <summary>The expected verdicts of the shipped capture pairs (test/data/captures/manifest.json).</summary>
internal sealed record CapturePair(string Root, string Name, string Verdict, IReadOnlyList<ExpectedDivergence> Divergences)
{
    public string PrimaryPath => Path.Combine(Root, Name, "primary.pcap");
    public string SecondaryPath => Path.Combine(Root, Name, "secondary.pcap");

    public override string ToString() => Name;
}

internal sealed record ExpectedDivergence(string Protocol, int DestinationPort, long Offset, long? Sequence, long? DatagramIndex, int PrimaryByte, int SecondaryByte);

internal static class CaptureManifest
{
    /// <summary>The shared pairs and the extra ones recorded with tools/make_capture_pair.py.</summary>
    private static readonly string[] Roots =
    [
        Path.Combine(AppContext.BaseDirectory, "data", "captures"),
        Path.Combine(AppContext.BaseDirectory, "data", "captures-extra"),
    ];

    public static IReadOnlyList<CapturePair> Load()
    {
        var pairs = new List<CapturePair>();
        foreach (string root in Roots)
            Load(root, pairs);
        return pairs;
    }

    private static void Load(string root, List<CapturePair> pairs)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(root, "manifest.json")));
        foreach (JsonElement pair in doc.RootElement.GetProperty("pairs").EnumerateArray())
        {
            var divergences = new List<ExpectedDivergence>();
            foreach (JsonElement d in pair.GetProperty("divergences").EnumerateArray())
            {
                divergences.Add(new ExpectedDivergence(
                    d.GetProperty("protocol").GetString()!,
                    d.GetProperty("five_tuple").GetProperty("dst_port").GetInt32(),
                    d.GetProperty("first_diff_offset").GetInt64(),
                    d.TryGetProperty("first_diff_seq", out JsonElement seq) ? seq.GetInt64() : null,
                    d.TryGetProperty("datagram_index", out JsonElement index) ? index.GetInt64() : null,
                    d.GetProperty("primary_byte").GetInt32(),
                    d.GetProperty("secondary_byte").GetInt32()));
            }
            pairs.Add(new CapturePair(root, pair.GetProperty("name").GetString()!, pair.GetProperty("expected_verdict").GetString()!, divergences));
        }
    }

    public static TheoryData<string> Names(string? verdict = null)
    {
        var data = new TheoryData<string>();
        foreach (CapturePair pair in Load())
        {
            if (verdict is null || pair.Verdict == verdict)
                data.Add(pair.Name);
        }
        return data;
    }

    public static CapturePair Get(string name) => Load().Single(p => p.Name == name);
}
