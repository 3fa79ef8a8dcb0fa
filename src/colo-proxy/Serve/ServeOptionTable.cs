using Colo.Proxy.Endpoints;
using static Colo.Cli.Serve.ServeValues;

namespace Colo.Cli.Serve;

/// <summary>
/// Every <c>colo-proxy serve</c> option, in help order. Defaults are not written here: each entry's <c>Show</c> reads
/// the value from the options types, so <c>--help</c> prints what the code does.
/// </summary>
internal static class ServeOptionTable
{
    private const string EndpointValue = "ENDPOINT";

    public static readonly IReadOnlyList<ServeOption> Options =
    [
        new("primary-in", true, EndpointValue,
            "Primary's output: unix:PATH[,server] or tcp:HOST:PORT[,server] (QEMU's server=on,wait=off also accepted). Required.",
            (c, v) => c.Proxy.PrimaryIn = Endpoint(v), c => c.Proxy.PrimaryIn?.ToString()),
        new("secondary-in", true, EndpointValue, "Secondary's output. Required.",
            (c, v) => c.Proxy.SecondaryIn = Endpoint(v), c => c.Proxy.SecondaryIn?.ToString()),
        new("outdev", true, EndpointValue, "Where released primary frames go. Required.",
            (c, v) => c.Proxy.Outdev = Endpoint(v), c => c.Proxy.Outdev?.ToString()),
        new("notify-dev", true, EndpointValue, "Xen COLO notify channel, e.g. tcp:127.0.0.1:9009,server.",
            (c, v) => c.Proxy.NotifyDev = Endpoint(v), c => c.Proxy.NotifyDev?.ToString()),
        new("qemu-qmp", false, EndpointValue,
            "QEMU/KVM without colo-compare: the primary QEMU's QMP socket (unix:PATH or tcp:HOST:PORT) used to force checkpoints.",
            (c, v) => c.Qemu.Endpoint = v, c => c.QemuEnabled ? c.Qemu.Endpoint : null),
        new("qemu-checkpoint-delay", false, "MS", "x-checkpoint-delay written to force a checkpoint; unset keeps QEMU's.",
            (c, v) => c.Qemu.CheckpointDelay = Milliseconds(v), c => c.Qemu.CheckpointDelay is { } d ? ShowMilliseconds(d) : null),
        new("qemu-trust-resume", false, Switch, "Treat every STOP/RESUME as a checkpoint even without MIGRATION_PASS events.",
            (c, v) => c.Qemu.TrustResume = Bool(v), c => ShowBool(c.Qemu.TrustResume)),
        new("qemu-checkpoint-timeout", false, "MS", "Milliseconds a QEMU checkpoint may take before it is reported as hung.",
            (c, v) => c.Qemu.CheckpointTimeout = Milliseconds(v), c => ShowMilliseconds(c.Qemu.CheckpointTimeout)),
        new("control", false, EndpointValue, "QMP-style control socket, e.g. unix:/run/colo-proxy/control.sock (always listens).",
            (c, v) => c.Proxy.Control = ServerEndpoint(v), c => c.Proxy.Control?.ToString()),
        new("metrics", false, EndpointValue,
            "Prometheus endpoint tcp:HOST:PORT (GET /metrics, GET /healthz); may face the network without --allow-remote.",
            (c, v) => c.Proxy.Metrics = ServerEndpoint(v), c => c.Proxy.Metrics?.ToString()),
        new("compare-timeout", true, "MS", "Milliseconds a queued frame may wait before a checkpoint is requested.",
            (c, v) => c.Proxy.Compare.CompareTimeout = Milliseconds(v), c => ShowMilliseconds(c.Proxy.Compare.CompareTimeout)),
        new("expired-scan-cycle", true, "MS", "Milliseconds between timeout scans and between repeated requests.",
            (c, v) => c.Proxy.Compare.ExpiredScanCycle = Milliseconds(v), c => ShowMilliseconds(c.Proxy.Compare.ExpiredScanCycle)),
        new("max-queue-size", true, "N", "Frames queued per flow per side before a checkpoint is requested.",
            (c, v) => c.Proxy.Compare.MaxQueueSize = Int(v), c => Show(c.Proxy.Compare.MaxQueueSize)),
        new("vnet-hdr-support", true, Switch, "Frames carry a vnet_hdr_len word.",
            (c, v) => c.Proxy.VnetHdrSupport = Bool(v), c => ShowBool(c.Proxy.VnetHdrSupport)),
        new("compare-non-ip", false, Switch, "Compare ARP and other non-IP frames instead of forwarding the primary's uncompared.",
            (c, v) => c.Proxy.Compare.CompareNonIp = Bool(v), c => ShowBool(c.Proxy.Compare.CompareNonIp)),
        new("compare-housekeeping", false, Switch, "Compare link-local housekeeping (router/neighbour solicitations, ...) too.",
            (c, v) => c.Proxy.Compare.CompareHousekeeping = Bool(v), c => ShowBool(c.Proxy.Compare.CompareHousekeeping)),
        new("workers", false, "N", "Engine shards, each with a thread (1: the input threads run the engine).",
            (c, v) => c.Proxy.Workers = Int(v), c => Show(c.Proxy.Workers)),
        new("max-frame-size", false, "BYTES", "Largest accepted frame length; longer ones close the connection.",
            (c, v) => c.Proxy.MaxFrameLength = IntBytes(v), c => Show(c.Proxy.MaxFrameLength)),
        new("output-buffer", false, "BYTES", "Released bytes held while outdev is slow or absent before inputs pause.",
            (c, v) => c.Proxy.OutputBufferBytes = Bytes(v), c => Show(c.Proxy.OutputBufferBytes)),
        new("shutdown-timeout", false, "MS", "Milliseconds shutdown waits for outdev to take released frames.",
            (c, v) => c.Proxy.ShutdownTimeout = Milliseconds(v), c => ShowMilliseconds(c.Proxy.ShutdownTimeout)),
        new("control-max-clients", false, "N", "Control clients connected at once; past it a newcomer takes the place of the longest-idle one.",
            (c, v) => c.Proxy.ControlLimits.MaxClients = Int(v), c => Show(c.Proxy.ControlLimits.MaxClients)),
        new("control-negotiation-timeout", false, "MS", "Milliseconds a control client has to send qmp_capabilities before it is closed.",
            (c, v) => c.Proxy.ControlLimits.NegotiationTimeout = Milliseconds(v), c => ShowMilliseconds(c.Proxy.ControlLimits.NegotiationTimeout)),
        new("control-idle-timeout", false, "MS", "Milliseconds a control client may go without a command before it is closed (watchers poll query-status).",
            (c, v) => c.Proxy.ControlLimits.IdleTimeout = Milliseconds(v), c => ShowMilliseconds(c.Proxy.ControlLimits.IdleTimeout)),
        new("reconnect-ms", false, "MS", "Client endpoints: first delay between connection attempts, doubling up to 10 s.",
            (c, v) => c.Proxy.Endpoints.ReconnectDelay = Milliseconds(v), c => ShowMilliseconds(c.Proxy.Endpoints.ReconnectDelay)),
        new("allow-remote", false, Switch, "Allow TCP servers (other than --metrics) to listen on non-loopback addresses.",
            (c, v) => c.Proxy.Endpoints.AllowRemote = Bool(v), c => ShowBool(c.Proxy.Endpoints.AllowRemote)),
        new("socket-owner", false, "USER", "Owner of the unix sockets serve creates (name or number); needs root or CAP_CHOWN.",
            (c, v) => c.Proxy.Endpoints.SocketOwner = Principal(v), c => c.Proxy.Endpoints.SocketOwner),
        new("socket-group", false, "GROUP", "Group of the unix sockets serve creates, e.g. the group QEMU runs as (libvirt-qemu).",
            (c, v) => c.Proxy.Endpoints.SocketGroup = Principal(v), c => c.Proxy.Endpoints.SocketGroup),
        new("socket-mode", false, "MODE", "Permissions of the unix sockets serve creates, in octal (0660 lets the group connect).",
            (c, v) => c.Proxy.Endpoints.SocketMode = Mode(v), c => ShowMode(c.Proxy.Endpoints.SocketMode)),
        new("record-per-flow", false, "BYTES", "Flight recorder: at most this many bytes of one flow's recent frames in a record, half per side; 0 turns it off.",
            (c, v) => c.Proxy.Compare.RecorderBytesPerFlow = IntBytes(v), c => Show(c.Proxy.Compare.RecorderBytesPerFlow)),
        new("record-budget", false, "BYTES", "Flight recorder: the most the ring all flows' recent frames share may grow to (twice record-per-flow per flow, from 256 KiB; newest overwrite oldest), beyond the engine's memory cap.",
            (c, v) => c.Proxy.Compare.RecorderBudgetBytes = Bytes(v), c => Show(c.Proxy.Compare.RecorderBudgetBytes)),
        new("record-dir", false, "DIR",
            "Directory for the capture pair + JSON written on each divergence (unset: $STATE_DIRECTORY/records or ~/.local/state/colo-proxy/records).",
            (c, v) => c.Proxy.Records.Directory = v, c => c.Proxy.Records.Directory),
        new("record-keep", false, "N", "Recorded sets kept in --record-dir; older ones are deleted.",
            (c, v) => c.Proxy.Records.Keep = Int(v), c => Show(c.Proxy.Records.Keep)),
        new("record-timeouts", false, Switch, "Also record a flow when a timeout checkpoint is requested for it.",
            (c, v) => c.Proxy.Records.RecordTimeouts = Bool(v), c => ShowBool(c.Proxy.Records.RecordTimeouts)),
        new("capture", false, "DIR", "Debugging: write every frame of both inputs and of outdev into rotated pcapng files in DIR (costs throughput).",
            (c, v) => c.Proxy.Capture.Directory = v, c => c.Proxy.Capture.Directory),
        new("capture-file-size", false, "BYTES", "--capture: bytes per file before the next one starts.",
            (c, v) => c.Proxy.Capture.FileBytes = Bytes(v), c => Show(c.Proxy.Capture.FileBytes)),
        new("capture-files", false, "N", "--capture: files kept per stream (primary, secondary, outdev); older ones are deleted.",
            (c, v) => c.Proxy.Capture.Files = Int(v), c => Show(c.Proxy.Capture.Files)),
        new("log-level", false, "LEVEL", "trace, debug, information, warning, error, critical or none.",
            (c, v) => c.LogLevel = Level(v), c => ShowLevel(c.LogLevel)),
        new("log-format", false, "FORMAT", "text (one line, UTC timestamps) or json (one object per line, journald-style fields).",
            (c, v) => c.LogFormat = Format(v), c => c.LogFormat.ToString().ToLowerInvariant()),
    ];

    private static readonly Dictionary<string, ServeOption> ByKey = Options
        .SelectMany(o => new[] { (o.Key, o), (o.UnderscoreName, o) })
        .DistinctBy(p => p.Item1)
        .ToDictionary(p => p.Item1, p => p.Item2, StringComparer.OrdinalIgnoreCase);

    /// <summary>Finds an option by either spelling (<c>primary-in</c>, <c>primary_in</c>), any case.</summary>
    public static bool TryFind(string key, out ServeOption option) => ByKey.TryGetValue(key, out option!);

    /// <summary>The options that only mean something with <c>--qemu-qmp</c>.</summary>
    public static readonly IReadOnlyList<string> QemuDependents = ["qemu-checkpoint-delay", "qemu-trust-resume", "qemu-checkpoint-timeout"];
}
