using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Colo.Compare;
using Colo.Packets.Frames;
using Colo.Proxy.Hosting;

namespace Colo.Proxy.Control;

/// <summary>The control commands: argument parsing, execution against the host, reply shapes.</summary>
internal static class ControlCommands
{
    public const int DefaultFlowLimit = 10;
    public const int MaxFlowLimit = 10000;

    public static readonly string[] Names =
    [
        "qmp_capabilities", "query-commands", "query-status", "query-stats", "query-flows", "query-passthrough",
        "colo-checkpoint-done", "colo-failover", "colo-passthrough-add", "colo-passthrough-del", "quit",
    ];

    public static async Task<byte[]> ExecuteAsync(ProxyHost host, string command, JsonElement? arguments, JsonElement? id)
    {
        switch (command)
        {
            case "query-commands":
                return Success(id, static w =>
                {
                    w.WriteStartArray();
                    foreach (string name in Names)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", name);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }, wrapObject: false);

            case "query-status":
            {
                ProxyStatus status = host.GetStatus();
                CheckpointCoordinator coordinator = host.Coordinator;
                long completed = host.CheckpointsCompleted;
                return Success(id, w =>
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
                    w.WriteBoolean("outstanding", status.CheckpointOutstanding);
                    if (status.OutstandingReason is { } reason)
                        w.WriteString("reason", reason);
                    else
                        w.WriteNull("reason");
                    w.WriteNumber("requested", coordinator.RequestsSent);
                    w.WriteNumber("repeated", coordinator.RequestsRepeated);
                    w.WriteNumber("completed", completed);
                    w.WriteEndObject();
                    w.WriteNumber("output-buffered-bytes", status.OutputBufferedBytes);
                });
            }

            case "query-stats":
            {
                EngineCounters counters = await host.GetCountersAsync().ConfigureAwait(false);
                (int flows, long buffered, long storageAllocations) = await host.GetEngineSizeAsync().ConfigureAwait(false);
                (InputStats primary, InputStats secondary) = host.InputStatistics;
                return Success(id, w =>
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
                    w.WriteNumber("requested", host.Coordinator.RequestsSent);
                    w.WriteNumber("completed", host.CheckpointsCompleted);
                    w.WriteEndObject();
                    w.WriteStartObject("transport");
                    WriteInput(w, "primary_in", primary);
                    WriteInput(w, "secondary_in", secondary);
                    w.WriteStartObject("outdev");
                    w.WriteNumber("frames", host.FramesReleasedToOutput);
                    w.WriteNumber("buffered-bytes", host.OutputBufferedBytes);
                    w.WriteNumber("stalls", host.OutputStalls);
                    w.WriteNumber("resent", host.OutputResentFrames);
                    w.WriteEndObject();
                    w.WriteEndObject();
                    WriteProcess(w);
                });
            }

            case "query-flows":
            {
                int limit = DefaultFlowLimit;
                if (arguments is { } args && args.TryGetProperty("limit", out JsonElement l))
                {
                    if (l.ValueKind != JsonValueKind.Number || !l.TryGetInt32(out limit) || limit < 1 || limit > MaxFlowLimit)
                        throw new ControlException($"Parameter 'limit' must be an integer between 1 and {MaxFlowLimit}");
                }
                IReadOnlyList<FlowStatus> flows = await host.GetTopFlowsAsync(limit).ConfigureAwait(false);
                return Success(id, w =>
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

            case "query-passthrough":
            {
                IReadOnlyList<PassthroughRule> rules = await host.GetPassthroughRulesAsync().ConfigureAwait(false);
                return Success(id, w =>
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

            case "colo-checkpoint-done":
            {
                long released = await host.CompleteCheckpointAsync("control").ConfigureAwait(false);
                return Success(id, w => w.WriteNumber("released", released));
            }

            case "colo-failover":
            {
                long released = await host.FailoverAsync("control").ConfigureAwait(false);
                return Success(id, w => w.WriteNumber("released", released));
            }

            case "colo-passthrough-add":
            {
                PassthroughRule rule = ParseRule(arguments);
                await host.AddPassthroughAsync(rule).ConfigureAwait(false);
                return Success(id, static _ => { });
            }

            case "colo-passthrough-del":
            {
                PassthroughRule rule = ParseRule(arguments);
                if (!await host.RemovePassthroughAsync(rule).ConfigureAwait(false))
                    throw new ControlException("No such passthrough rule; query-passthrough lists the rules");
                return Success(id, static _ => { });
            }

            case "quit":
                return Success(id, static _ => { });

            default:
                throw new ControlException(ControlException.CommandNotFound, $"The command {command} has not been found");
        }
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

    private static void WriteInput(Utf8JsonWriter w, string name, InputStats stats)
    {
        w.WriteStartObject(name);
        w.WriteNumber("frames", Interlocked.Read(ref stats.Frames));
        w.WriteNumber("oversize", Interlocked.Read(ref stats.Oversize));
        w.WriteNumber("closed-mid-frame", Interlocked.Read(ref stats.ClosedMidFrame));
        w.WriteNumber("empty-frames", Interlocked.Read(ref stats.EmptyFrames));
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

    public static byte[] Success(JsonElement? id, Action<Utf8JsonWriter> writeReturn, bool wrapObject = true)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, ControlJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("return");
            if (wrapObject)
                writer.WriteStartObject();
            writeReturn(writer);
            if (wrapObject)
                writer.WriteEndObject();
            WriteId(writer, id);
            writer.WriteEndObject();
        }
        buffer.Write("\r\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Error(JsonElement? id, string errorClass, string description)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, ControlJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("class", errorClass);
            writer.WriteString("desc", description);
            writer.WriteEndObject();
            WriteId(writer, id);
            writer.WriteEndObject();
        }
        buffer.Write("\r\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteId(Utf8JsonWriter writer, JsonElement? id)
    {
        if (id is { } value)
        {
            writer.WritePropertyName("id");
            value.WriteTo(writer);
        }
    }
}
