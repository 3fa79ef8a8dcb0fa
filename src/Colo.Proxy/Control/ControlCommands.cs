using System.Globalization;
using System.Net;
using System.Text.Json;
using Colo.Compare;
using Colo.Packets.Frames;
using Colo.Proxy.Hosting;

namespace Colo.Proxy.Control;

/// <summary>
/// The control commands as one table: the session dispatches by it, <c>query-commands</c> lists it, the docs and
/// <c>colo-proxy ctl</c> describe it. A command's handler parses its own arguments; unknown ones are refused first.
/// </summary>
internal static class ControlCommands
{
    public const int DefaultFlowLimit = 10;
    public const int MaxFlowLimit = 10000;
    public const string Capabilities = "qmp_capabilities";
    public const string Quit = "quit";

    /// <summary>Said in query-status and at start when no channel can complete a checkpoint.</summary>
    public const string NoCheckpointChannelWarning =
        "NO CHECKPOINT CHANNEL (neither --notify-dev nor --qemu-qmp): checkpoint requests reach only control clients and the log; "
        + "unless a control client runs colo-checkpoint-done, queued frames are released only by timeouts";

    private static readonly string[] RuleArguments = ["protocol", "src", "src-port", "dst", "dst-port"];

    public static readonly IReadOnlyList<ControlCommand> Table =
    [
        new(Capabilities, "Leave capabilities negotiation; events start flowing.", [], false,
            static (_, _, _) => throw new ControlException(ControlException.CommandNotFound, "Capabilities negotiation is already complete, command ignored")),
        new("query-commands", "The commands this socket accepts.", [], false, QueryCommands),
        new("query-status", "State, peers, checkpoint channels and the checkpoint request state.", [], false, QueryStatus),
        new("query-stats", "Accounting by reason, flows, checkpoints, transport and process counters.", [], false, QueryStatsAsync),
        new("query-flows", "The flows holding the most queued bytes (argument limit, default 10).", ["limit"], false, QueryFlowsAsync),
        new("query-passthrough", "The passthrough rules.", [], false, QueryPassthroughAsync),
        new("colo-checkpoint-done", "Complete a checkpoint: release every queued primary frame.", [], true, CheckpointDoneAsync),
        new("colo-failover", "Release everything, then forward the primary uncompared.", [], true, FailoverAsync),
        new("colo-passthrough-add", "Exempt matching flows from comparison (protocol, src, src-port, dst, dst-port).", RuleArguments, true, PassthroughAddAsync),
        new("colo-passthrough-del", "Remove a passthrough rule (the same arguments as colo-passthrough-add).", RuleArguments, true, PassthroughDelAsync),
        new(Quit, "Shut down as SIGTERM does: release queued primary frames to outdev, close.", [], true, static (_, _, id) => Task.FromResult(ControlReply.Empty(id))),
    ];

    private static readonly Dictionary<string, ControlCommand> ByName = Table.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public static bool TryFind(string name, out ControlCommand command) => ByName.TryGetValue(name, out command!);

    /// <summary>Runs <paramref name="command"/> after refusing arguments it does not take.</summary>
    public static Task<byte[]> ExecuteAsync(IProxyControl control, ControlCommand command, JsonElement? arguments, JsonElement? id)
    {
        if (arguments is { } args)
        {
            foreach (JsonProperty property in args.EnumerateObject())
            {
                if (!command.Arguments.Contains(property.Name))
                {
                    throw new ControlException(command.Arguments.Count == 0
                        ? $"Parameter '{property.Name}' is unexpected; {command.Name} takes no arguments"
                        : $"Parameter '{property.Name}' is unexpected; {command.Name} takes {string.Join(", ", command.Arguments)}");
                }
            }
        }
        return command.Handler(control, arguments, id);
    }

    private static Task<byte[]> QueryCommands(IProxyControl control, JsonElement? arguments, JsonElement? id) =>
        Task.FromResult(ControlReply.Success(id, static w =>
        {
            w.WriteStartArray();
            foreach (ControlCommand command in Table)
            {
                w.WriteStartObject();
                w.WriteString("name", command.Name);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }, wrapObject: false));

    private static Task<byte[]> QueryStatus(IProxyControl control, JsonElement? arguments, JsonElement? id)
    {
        ProxyStatus status = control.GetStatus();
        return Task.FromResult(ControlReply.Success(id, w =>
        {
            w.WriteString("state", status.State);
            w.WriteBoolean("running", status.State is "running" or "failover");
            w.WriteNumber("uptime-ms", (long)status.Uptime.TotalMilliseconds);
            w.WriteNumber("workers", status.Workers);
            w.WriteStartObject("peers");
            foreach (KeyValuePair<string, bool> peer in status.Peers)
                w.WriteBoolean(peer.Key, peer.Value);
            w.WriteEndObject();
            w.WriteStartObject("checkpoint");
            w.WriteStartArray("channels");
            foreach (string channel in status.CheckpointChannels)
                w.WriteStringValue(channel);
            w.WriteEndArray();
            w.WriteBoolean("outstanding", status.CheckpointOutstanding);
            if (status.OutstandingReason is { } reason)
                w.WriteString("reason", reason);
            else
                w.WriteNull("reason");
            w.WriteNumber("requested", status.CheckpointsRequested);
            w.WriteNumber("repeated", status.CheckpointsRepeated);
            w.WriteNumber("completed", status.CheckpointsCompleted);
            w.WriteEndObject();
            w.WriteNumber("output-buffered-bytes", status.OutputBufferedBytes);
            w.WriteStartArray("warnings");
            if (status.CheckpointChannels.Count == 0)
                w.WriteStringValue(NoCheckpointChannelWarning);
            w.WriteEndArray();
        }));
    }

    private static async Task<byte[]> QueryStatsAsync(IProxyControl control, JsonElement? arguments, JsonElement? id)
    {
        EngineCounters counters = await control.GetCountersAsync().ConfigureAwait(false);
        (int flows, long buffered, long storageAllocations) = await control.GetEngineSizeAsync().ConfigureAwait(false);
        ProxyStatus status = control.GetStatus();
        ProxyTransportSnapshot transport = control.GetTransport();
        return ControlReply.Success(id, w =>
        {
            ControlJson.WriteCounters(w, counters);
            w.WriteStartObject("flows");
            w.WriteNumber("tracked", flows);
            w.WriteNumber("created", counters.FlowsCreated);
            w.WriteNumber("evicted", counters.FlowsEvicted);
            w.WriteEndObject();
            w.WriteNumber("buffered-bytes", buffered);
            w.WriteNumber("storage-allocations", storageAllocations);
            w.WriteStartObject("checkpoints");
            w.WriteNumber("requested", status.CheckpointsRequested);
            w.WriteNumber("completed", status.CheckpointsCompleted);
            w.WriteEndObject();
            w.WriteStartObject("transport");
            WriteInput(w, "primary_in", transport.PrimaryIn);
            WriteInput(w, "secondary_in", transport.SecondaryIn);
            w.WriteStartObject("outdev");
            w.WriteNumber("frames", transport.OutdevFrames);
            w.WriteNumber("buffered-bytes", transport.OutdevBufferedBytes);
            w.WriteNumber("stalls", transport.OutdevStalls);
            w.WriteNumber("resent", transport.OutdevResentFrames);
            w.WriteEndObject();
            w.WriteEndObject();
            WriteProcess(w);
        });
    }

    private static async Task<byte[]> QueryFlowsAsync(IProxyControl control, JsonElement? arguments, JsonElement? id)
    {
        int limit = DefaultFlowLimit;
        if (arguments is { } args && args.TryGetProperty("limit", out JsonElement l))
        {
            if (l.ValueKind != JsonValueKind.Number || !l.TryGetInt32(out limit) || limit < 1 || limit > MaxFlowLimit)
                throw new ControlException($"Parameter 'limit' must be an integer between 1 and {MaxFlowLimit}");
        }
        IReadOnlyList<FlowStatus> flows = await control.GetTopFlowsAsync(limit).ConfigureAwait(false);
        return ControlReply.Success(id, w =>
        {
            w.WriteStartArray();
            foreach (FlowStatus flow in flows)
            {
                w.WriteStartObject();
                ControlJson.WriteFlow(w, flow.Flow);
                w.WriteString("state", flow.State);
                w.WriteNumber("primary-queued-frames", flow.PrimaryQueuedFrames);
                w.WriteNumber("primary-queued-bytes", flow.PrimaryQueuedBytes);
                w.WriteNumber("secondary-queued-frames", flow.SecondaryQueuedFrames);
                w.WriteNumber("secondary-queued-bytes", flow.SecondaryQueuedBytes);
                w.WriteNumber("oldest-queued-ms", (long)flow.OldestQueuedAge.TotalMilliseconds);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }, wrapObject: false);
    }

    private static async Task<byte[]> QueryPassthroughAsync(IProxyControl control, JsonElement? arguments, JsonElement? id)
    {
        IReadOnlyList<PassthroughRule> rules = await control.GetPassthroughRulesAsync().ConfigureAwait(false);
        return ControlReply.Success(id, w =>
        {
            w.WriteStartArray();
            foreach (PassthroughRule rule in rules)
            {
                w.WriteStartObject();
                WriteRule(w, rule);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }, wrapObject: false);
    }

    private static async Task<byte[]> CheckpointDoneAsync(IProxyControl control, JsonElement? arguments, JsonElement? id)
    {
        long released = await control.CompleteCheckpointAsync("control").ConfigureAwait(false);
        return ControlReply.Success(id, w => w.WriteNumber("released", released));
    }

    private static async Task<byte[]> FailoverAsync(IProxyControl control, JsonElement? arguments, JsonElement? id)
    {
        long released = await control.FailoverAsync("control").ConfigureAwait(false);
        return ControlReply.Success(id, w => w.WriteNumber("released", released));
    }

    private static async Task<byte[]> PassthroughAddAsync(IProxyControl control, JsonElement? arguments, JsonElement? id)
    {
        PassthroughRule rule = ParseRule(arguments);
        await control.AddPassthroughAsync(rule).ConfigureAwait(false);
        return ControlReply.Empty(id);
    }

    private static async Task<byte[]> PassthroughDelAsync(IProxyControl control, JsonElement? arguments, JsonElement? id)
    {
        PassthroughRule rule = ParseRule(arguments);
        if (!await control.RemovePassthroughAsync(rule).ConfigureAwait(false))
            throw new ControlException("No such passthrough rule; query-passthrough lists the rules");
        return ControlReply.Empty(id);
    }

    // Garbage collections per generation, bytes allocated, CPU time and resident memory (current and peak: VmRSS and
    // VmHWM on Linux): a steady run should show no gen1/gen2 collections and no growth of allocated-bytes per frame.
    private static void WriteProcess(Utf8JsonWriter w)
    {
        w.WriteStartObject("process");
        w.WriteNumber("gc-gen0", GC.CollectionCount(0));
        w.WriteNumber("gc-gen1", GC.CollectionCount(1));
        w.WriteNumber("gc-gen2", GC.CollectionCount(2));
        w.WriteNumber("allocated-bytes", GC.GetTotalAllocatedBytes());
        w.WriteNumber("cpu-ms", (long)Environment.CpuUsage.TotalTime.TotalMilliseconds);
        using (var process = System.Diagnostics.Process.GetCurrentProcess())
        {
            w.WriteNumber("rss-bytes", process.WorkingSet64);
            w.WriteNumber("peak-rss-bytes", process.PeakWorkingSet64);
        }
        w.WriteEndObject();
    }

    private static void WriteInput(Utf8JsonWriter w, string name, InputSnapshot stats)
    {
        w.WriteStartObject(name);
        w.WriteNumber("frames", stats.Frames);
        w.WriteNumber("oversize", stats.Oversize);
        w.WriteNumber("closed-mid-frame", stats.ClosedMidFrame);
        w.WriteNumber("empty-frames", stats.EmptyFrames);
        w.WriteEndObject();
    }

    private static void WriteRule(Utf8JsonWriter w, PassthroughRule rule)
    {
        if (rule.Protocol is { } p)
            w.WriteString("protocol", IpProtocol.Name(p));
        if (rule.Source is { } s)
            w.WriteString("src", s.ToString());
        if (rule.SourcePort is { } sp)
            w.WriteNumber("src-port", sp);
        if (rule.Destination is { } d)
            w.WriteString("dst", d.ToString());
        if (rule.DestinationPort is { } dp)
            w.WriteNumber("dst-port", dp);
    }

    /// <summary>{"protocol": "tcp"|"udp"|"icmp"|"icmpv6"|number, "src": ip, "src-port": n, "dst": ip, "dst-port": n}.</summary>
    internal static PassthroughRule ParseRule(JsonElement? arguments)
    {
        if (arguments is not { } args)
            throw new ControlException("Missing arguments: give at least one of protocol, src, src-port, dst, dst-port");
        byte? protocol = null;
        IPAddress? source = null, destination = null;
        ushort? sourcePort = null, destinationPort = null;
        foreach (JsonProperty property in args.EnumerateObject())
        {
            switch (property.Name)
            {
                case "protocol":
                    protocol = ParseProtocol(property.Value);
                    break;
                case "src":
                    source = ParseAddress(property);
                    break;
                case "dst":
                    destination = ParseAddress(property);
                    break;
                case "src-port":
                    sourcePort = ParsePort(property);
                    break;
                case "dst-port":
                    destinationPort = ParsePort(property);
                    break;
                default:
                    throw new ControlException($"Parameter '{property.Name}' is unexpected; expected protocol, src, src-port, dst, dst-port");
            }
        }
        if (protocol is null && source is null && destination is null && sourcePort is null && destinationPort is null)
            throw new ControlException("A passthrough rule needs at least one of protocol, src, src-port, dst, dst-port");
        return new PassthroughRule(protocol, source, sourcePort, destination, destinationPort);
    }

    private static byte ParseProtocol(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) && number is >= 0 and <= 255)
            return (byte)number;
        if (value.ValueKind == JsonValueKind.String)
        {
            switch (value.GetString()!.ToLowerInvariant())
            {
                case "tcp": return IpProtocol.Tcp;
                case "udp": return IpProtocol.Udp;
                case "icmp": return 1;
                case "icmpv6": return 58;
                case string s when byte.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out byte parsed): return parsed;
            }
        }
        throw new ControlException($"Parameter 'protocol' must be tcp, udp, icmp, icmpv6 or a number 0..255 (got {value.GetRawText()})");
    }

    private static IPAddress ParseAddress(JsonProperty property)
    {
        if (property.Value.ValueKind == JsonValueKind.String && IPAddress.TryParse(property.Value.GetString(), out IPAddress? address))
            return address;
        throw new ControlException($"Parameter '{property.Name}' must be an IPv4 or IPv6 address (got {property.Value.GetRawText()})");
    }

    private static ushort ParsePort(JsonProperty property)
    {
        if (property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out int port) && port is >= 0 and <= 65535)
            return (ushort)port;
        throw new ControlException($"Parameter '{property.Name}' must be a port number 0..65535 (got {property.Value.GetRawText()})");
    }
}
