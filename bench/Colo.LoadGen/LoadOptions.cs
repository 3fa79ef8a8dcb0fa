namespace Colo.LoadGen;

/// <summary>Options of <c>colo-loadgen run</c>.</summary>
internal sealed class LoadOptions
{
    public const string Usage = """
        colo-loadgen run --primary-in EP --secondary-in EP --outdev EP [--notify-dev EP] [options]
          EP is unix:PATH or tcp:HOST:PORT (a trailing ,server is accepted); the comparator listens, we connect
          (outdev and notify first).
          --flows N              TCP flows, server->client (default 1)
          --frame-size N         Ethernet frame bytes incl. 54 bytes of headers (default 1514)
          --payload N            TCP payload bytes per primary segment (instead of --frame-size)
          --resegment R          fraction 0..1 of primary segment pairs the secondary cuts as 3 segments (default 0)
          --divergence R         fraction 0..1 of primary segments whose secondary copy has one byte flipped (default 0)
          --vnet-hdr N           vnet_hdr_support framing with an N-byte virtio-net header (default 0 = off)
          --duration S           seconds of sending (default 5); --frames N sends N primary frames instead
          --rate FPS             primary frames per second (default 0 = as fast as possible)
          --warmup S             seconds excluded from throughput, latency and CPU (default 1, capped at duration/2)
          --checkpoint-delay MS  delay before answering DO_CHECKPOINT with COLO_CHECKPOINT (default 10)
          --pid PID              comparator process: CPU seconds and peak RSS from /proc
          --control EP           ColoProxy's control socket: GC collections per generation over the measured window
          --label TEXT --scenario TEXT   copied into the JSON result
          --window N             max frames of either side sent but not released (default 65536; with a byte lag,
                                 the lag in frames plus 65536)
          --skew MODE            how far apart the replicas may run (default 1024):
                                   N, frames:N   lock-step: the primary at most N frames ahead, the secondary never
                                                 ahead
                                   none          free-running: no bound between the sides, each writes as fast as
                                                 its socket takes it (only --window holds either back)
                                   time:D        lag: the secondary writes a segment D after the primary did
                                                 (10ms, 100ms, 1s); the backlog is the frame rate times D, at
                                                 most --window frames
                                   bytes:B       lag: the secondary stays B bytes of primary frames behind (10MB,
                                                 100MB, 200MB) and the primary at most 1024 frames further ahead,
                                                 until the primary stops; then the secondary catches up
          --batch-bytes N --batch-frames N --socket-buffer N   write batching (262144, 512) and SO_SNDBUF/RCVBUF (4 MiB)
          --drain-timeout S      after sending, wait this long without a release before calling frames lost (default 5)
          --connect-timeout S    keep retrying connects this long (default 10)
          --full-checksum        real TCP checksums (default: pseudo-header sum, as with checksum offload)
          --seed N               traffic seed (default 1)
          --isn-near-wrap        start every flow 64 KiB below 2^32 so sequence numbers wrap at once (default: ISNs
                                 below 2^30; QEMU misorders wrapping streams)
        Prints one JSON line on stdout and a human summary on stderr. Exit 0 when every frame was released intact and in
        order, 1 when frames were lost, altered or reordered, 2 on bad usage or a connection failure.
        """;

    public required Endpoint PrimaryIn { get; init; }

    public required Endpoint SecondaryIn { get; init; }

    public required Endpoint Outdev { get; init; }

    public Endpoint? NotifyDev { get; init; }

    public int Flows { get; init; } = 1;

    public int Payload { get; init; } = 1460;

    public double Resegment { get; init; }

    public double Divergence { get; init; }

    public int VnetHeaderLength { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    public long Frames { get; init; }

    public double Rate { get; init; }

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan CheckpointDelay { get; init; } = TimeSpan.FromMilliseconds(10);

    public int Pid { get; init; }

    /// <summary>ColoProxy's control socket, for GC counts (other comparators have none).</summary>
    public Endpoint? Control { get; init; }

    public string Label { get; init; } = "";

    public string Scenario { get; init; } = "";

    public int Window { get; init; } = 65536;

    public SkewBound Skew { get; init; } = SkewBound.LockStep(1024);

    public int BatchBytes { get; init; } = 256 * 1024;

    public int BatchFrames { get; init; } = 512;

    public int SocketBuffer { get; init; } = 4 * 1024 * 1024;

    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public bool FullChecksum { get; init; }

    public bool IsnNearWrap { get; init; }

    public ulong Seed { get; init; } = 1;

    /// <summary>Largest --window: the timestamp rings must hold every frame in flight on both sides.</summary>
    public const int MaxWindow = RunState.RingSize / 2;

    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        var reader = new ArgReader(args, new HashSet<string>(StringComparer.Ordinal) { "--full-checksum", "--isn-near-wrap" });
        int payload = reader.Has("--payload")
            ? (int)reader.Long("--payload", 1460, 2, 9000)
            : (int)reader.Long("--frame-size", 1514, TrafficPlan.HeadersLength + 2, 9014) - TrafficPlan.HeadersLength;
        _ = reader.Has("--frame-size");
        string? notify = reader.String("--notify-dev");
        string? control = reader.String("--control");
        double durationSeconds = reader.Double("--duration", 5, 0.1, 3600);
        SkewBound skew = SkewBound.Parse(reader.String("--skew") ?? "1024", MaxWindow);
        long lagFrames = skew.LagFrames(payload + TrafficPlan.HeadersLength);
        if (lagFrames + 16 > MaxWindow)
        {
            throw new UsageException(
                $"--skew {skew}: a lag of {lagFrames} frames does not fit the {MaxWindow}-frame window; use larger frames or a smaller lag.");
        }
        var options = new LoadOptions
        {
            PrimaryIn = Endpoint.Parse(reader.Required("--primary-in")),
            SecondaryIn = Endpoint.Parse(reader.Required("--secondary-in")),
            Outdev = Endpoint.Parse(reader.Required("--outdev")),
            NotifyDev = notify is null ? null : Endpoint.Parse(notify),
            Flows = (int)reader.Long("--flows", 1, 1, 1_000_000),
            Payload = payload,
            Resegment = reader.Double("--resegment", 0, 0, 1),
            Divergence = reader.Double("--divergence", 0, 0, 1),
            VnetHeaderLength = (int)reader.Long("--vnet-hdr", 0, 0, 20),
            Duration = TimeSpan.FromSeconds(durationSeconds),
            Frames = reader.Long("--frames", 0, 0, long.MaxValue / 4),
            Rate = reader.Double("--rate", 0, 0, 1e9),
            Warmup = TimeSpan.FromSeconds(Math.Min(reader.Double("--warmup", 1, 0, 3600), durationSeconds / 2)),
            CheckpointDelay = TimeSpan.FromMilliseconds(reader.Double("--checkpoint-delay", 10, 0, 60_000)),
            Pid = (int)reader.Long("--pid", 0, 0, int.MaxValue),
            Control = control is null ? null : Endpoint.Parse(control),
            Label = reader.String("--label") ?? "",
            Scenario = reader.String("--scenario") ?? "",
            Window = (int)reader.Long("--window", skew.Kind == SkewKind.Bytes ? Math.Min(lagFrames + 65536, MaxWindow) : 65536, 16, MaxWindow),
            Skew = skew,
            BatchBytes = (int)reader.Long("--batch-bytes", 256 * 1024, 1, 64 * 1024 * 1024),
            BatchFrames = (int)reader.Long("--batch-frames", 512, 1, 1 << 20),
            SocketBuffer = (int)reader.Long("--socket-buffer", 4 * 1024 * 1024, 0, 1 << 30),
            DrainTimeout = TimeSpan.FromSeconds(reader.Double("--drain-timeout", 5, 0.1, 600)),
            ConnectTimeout = TimeSpan.FromSeconds(reader.Double("--connect-timeout", 10, 0, 600)),
            FullChecksum = reader.Has("--full-checksum"),
            IsnNearWrap = reader.Has("--isn-near-wrap"),
            Seed = (ulong)reader.Long("--seed", 1, 0, long.MaxValue),
        };
        reader.RejectUnknown();
        if (options.Skew.Kind == SkewKind.Bytes && options.Window <= lagFrames)
            throw new UsageException($"--window {options.Window} must be larger than the lag ({lagFrames} frames).");
        if (options.Resegment > 0 && options.Payload < 2)
            throw new UsageException("--resegment needs a payload of at least 2 bytes.");
        return options;
    }
}
