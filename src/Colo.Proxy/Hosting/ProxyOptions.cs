using Colo.Compare;
using Colo.Proxy.Control;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Framing;

namespace Colo.Proxy.Hosting;

/// <summary>Everything <c>colo-proxy serve</c> needs; names follow QEMU's colo-compare properties.</summary>
public sealed class ProxyOptions
{
    public EndpointSpec? PrimaryIn { get; set; }

    public EndpointSpec? SecondaryIn { get; set; }

    public EndpointSpec? Outdev { get; set; }

    /// <summary>Xen COLO notify channel (libxl connects; usually <c>tcp:127.0.0.1:PORT,server</c>).</summary>
    public EndpointSpec? NotifyDev { get; set; }

    /// <summary>QEMU/KVM without colo-compare (<c>--qemu-qmp</c>): checkpoints forced and followed over the primary's QMP socket.</summary>
    public Qemu.QemuCheckpointOptions? Qemu { get; set; }

    /// <summary>QMP-style control socket (always a server).</summary>
    public EndpointSpec? Control { get; set; }

    /// <summary>Prometheus text endpoint (<c>tcp:127.0.0.1:PORT</c>).</summary>
    public EndpointSpec? Metrics { get; set; }

    /// <summary>The engine's limits and timers (compare_timeout, expired_scan_cycle, max_queue_size, ...).</summary>
    public CompareOptions Compare { get; set; } = new();

    /// <summary>QEMU <c>vnet_hdr_support</c>: a vnet_hdr_len word follows each length word on the frame channels.</summary>
    public bool VnetHdrSupport { get; set; }

    /// <summary>Length words above this close the connection (QEMU's buffer: 69632).</summary>
    public int MaxFrameLength { get; set; } = FrameCodec.DefaultMaxFrameLength;

    /// <summary>Engine shards, one thread each; flows are spread by address pair and protocol.</summary>
    public int Workers { get; set; } = 1;

    /// <summary>Released bytes held while outdev is slow or absent; when full, the inputs stop being read.</summary>
    public long OutputBufferBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Connection behaviour (reconnect backoff, --allow-remote).</summary>
    public EndpointOptions Endpoints { get; set; } = new();

    /// <summary>Control clients: how many at once, and the negotiation and idle timeouts.</summary>
    public ControlLimits ControlLimits { get; set; } = new();

    /// <summary>Where the flight recorder's capture pairs go (the engine's share: <see cref="CompareOptions.RecorderBytesPerFlow"/>).</summary>
    public Recording.FlightRecordOptions Records { get; set; } = new();

    /// <summary><c>--capture</c>: every frame of both inputs and outdev into rotated pcapng files.</summary>
    public Recording.TrafficCaptureOptions Capture { get; set; } = new();

    /// <summary>How long shutdown waits for outdev to take the released frames.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Checks the options; each message names the option and says why it is wrong.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PrimaryIn is null)
            errors.Add("--primary-in is required (unix:PATH[,server] or tcp:HOST:PORT[,server]).");
        if (SecondaryIn is null)
            errors.Add("--secondary-in is required (unix:PATH[,server] or tcp:HOST:PORT[,server]).");
        if (Outdev is null)
            errors.Add("--outdev is required (unix:PATH[,server] or tcp:HOST:PORT[,server]).");
        if (ControlLimits.MaxClients < 1)
            errors.Add("--control-max-clients must be at least 1.");
        if (ControlLimits.NegotiationTimeout <= TimeSpan.Zero)
            errors.Add("--control-negotiation-timeout must be positive.");
        if (ControlLimits.IdleTimeout <= TimeSpan.Zero)
            errors.Add("--control-idle-timeout must be positive.");

        var named = new List<(string Option, EndpointSpec Spec)>();
        void Add(string option, EndpointSpec? spec)
        {
            if (spec is not null)
                named.Add((option, spec));
        }
        Add("--primary-in", PrimaryIn);
        Add("--secondary-in", SecondaryIn);
        Add("--outdev", Outdev);
        Add("--notify-dev", NotifyDev);
        Add("--control", Control);
        Add("--metrics", Metrics);
        for (int i = 0; i < named.Count; i++)
        {
            for (int j = i + 1; j < named.Count; j++)
            {
                if (named[i].Spec.SameSocketAs(named[j].Spec))
                    errors.Add($"{named[j].Option} uses the same socket as {named[i].Option} ({named[j].Spec}); each channel needs its own.");
            }
        }
        foreach ((string option, EndpointSpec spec) in named)
        {
            // The metrics endpoint only reads (and names no addresses): it may face the network on its own.
            if (option != "--metrics" && spec.IsServer && spec.Kind == EndpointKind.Tcp && !Endpoints.AllowRemote && !spec.IsLoopback())
                errors.Add($"{option} {spec} would listen on a non-loopback address; use 127.0.0.1/::1 or pass --allow-remote.");
        }
        if (Control is { IsServer: false })
            errors.Add($"--control {Control} must be a server endpoint (add ',server').");
        if (Metrics is { } metrics && (metrics.Kind != EndpointKind.Tcp))
            errors.Add($"--metrics {metrics} must be tcp:HOST:PORT.");

        if (Compare.CompareTimeout <= TimeSpan.Zero)
            errors.Add($"--compare-timeout must be positive (got {Compare.CompareTimeout.TotalMilliseconds} ms).");
        if (Compare.ExpiredScanCycle <= TimeSpan.Zero)
            errors.Add($"--expired-scan-cycle must be positive (got {Compare.ExpiredScanCycle.TotalMilliseconds} ms).");
        if (Compare.MaxQueueSize < 1)
            errors.Add($"--max-queue-size must be at least 1 (got {Compare.MaxQueueSize}).");
        if (Workers is < 1 or > 64)
            errors.Add($"--workers must be between 1 and 64 (got {Workers}).");
        if (MaxFrameLength is < 64 or > 16 * 1024 * 1024)
            errors.Add($"--max-frame-size must be between 64 and 16777216 bytes (got {MaxFrameLength}).");
        if (OutputBufferBytes < 2L * MaxFrameLength)
            errors.Add($"--output-buffer must hold at least two maximum frames ({2L * MaxFrameLength} bytes; got {OutputBufferBytes}).");
        if (Endpoints.ReconnectDelay <= TimeSpan.Zero)
            errors.Add($"--reconnect-ms must be positive (got {Endpoints.ReconnectDelay.TotalMilliseconds}).");
        return errors;
    }
}
