using System.Threading.Channels;
using Colo.Compare;
using Colo.Proxy.Checkpoints;
using Colo.Proxy.Control;
using Colo.Proxy.Metrics;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

/// <summary>
/// Checkpoints between the engines and the channels that speak to the hypervisor. Engine triggers go through the
/// <see cref="CheckpointCoordinator"/> (one request outstanding at a time; the timer repeats it while it stays
/// outstanding), requests go to every channel from one task, in order; a completion or a failover a channel reports
/// is applied to every shard (<see cref="EngineShards"/>) and then reported.
/// </summary>
internal sealed partial class CheckpointDispatcher
{
    private readonly CheckpointCoordinator _coordinator;
    private readonly IReadOnlyList<ICheckpointChannel> _channels;
    private readonly ColoMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Func<TimeSpan> _clock;
    private readonly ControlServer? _control;
    private readonly Channel<CheckpointRequest> _requests = Channel.CreateUnbounded<CheckpointRequest>(new UnboundedChannelOptions { SingleReader = true });
    private long _completed;

    public CheckpointDispatcher(CheckpointCoordinator coordinator, IReadOnlyList<ICheckpointChannel> channels, ColoMetrics metrics,
        ILogger logger, Func<TimeSpan> clock, ControlServer? control)
    {
        _coordinator = coordinator;
        _channels = channels;
        _metrics = metrics;
        _logger = logger;
        _clock = clock;
        _control = control;
    }

    public CheckpointCoordinator Coordinator => _coordinator;

    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>An engine asks for a checkpoint (engine threads): requested unless one is outstanding.</summary>
    public void OnTriggered(in CheckpointTrigger trigger)
    {
        if (_coordinator.OnTrigger(trigger, _clock()))
        {
            _requests.Writer.TryWrite(new CheckpointRequest(trigger.Reason, trigger.HasFlow ? trigger.Flow.ToString() : null,
                trigger.Side, trigger.Waited, Repeat: false));
        }
        else if (_logger.IsEnabled(LogLevel.Debug))
        {
            LogTriggerCoalesced(_logger, ColoMetrics.Tag(trigger.Reason), trigger.HasFlow ? trigger.Flow.ToString() : "-");
        }
    }

    /// <summary>The timer ticked: an outstanding request is repeated once per expired_scan_cycle.</summary>
    public void OnTick()
    {
        if (_coordinator.OnTick(_clock()))
            _requests.Writer.TryWrite(new CheckpointRequest(_coordinator.OutstandingReason, null, Side.Primary, TimeSpan.Zero, Repeat: true));
    }

    /// <summary>Sends requests to the channels until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (CheckpointRequest request in _requests.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                await SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SendAsync(CheckpointRequest request, CancellationToken cancellationToken)
    {
        string reason = ColoMetrics.Tag(request.Reason);
        _metrics.CheckpointRequested(request.Reason);
        if (request.Repeat)
            LogCheckpointRepeated(_logger, reason);
        else
            LogCheckpointRequested(_logger, reason, request.Flow ?? "-");
        _control?.PublishEvent("COLO_CHECKPOINT_REQUEST", request, static (w, r) => ControlJson.WriteCheckpointRequest(w, r));
        foreach (ICheckpointChannel channel in _channels)
        {
            try
            {
                if (!await channel.RequestCheckpointAsync(reason, cancellationToken).ConfigureAwait(false))
                    LogChannelNotConnected(_logger, channel.Name);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogChannelFailed(_logger, channel.Name, ex);
            }
        }
    }

    /// <summary>A checkpoint completed: every shard releases its queue after the frames already handed to it, then it is reported.</summary>
    public async Task<long> CompleteAsync(string channel, EngineShards shards)
    {
        _coordinator.OnCompleted();
        long released = await shards.CompleteCheckpointAsync().ConfigureAwait(false);
        Interlocked.Increment(ref _completed);
        _metrics.CheckpointCompleted(channel);
        LogCheckpointCompleted(_logger, channel, released);
        _control?.PublishEvent("COLO_CHECKPOINT_DONE", (channel, released), static (w, s) =>
        {
            w.WriteString("channel", s.channel);
            w.WriteNumber("released", s.released);
        });
        return released;
    }

    /// <summary>Failover: every shard releases everything at once and forwards the primary uncompared from now on.</summary>
    public async Task<long> FailoverAsync(string reason, EngineShards shards)
    {
        _coordinator.OnCompleted();
        long released = await shards.FailoverAsync().ConfigureAwait(false);
        LogFailover(_logger, reason, released);
        _control?.PublishEvent("COLO_FAILOVER", (reason, released), static (w, s) =>
        {
            w.WriteString("reason", s.reason);
            w.WriteNumber("released", s.released);
        });
        return released;
    }
}
