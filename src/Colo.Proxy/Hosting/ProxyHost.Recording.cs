using Colo.Compare;
using Colo.Proxy.Control;
using Colo.Proxy.Recording;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

// The flight recorder's files: the engine keeps each flow's recent frames; on a divergence (and, when asked, on a
// timeout) the host hands them to the writer, which announces each set in the log, as a control event and a metric.
public sealed partial class ProxyHost
{
    private FlightRecordWriter? _records;
    private readonly TrafficCapture? _capture;

    /// <summary><c>--capture</c>'s streams, or null.</summary>
    internal TrafficCapture? Capture => _capture;

    private TrafficCapture? StartCapture(TrafficCaptureOptions options)
    {
        if (options.Directory is null)
            return null;
        // Fails the start: a capture asked for explicitly that cannot be written is an error, not a warning.
        var capture = new TrafficCapture(options, _engineEpoch, _loggerFactory.CreateLogger("Colo.Proxy.Capture"));
        LogCaptureOn(_logger, options.Directory, options.FileBytes, options.Files);
        return capture;
    }

    /// <summary>The recorder's writer, or null when serve writes no records.</summary>
    internal FlightRecordWriter? Records => _records;

    private void StartRecords(FlightRecordOptions options)
    {
        if (options.Directory is null || _options.Compare.RecorderBytesPerFlow == 0)
            return;
        try
        {
            _records = new FlightRecordWriter(options, _loggerFactory.CreateLogger("Colo.Proxy.Records"), OnRecorded);
            FlightRecordWriter writer = _records;
            _metrics.ObserveRecords(() => (writer.Dropped, writer.Failed));
            LogRecordsOn(_logger, options.Directory, _options.Compare.RecorderBytesPerFlow, _options.Compare.RecorderBudgetBytes, options.Keep);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogRecordsOff(_logger, options.Directory, ex.Message);
        }
    }

    private void RecordDivergence(Divergence divergence) =>
        _records?.TryRecord(new FlightRecord("divergence", divergence.Flow, divergence.RecentFrames, divergence, null, _engineEpoch));

    /// <summary>On the engine's thread, while it reports the trigger: the flow's frames are still as the engine saw them.</summary>
    internal void RecordTrigger(in CheckpointTrigger trigger, CompareEngine engine)
    {
        if (_records is not { RecordTimeouts: true } records || trigger.Reason != CheckpointReason.Timeout || !trigger.HasFlow)
            return;
        records.TryRecord(new FlightRecord("timeout", trigger.Flow, engine.RecentFrames(trigger.Flow), null, trigger, _engineEpoch));
    }

    private void OnRecorded(RecordedFiles files)
    {
        _metrics.Recorded(files.Kind);
        LogRecorded(_logger, files.Kind, files.Flow, files.Primary, files.Secondary, files.Report);
        _control?.PublishEvent("COLO_RECORD", files, static (w, f) => ControlJson.WriteRecordedFiles(w, f));
    }

    private async Task StopRecordsAsync()
    {
        if (_records is not null)
            await _records.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 2204, Level = LogLevel.Warning, Message = "Capturing every frame of primary_in, secondary_in and outdev into {Directory} (files of {FileBytes} bytes, {Files} kept per stream): for debugging, it costs throughput")]
    private static partial void LogCaptureOn(ILogger logger, string directory, long fileBytes, int files);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Flight recorder on: {PerFlow} bytes per flow, {Budget} bytes in all; records into {Directory} (the last {Keep} kept)")]
    private static partial void LogRecordsOn(ILogger logger, string directory, int perFlow, long budget, int keep);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Flight recorder cannot write into {Directory} ({Error}): divergences are logged but not recorded; choose another with --record-dir or turn it off with --record-per-flow 0")]
    private static partial void LogRecordsOff(ILogger logger, string directory, string error);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Recorded {Kind} on {Flow}: {Primary} {Secondary} (report {Report}); replay the pair with colo-proxy replay")]
    private static partial void LogRecorded(ILogger logger, string kind, string flow, string primary, string secondary, string report);
}
