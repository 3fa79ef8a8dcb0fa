using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Colo.Proxy.Checkpoints;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Qemu;

/// <summary>
/// The QEMU/KVM checkpoint channel: a QMP client of the primary QEMU. QEMU has no "checkpoint now" command, but
/// <c>migrate-set-parameters {"x-checkpoint-delay": N}</c> during COLO checkpoints at once and re-arms the periodic
/// timer to now + N; completion is read from the events (<see cref="QemuCheckpointTracker"/> has the rules). Reconnects
/// with exponential backoff; each new session re-reads QEMU's state and forgets whatever was in flight.
/// </summary>
public sealed partial class QemuCheckpointChannel : ICheckpointChannel
{
    /// <summary>The channel's name in logs, metrics and events.</summary>
    public const string ChannelName = "qemu-qmp";

    private readonly QemuCheckpointOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly QmpEndpoint _endpoint;
    private readonly long _startTimestamp;
    private readonly Lock _lock = new();
    private readonly QemuCheckpointTracker _tracker;
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _deadlineTimer;
    private ICheckpointEvents? _events;
    private QmpClient? _client;
    private uint _checkpointDelayMs;
    private string _coloMode = "unknown";
    private Task _run = Task.CompletedTask;
    private int _started;
    private int _disposed;
    private long _requestsSent;
    private long _requestsCoalesced;
    private long _requestsFailed;
    private long _sessions;
    private bool _eventsOffWarned;

    public QemuCheckpointChannel(QemuCheckpointOptions options, ILogger logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options.Validate();
        QmpEndpoint.TryParse(options.Endpoint, out QmpEndpoint? endpoint, out _);
        _endpoint = endpoint!;
        _options = options;
        _logger = logger;
        _timeProvider = timeProvider;
        _startTimestamp = timeProvider.GetTimestamp();
        _tracker = new QemuCheckpointTracker(options.CheckpointTimeout, options.TrustResume);
        _deadlineTimer = timeProvider.CreateTimer(static state => ((QemuCheckpointChannel)state!).OnDeadline(), this,
            Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Name => ChannelName;

    public bool IsConnected => Volatile.Read(ref _client) is not null;

    /// <summary>The COLO mode QEMU reported at connect (<c>primary</c>, <c>secondary</c>, <c>none</c>), "unknown" before.</summary>
    public string ColoMode
    {
        get { lock (_lock) return _coloMode; }
    }

    /// <summary>Whether QEMU sends migration events (the <c>events</c> capability), as known now.</summary>
    public bool EventsCapability
    {
        get { lock (_lock) return _tracker.EventsCapability; }
    }

    /// <summary>The <c>x-checkpoint-delay</c> a forced request writes; null until known.</summary>
    public TimeSpan? CheckpointDelay
    {
        get { lock (_lock) return _checkpointDelayMs == 0 ? null : TimeSpan.FromMilliseconds(_checkpointDelayMs); }
    }

    /// <summary>Checkpoints completed (each one a flush), forced or periodic.</summary>
    public long CheckpointsCompleted
    {
        get { lock (_lock) return _tracker.CheckpointsCompleted; }
    }

    /// <summary>Checkpoints reported hung (no <c>RESUME</c> within the checkpoint timeout).</summary>
    public long CheckpointTimeouts
    {
        get { lock (_lock) return _tracker.CheckpointTimeouts; }
    }

    /// <summary>Hung checkpoints whose <c>RESUME</c> came after all.</summary>
    public long LateCompletions
    {
        get { lock (_lock) return _tracker.LateCompletions; }
    }

    /// <summary><c>STOP</c>/<c>RESUME</c> pairs without <c>MIGRATION_PASS</c> (a user's stop/cont): not flushed.</summary>
    public long UserStopResumes
    {
        get { lock (_lock) return _tracker.UserStopResumes; }
    }

    /// <summary><c>RESUME</c>s not taken as completions because the events capability is off.</summary>
    public long UntrustedResumes
    {
        get { lock (_lock) return _tracker.UntrustedResumes; }
    }

    /// <summary><c>COLO_EXIT</c> events seen.</summary>
    public long Failovers
    {
        get { lock (_lock) return _tracker.Failovers; }
    }

    /// <summary><c>migrate-set-parameters</c> requests QEMU accepted.</summary>
    public long RequestsSent => Interlocked.Read(ref _requestsSent);

    /// <summary>Requests not sent because a checkpoint was already in flight or requested.</summary>
    public long RequestsCoalesced => Interlocked.Read(ref _requestsCoalesced);

    /// <summary>Requests that could not be delivered (not connected, rejected, timed out).</summary>
    public long RequestsFailed => Interlocked.Read(ref _requestsFailed);

    /// <summary>QMP sessions established so far.</summary>
    public long Sessions => Interlocked.Read(ref _sessions);

    /// <summary>Test and diagnostics hook: called after each event was handled, on the event pump.</summary>
    internal Action<QmpEvent, QemuCheckpointResult>? EventHandled { get; set; }

    /// <summary>
    /// Starts the connect loop in the background and returns. The loop runs until <see cref="DisposeAsync"/> or until
    /// <paramref name="cancellationToken"/> is cancelled; connection changes are reported as
    /// <see cref="ICheckpointEvents.PeerChanged"/>.
    /// </summary>
    public Task StartAsync(ICheckpointEvents events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException("The QEMU checkpoint channel was already started.");
        _events = events;
        CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, cancellationToken);
        _run = RunAsync(linked);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Forces a checkpoint with <c>migrate-set-parameters {"x-checkpoint-delay": N}</c>. Never sent while one is in
    /// flight (VM stopped) or while an earlier request still waits for its <c>STOP</c>: those calls return true, the
    /// coming <c>RESUME</c> answers them. Returns false when not connected, when the delay is unknown or when QEMU
    /// rejected the command (the caller retries later).
    /// </summary>
    public async ValueTask<bool> RequestCheckpointAsync(string reason, CancellationToken cancellationToken)
    {
        QmpClient? client;
        QemuRequestDecision decision;
        uint delayMs;
        lock (_lock)
        {
            client = _client;
            delayMs = _checkpointDelayMs;
            if (client is null || delayMs == 0)
            {
                decision = QemuRequestDecision.Send;
            }
            else
            {
                decision = _tracker.TryBeginRequest(Now);
                RescheduleLocked();
            }
        }

        if (client is null)
        {
            Interlocked.Increment(ref _requestsFailed);
            LogRequestNotConnected(_logger, reason);
            return false;
        }

        if (delayMs == 0)
        {
            Interlocked.Increment(ref _requestsFailed);
            LogRequestNoDelay(_logger, reason);
            return false;
        }

        if (decision != QemuRequestDecision.Send)
        {
            Interlocked.Increment(ref _requestsCoalesced);
            LogRequestCoalesced(_logger, reason, decision);
            return true;
        }

        try
        {
            await client.ExecuteAsync("migrate-set-parameters", new JsonObject { ["x-checkpoint-delay"] = delayMs }, cancellationToken)
                .ConfigureAwait(false);
            Interlocked.Increment(ref _requestsSent);
            LogRequestSent(_logger, reason, delayMs);
            return true;
        }
        catch (Exception ex) when (ex is QmpCommandException or IOException or TimeoutException or OperationCanceledException)
        {
            lock (_lock)
            {
                _tracker.CancelRequest();
                RescheduleLocked();
            }

            if (ex is OperationCanceledException)
                throw;
            Interlocked.Increment(ref _requestsFailed);
            LogRequestFailed(_logger, reason, ex.Message);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        await _deadlineTimer.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private TimeSpan Now => _timeProvider.GetElapsedTime(_startTimestamp);

    private async Task RunAsync(CancellationTokenSource linked)
    {
        await Task.Yield();
        CancellationToken token = linked.Token;
        TimeSpan backoff = _options.ReconnectDelay;
        int failures = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                bool connected = false;
                var client = new QmpClient(_endpoint, _logger, _timeProvider, _options.CommandTimeout);
                try
                {
                    await client.ConnectAsync(token).ConfigureAwait(false);
                    await InitializeSessionAsync(client, token).ConfigureAwait(false);
                    lock (_lock)
                        Volatile.Write(ref _client, client);
                    connected = true;
                    failures = 0;
                    backoff = _options.ReconnectDelay;
                    Interlocked.Increment(ref _sessions);
                    Notify(static (e, name) => e.PeerChanged(name, true));
                    await PumpEventsAsync(client, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or QmpCommandException)
                {
                    failures++;
                    string reason = ex is SocketException socketError
                        ? Endpoints.ConnectFailure.Describe(socketError, _endpoint.UnixPath)
                        : ex.Message;
                    if (failures == 1)
                        LogConnectFailed(_logger, _endpoint.Text, reason, backoff.TotalMilliseconds);
                    else
                        LogConnectRetry(_logger, _endpoint.Text, failures, reason, backoff.TotalMilliseconds);
                }
                finally
                {
                    lock (_lock)
                    {
                        Volatile.Write(ref _client, null);
                        _tracker.Reset(running: true);
                        RescheduleLocked();
                    }

                    await client.DisposeAsync().ConfigureAwait(false);
                    if (connected)
                    {
                        LogSessionEnded(_logger, _endpoint.Text, backoff.TotalMilliseconds);
                        Notify(static (e, name) => e.PeerChanged(name, false));
                    }
                }

                if (token.IsCancellationRequested)
                    break;
                try
                {
                    await Task.Delay(backoff, _timeProvider, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                backoff = backoff * 2 > _options.MaxReconnectDelay ? _options.MaxReconnectDelay : backoff * 2;
            }
        }
        finally
        {
            linked.Dispose();
        }
    }

    private async Task InitializeSessionAsync(QmpClient client, CancellationToken cancellationToken)
    {
        string mode = "unknown";
        string lastMode = "";
        string exitReason = "";
        try
        {
            JsonElement colo = await client.ExecuteAsync("query-colo-status", null, cancellationToken).ConfigureAwait(false);
            mode = ReadString(colo, "mode"u8, "unknown");
            lastMode = ReadString(colo, "last-mode"u8, "");
            exitReason = ReadString(colo, "reason"u8, "");
        }
        catch (QmpCommandException ex)
        {
            LogColoStatusUnavailable(_logger, ex.Description);
        }

        uint? qemuDelayMs = null;
        try
        {
            JsonElement parameters = await client.ExecuteAsync("query-migrate-parameters", null, cancellationToken).ConfigureAwait(false);
            if (parameters.ValueKind == JsonValueKind.Object
                && parameters.TryGetProperty("x-checkpoint-delay"u8, out JsonElement delay) && delay.TryGetUInt32(out uint ms))
                qemuDelayMs = ms;
        }
        catch (QmpCommandException ex)
        {
            LogParametersUnavailable(_logger, ex.Description);
        }

        bool? events = null;
        bool? xColo = null;
        try
        {
            JsonElement capabilities = await client.ExecuteAsync("query-migrate-capabilities", null, cancellationToken).ConfigureAwait(false);
            if (capabilities.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement capability in capabilities.EnumerateArray())
                {
                    string name = ReadString(capability, "capability"u8, "");
                    bool state = capability.TryGetProperty("state"u8, out JsonElement s) && s.ValueKind == JsonValueKind.True;
                    if (name == "events")
                        events = state;
                    else if (name == "x-colo")
                        xColo = state;
                }
            }
        }
        catch (QmpCommandException ex)
        {
            LogCapabilitiesUnavailable(_logger, ex.Description);
        }

        bool running = true;
        string runState = "unknown";
        try
        {
            JsonElement status = await client.ExecuteAsync("query-status", null, cancellationToken).ConfigureAwait(false);
            running = !status.TryGetProperty("running"u8, out JsonElement r) || r.ValueKind != JsonValueKind.False;
            runState = ReadString(status, "status"u8, "unknown");
        }
        catch (QmpCommandException ex)
        {
            LogStatusUnavailable(_logger, ex.Description);
        }

        uint delayMs = _options.CheckpointDelay is { } configured ? (uint)configured.TotalMilliseconds : qemuDelayMs ?? 0;
        lock (_lock)
        {
            _coloMode = mode;
            _checkpointDelayMs = delayMs;
            _tracker.Reset(running);
            _tracker.EventsCapability = events ?? false;
            RescheduleLocked();
        }

        LogSession(_logger, _endpoint.Text, mode, lastMode, exitReason, runState,
            qemuDelayMs?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown",
            delayMs == 0 ? "unknown" : delayMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            events?.ToString() ?? "unknown", xColo?.ToString() ?? "unknown");
        if (mode == "secondary")
            LogConnectedToSecondary(_logger, _endpoint.Text);
        if (delayMs == 0)
            LogDelayUnknown(_logger, _endpoint.Text);
        if (events != true)
        {
            // The documented start has ColoProxy up before the operator switches 'events' on (just before
            // 'migrate'): only COLO running without it is a problem. Checked again when COLO starts (its RESUME).
            if (mode == "primary")
                WarnEventsOff();
            else
                LogEventsOffBeforeColo(_logger, _endpoint.Text);
        }
    }

    private void WarnEventsOff()
    {
        lock (_lock)
        {
            if (_eventsOffWarned)
                return;
            _eventsOffWarned = true;
        }
        if (_options.TrustResume)
            LogEventsOffTrusted(_logger, _endpoint.Text);
        else
            LogEventsOff(_logger, _endpoint.Text);
    }

    /// <summary>
    /// COLO is starting: re-read what the operator may have set since ColoProxy connected. The documented start runs
    /// ColoProxy first, so at connect QEMU still reports its default x-checkpoint-delay (20000 ms), not the value the
    /// start sequence sets just before 'migrate'.
    /// </summary>
    private async Task RefreshCheckpointDelayAsync(QmpClient client, CancellationToken cancellationToken)
    {
        if (_options.CheckpointDelay is not null)
            return;
        try
        {
            JsonElement parameters = await client.ExecuteAsync("query-migrate-parameters", null, cancellationToken).ConfigureAwait(false);
            if (parameters.ValueKind != JsonValueKind.Object
                || !parameters.TryGetProperty("x-checkpoint-delay"u8, out JsonElement delay) || !delay.TryGetUInt32(out uint ms))
                return;
            uint before;
            lock (_lock)
            {
                before = _checkpointDelayMs;
                _checkpointDelayMs = ms;
            }
            if (before != ms)
                LogDelayRefreshed(_logger, before, ms);
        }
        catch (QmpCommandException ex)
        {
            LogParametersUnavailable(_logger, ex.Description);
        }
    }

    /// <summary>A RESUME while QEMU sends no migration events: if COLO now runs, it runs without them; say so.</summary>
    private async Task CheckColoWithoutEventsAsync(QmpClient client, CancellationToken cancellationToken)
    {
        try
        {
            JsonElement colo = await client.ExecuteAsync("query-colo-status", null, cancellationToken).ConfigureAwait(false);
            string mode = ReadString(colo, "mode"u8, "unknown");
            lock (_lock)
                _coloMode = mode;
            if (mode == "primary")
                WarnEventsOff();
        }
        catch (QmpCommandException ex)
        {
            LogColoStatusUnavailable(_logger, ex.Description);
        }
    }

    private async Task PumpEventsAsync(QmpClient client, CancellationToken cancellationToken)
    {
        await foreach (QmpEvent evt in client.Events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            QemuCheckpointResult result = HandleEvent(evt);
            if (result.Action == QemuCheckpointAction.ColoStarted
                || (result.Action == QemuCheckpointAction.MigrationStatus && result.Detail == "setup"))
            {
                await RefreshCheckpointDelayAsync(client, cancellationToken).ConfigureAwait(false);
            }
            else if (evt.Name == "RESUME" && !EventsCapability && !Volatile.Read(ref _eventsOffWarned))
            {
                await CheckColoWithoutEventsAsync(client, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    internal QemuCheckpointResult HandleEvent(QmpEvent evt)
    {
        QemuCheckpointResult result;
        bool eventsTurnedOn;
        lock (_lock)
        {
            bool before = _tracker.EventsCapability;
            result = _tracker.OnEvent(evt.Name, evt.Data, Now);
            eventsTurnedOn = !before && _tracker.EventsCapability;
            RescheduleLocked();
        }

        if (eventsTurnedOn)
            LogEventsTurnedOn(_logger, evt.Name);
        Report(result, evt.Name);
        EventHandled?.Invoke(evt, result);
        return result;
    }

    private void OnDeadline()
    {
        QemuCheckpointResult first;
        QemuCheckpointResult second;
        lock (_lock)
        {
            TimeSpan now = Now;
            first = _tracker.OnTimer(now);
            second = first.Action == QemuCheckpointAction.None ? default : _tracker.OnTimer(now);
            RescheduleLocked();
        }

        Report(first, "timer");
        Report(second, "timer");
    }

    private void RescheduleLocked()
    {
        if (Volatile.Read(ref _disposed) != 0)
            return;
        TimeSpan? deadline = _tracker.NextDeadline;
        if (deadline is null)
        {
            _deadlineTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        TimeSpan due = deadline.Value - Now;
        _deadlineTimer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private void Report(in QemuCheckpointResult result, string eventName)
    {
        switch (result.Action)
        {
            case QemuCheckpointAction.None:
                return;
            case QemuCheckpointAction.Stopped:
                LogStopped(_logger);
                return;
            case QemuCheckpointAction.CheckpointStarted:
                LogCheckpointStarted(_logger, result.Pass);
                return;
            case QemuCheckpointAction.CheckpointCompleted:
                LogCheckpointCompleted(_logger, result.Pass, result.Duration.TotalMilliseconds);
                Notify(static (e, name) => e.CheckpointCompleted(name));
                return;
            case QemuCheckpointAction.LateCheckpointCompleted:
                LogLateCheckpointCompleted(_logger, result.Pass, result.Duration.TotalMilliseconds);
                Notify(static (e, name) => e.CheckpointCompleted(name));
                return;
            case QemuCheckpointAction.UserStopResume:
                LogUserStopResume(_logger, result.Duration.TotalMilliseconds);
                return;
            case QemuCheckpointAction.ResumeNotTrusted:
                LogResumeNotTrusted(_logger);
                return;
            case QemuCheckpointAction.CheckpointTimedOut:
                {
                    string message =
                        $"QEMU checkpoint (MIGRATION_PASS {result.Pass}) has not resumed the primary after {result.Duration.TotalSeconds:0.###} s " +
                        $"(timeout {_options.CheckpointTimeout.TotalSeconds:0.###} s): QEMU may be hung inside the checkpoint; " +
                        "primary output stays queued until a RESUME or COLO_EXIT arrives.";
                    LogCheckpointTimedOut(_logger, message);
                    NotifyError(message);
                    return;
                }
            case QemuCheckpointAction.RequestExpired:
                LogRequestExpired(_logger, result.Duration.TotalMilliseconds);
                return;
            case QemuCheckpointAction.ColoStarted:
                LogColoStarted(_logger);
                return;
            case QemuCheckpointAction.MigrationStatus:
                LogMigrationStatus(_logger, result.Detail);
                return;
            case QemuCheckpointAction.Failover:
                {
                    lock (_lock)
                        _coloMode = "none";
                    string reason = result.Detail;
                    LogFailover(_logger, result.Mode, reason, DescribeExitReason(reason));
                    if (_events is { } events)
                    {
                        try
                        {
                            events.FailoverRequested(ChannelName, reason);
                        }
                        catch (Exception ex) when (ex is not OutOfMemoryException)
                        {
                            LogEventsCallbackFailed(_logger, nameof(ICheckpointEvents.FailoverRequested), ex);
                        }
                    }

                    return;
                }
            default:
                LogUnhandledAction(_logger, result.Action, eventName);
                return;
        }
    }

    private static string DescribeExitReason(string reason) => reason switch
    {
        "request" => "requested on QEMU's monitor (x-colo-lost-heartbeat)",
        "error" => "a checkpoint or the link to the secondary failed",
        "processing" => "COLO was still being set up or torn down",
        "none" => "QEMU gave no reason",
        _ => "reason not known to ColoProxy",
    };

    private void Notify(Action<ICheckpointEvents, string> call)
    {
        if (_events is not { } events)
            return;
        try
        {
            call(events, ChannelName);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogEventsCallbackFailed(_logger, "ICheckpointEvents", ex);
        }
    }

    private void NotifyError(string message)
    {
        if (_events is not { } events)
            return;
        try
        {
            events.ChannelError(ChannelName, message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogEventsCallbackFailed(_logger, nameof(ICheckpointEvents.ChannelError), ex);
        }
    }

    private static string ReadString(JsonElement element, ReadOnlySpan<byte> property, string fallback) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out JsonElement value)
            && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : fallback;
}
