using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Qemu;

// Event ids 3120-3199 (3100-3119 are QmpClient's).
public sealed partial class QemuCheckpointChannel
{
    [LoggerMessage(EventId = 3120, Level = LogLevel.Information,
        Message = "QEMU {Endpoint}: session up: COLO mode {Mode} (last {LastMode}, exit reason {ExitReason}), run state {RunState}, " +
                  "x-checkpoint-delay {QemuDelayMs} ms (forced checkpoints write {DelayMs} ms), events capability {Events}, x-colo {XColo}")]
    private static partial void LogSession(ILogger logger, string endpoint, string mode, string lastMode, string exitReason, string runState,
        string qemuDelayMs, string delayMs, string events, string xColo);

    [LoggerMessage(EventId = 3121, Level = LogLevel.Error,
        Message = "QEMU {Endpoint}: COLO runs with the 'events' migration capability OFF: QEMU sends no MIGRATION_PASS, so a checkpoint cannot be told " +
                  "from a user's stop/cont and RESUME will NOT be taken as checkpoint completion; queued primary output is only released " +
                  "by timeouts. Enable it: migrate-set-capabilities {{\"capabilities\": [{{\"capability\": \"events\", \"state\": true}}]}} " +
                  "(or pass --qemu-trust-resume to flush at every RESUME)")]
    private static partial void LogEventsOff(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 3122, Level = LogLevel.Warning,
        Message = "QEMU {Endpoint}: the 'events' migration capability is OFF and --qemu-trust-resume is set: EVERY RESUME, including " +
                  "after a user's stop/cont, is taken as checkpoint completion and flushes uncompared primary output")]
    private static partial void LogEventsOffTrusted(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 3133, Level = LogLevel.Information,
        Message = "QEMU {Endpoint}: the 'events' migration capability is off for now (COLO is not running); it must be on before " +
                  "'migrate' (docs/qemu-kvm.md section 4). ColoProxy checks again when COLO starts")]
    private static partial void LogEventsOffBeforeColo(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 3134, Level = LogLevel.Information,
        Message = "QEMU: COLO is starting: x-checkpoint-delay is now {DelayMs} ms (was {BeforeMs} ms at connect); forced checkpoints write it")]
    private static partial void LogDelayRefreshed(ILogger logger, uint beforeMs, uint delayMs);

    [LoggerMessage(EventId = 3123, Level = LogLevel.Information, Message = "QEMU: {Event} shows the 'events' migration capability is on now")]
    private static partial void LogEventsTurnedOn(ILogger logger, string @event);

    [LoggerMessage(EventId = 3124, Level = LogLevel.Warning,
        Message = "QEMU {Endpoint}: this monitor belongs to the COLO SECONDARY; ColoProxy must be connected to the primary's QMP")]
    private static partial void LogConnectedToSecondary(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 3125, Level = LogLevel.Error,
        Message = "QEMU {Endpoint}: x-checkpoint-delay is unknown (query-migrate-parameters failed) and --qemu-checkpoint-delay is not set: " +
                  "checkpoints cannot be forced")]
    private static partial void LogDelayUnknown(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 3126, Level = LogLevel.Warning, Message = "QEMU: query-colo-status failed ({Reason}); is QEMU built with COLO (replication)?")]
    private static partial void LogColoStatusUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 3127, Level = LogLevel.Warning, Message = "QEMU: query-migrate-parameters failed: {Reason}")]
    private static partial void LogParametersUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 3128, Level = LogLevel.Warning, Message = "QEMU: query-migrate-capabilities failed: {Reason}")]
    private static partial void LogCapabilitiesUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 3129, Level = LogLevel.Warning, Message = "QEMU: query-status failed: {Reason}; assuming the VM runs")]
    private static partial void LogStatusUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 3130, Level = LogLevel.Warning, Message = "QEMU {Endpoint}: cannot connect: {Reason}; retrying in {DelayMs} ms")]
    private static partial void LogConnectFailed(ILogger logger, string endpoint, string reason, double delayMs);

    [LoggerMessage(EventId = 3131, Level = LogLevel.Debug, Message = "QEMU {Endpoint}: attempt {Attempt} failed: {Reason}; retrying in {DelayMs} ms")]
    private static partial void LogConnectRetry(ILogger logger, string endpoint, int attempt, string reason, double delayMs);

    [LoggerMessage(EventId = 3132, Level = LogLevel.Warning,
        Message = "QEMU {Endpoint}: QMP session ended; checkpoints cannot be forced or seen until it is back (reconnecting in {DelayMs} ms)")]
    private static partial void LogSessionEnded(ILogger logger, string endpoint, double delayMs);

    [LoggerMessage(EventId = 3140, Level = LogLevel.Information, Message = "QEMU: checkpoint forced ({Reason}): x-checkpoint-delay {DelayMs} ms written")]
    private static partial void LogRequestSent(ILogger logger, string reason, uint delayMs);

    [LoggerMessage(EventId = 3141, Level = LogLevel.Debug, Message = "QEMU: checkpoint request ({Reason}) coalesced: {Decision}")]
    private static partial void LogRequestCoalesced(ILogger logger, string reason, QemuRequestDecision decision);

    [LoggerMessage(EventId = 3142, Level = LogLevel.Debug, Message = "QEMU: checkpoint request ({Reason}) not delivered: no QMP session")]
    private static partial void LogRequestNotConnected(ILogger logger, string reason);

    [LoggerMessage(EventId = 3143, Level = LogLevel.Warning, Message = "QEMU: checkpoint request ({Reason}) not delivered: x-checkpoint-delay unknown")]
    private static partial void LogRequestNoDelay(ILogger logger, string reason);

    [LoggerMessage(EventId = 3144, Level = LogLevel.Warning, Message = "QEMU: checkpoint request ({Reason}) failed: {Error}")]
    private static partial void LogRequestFailed(ILogger logger, string reason, string error);

    [LoggerMessage(EventId = 3145, Level = LogLevel.Warning,
        Message = "QEMU: no STOP {ElapsedMs} ms after a forced checkpoint request; is COLO running? A new request may be sent")]
    private static partial void LogRequestExpired(ILogger logger, double elapsedMs);

    [LoggerMessage(EventId = 3150, Level = LogLevel.Debug, Message = "QEMU: STOP")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = 3151, Level = LogLevel.Debug, Message = "QEMU: checkpoint in flight (MIGRATION_PASS {Pass})")]
    private static partial void LogCheckpointStarted(ILogger logger, long pass);

    [LoggerMessage(EventId = 3152, Level = LogLevel.Information, Message = "QEMU: checkpoint complete (MIGRATION_PASS {Pass}, VM stopped {DurationMs} ms): flushing")]
    private static partial void LogCheckpointCompleted(ILogger logger, long pass, double durationMs);

    [LoggerMessage(EventId = 3153, Level = LogLevel.Warning,
        Message = "QEMU: hung checkpoint (MIGRATION_PASS {Pass}) completed after all, {DurationMs} ms after STOP: flushing")]
    private static partial void LogLateCheckpointCompleted(ILogger logger, long pass, double durationMs);

    [LoggerMessage(EventId = 3154, Level = LogLevel.Information,
        Message = "QEMU: STOP/RESUME without MIGRATION_PASS (stopped {DurationMs} ms): a user's stop/cont, not a checkpoint; nothing flushed")]
    private static partial void LogUserStopResume(ILogger logger, double durationMs);

    [LoggerMessage(EventId = 3155, Level = LogLevel.Warning,
        Message = "QEMU: RESUME not taken as checkpoint completion: the 'events' capability is off and --qemu-trust-resume is not set")]
    private static partial void LogResumeNotTrusted(ILogger logger);

    [LoggerMessage(EventId = 3156, Level = LogLevel.Error, Message = "QEMU: {Message}")]
    private static partial void LogCheckpointTimedOut(ILogger logger, string message);

    [LoggerMessage(EventId = 3157, Level = LogLevel.Information, Message = "QEMU: COLO running (MIGRATION colo); its first RESUME completes the initial checkpoint")]
    private static partial void LogColoStarted(ILogger logger);

    [LoggerMessage(EventId = 3158, Level = LogLevel.Information, Message = "QEMU: migration status {Status}")]
    private static partial void LogMigrationStatus(ILogger logger, string status);

    [LoggerMessage(EventId = 3159, Level = LogLevel.Critical,
        Message = "QEMU: COLO_EXIT (mode {Mode}, reason {Reason}: {Explanation}): failing over, primary output is forwarded uncompared")]
    private static partial void LogFailover(ILogger logger, string mode, string reason, string explanation);

    [LoggerMessage(EventId = 3190, Level = LogLevel.Error, Message = "QEMU channel: the {Callback} callback threw")]
    private static partial void LogEventsCallbackFailed(ILogger logger, string callback, Exception exception);

    [LoggerMessage(EventId = 3191, Level = LogLevel.Debug, Message = "QEMU channel: unhandled action {Action} after {Event}")]
    private static partial void LogUnhandledAction(ILogger logger, QemuCheckpointAction action, string @event);
}
