using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>
/// <c>--flow</c>: restricts a replay to one flow, named as the report prints it (<c>tcp 10.77.0.1:9000 -&gt;
/// 10.77.0.2:49994</c>, protocol optional, either direction) or by its Community ID (<c>1:...</c>).
/// </summary>
internal sealed class FlowFilter
{
    private readonly string _text;

    private FlowFilter(string text) => _text = text;

    public static FlowFilter Parse(string text) => new(Normalize(text));

    public bool Matches(in FlowKey flow)
    {
        if (_text.StartsWith("1:", StringComparison.Ordinal))
            return flow.IpVersion != 0 && string.Equals(CommunityIdOfKey(flow), _text, StringComparison.Ordinal);
        string printed = Normalize(flow.ToString());
        if (printed == _text)
            return true;
        // Without the protocol, or naming the other direction.
        int space = printed.IndexOf(' ', StringComparison.Ordinal);
        string endpoints = space < 0 ? printed : printed[(space + 1)..];
        if (endpoints == _text)
            return true;
        string[] ends = endpoints.Split("->");
        if (ends.Length != 2)
            return false;
        string reversed = ends[1] + "->" + ends[0];
        return reversed == _text || (space >= 0 && printed[..(space + 1)] + reversed == _text);
    }

    /// <summary>The flow's Community ID hashes ports only; ICMP flows are matched by their printed form.</summary>
    private static string? CommunityIdOfKey(in FlowKey flow) =>
        flow.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6 ? null : CommunityId.Of(flow);

    /// <summary>Lower case, single spaces, no spaces around the arrow.</summary>
    private static string Normalize(string text)
    {
        string trimmed = string.Join(' ', text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));
        trimmed = trimmed.Replace(" -> ", "->", StringComparison.Ordinal).Replace("-> ", "->", StringComparison.Ordinal)
            .Replace(" ->", "->", StringComparison.Ordinal);
        return trimmed.StartsWith("1:", StringComparison.Ordinal) ? trimmed : trimmed.ToLowerInvariant();
    }
}
