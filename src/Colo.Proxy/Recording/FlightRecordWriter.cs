using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Colo.Compare;
using Colo.Packets.Capture;
using Colo.Proxy.Control;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Recording;

/// <summary>
/// Writes flight records as a capture pair and a JSON report (<c>STAMP-N-KIND.primary.pcapng</c>,
/// <c>.secondary.pcapng</c>, <c>.json</c>, mode 0600) off the engine's thread, keeping at most
/// <see cref="FlightRecordOptions.Keep"/> sets. <c>colo-proxy replay</c> on a pair reproduces what the engine saw.
/// Records are queued without blocking the engine; when the writer falls behind (a divergence storm) the excess is
/// dropped and counted, never waited for.
/// </summary>
public sealed partial class FlightRecordWriter : IAsyncDisposable
{
    private const int QueueLength = 16;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly FlightRecordOptions _options;
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly Action<RecordedFiles>? _written;
    private readonly Channel<FlightRecord> _queue =
        Channel.CreateBounded<FlightRecord>(new BoundedChannelOptions(QueueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _loop;
    private long _sequence;
    private long _recorded;
    private long _dropped;
    private long _failed;

    /// <param name="written">Called (on the writer's thread) after each set is on disk: log line, event, metric.</param>
    public FlightRecordWriter(FlightRecordOptions options, ILogger logger, Action<RecordedFiles>? written = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _directory = options.Directory ?? throw new ArgumentException("a directory is required", nameof(options));
        _logger = logger;
        _written = written;
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(_directory);
        else
            Directory.CreateDirectory(_directory, PrivateDirectory);
        _loop = Task.Run(WriteLoopAsync);
    }

    public string DirectoryPath => _directory;

    public bool RecordTimeouts => _options.RecordTimeouts;

    /// <summary>Sets written so far.</summary>
    public long Written => Interlocked.Read(ref _recorded);

    /// <summary>Records not written because the writer was behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Records not written because of an I/O error (each logged).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Queues a record without blocking; false (and counted) when the writer is behind or stopped.</summary>
    public bool TryRecord(FlightRecord record)
    {
        if (record.Frames.Count > 0 && _queue.Writer.TryWrite(record))
            return true;
        if (record.Frames.Count > 0)
        {
            long dropped = Interlocked.Increment(ref _dropped);
            // One line per power of two: a storm is visible without flooding the log.
            if ((dropped & (dropped - 1)) == 0)
                LogRecordDropped(_logger, record.Flow.ToString(), dropped);
        }
        return false;
    }

    /// <summary>Writes what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        await foreach (FlightRecord record in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                RecordedFiles files = Write(record);
                // Counted once retention has run, so whoever waits on Written sees the directory as it stays; a set
                // written but not pruned is still a written set.
                try
                {
                    Prune();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    LogPruneFailed(_logger, _directory, ex.Message);
                }
                Interlocked.Increment(ref _recorded);
                _written?.Invoke(files);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Interlocked.Increment(ref _failed);
                LogRecordFailed(_logger, _directory, ex.Message);
            }
        }
    }

    private RecordedFiles Write(FlightRecord record)
    {
        long n = Interlocked.Increment(ref _sequence);
        DateTimeOffset found = record.EngineEpoch + (record.Divergence?.Time ?? record.Trigger?.Time ?? TimeSpan.Zero);
        string stem = string.Create(CultureInfo.InvariantCulture,
            $"{found.UtcDateTime:yyyyMMdd'T'HHmmss'.'fff'Z'}-{n:D4}-{record.Kind}");
        string primary = Path.Combine(_directory, stem + ".primary.pcapng");
        string secondary = Path.Combine(_directory, stem + ".secondary.pcapng");
        string report = Path.Combine(_directory, stem + ".json");
        int primaryFrames = WriteCapture(primary, record, Side.Primary);
        int secondaryFrames = WriteCapture(secondary, record, Side.Secondary);
        using (FileStream stream = Create(report))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("record", record.Kind);
            json.WriteString("time", found.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            if (record.Divergence is { } divergence)
                ControlJson.WriteDivergence(json, divergence);
            else if (record.Trigger is { } trigger)
                WriteTrigger(json, trigger);
            json.WriteString("primary-file", Path.GetFileName(primary));
            json.WriteString("secondary-file", Path.GetFileName(secondary));
            json.WriteNumber("primary-frames", primaryFrames);
            json.WriteNumber("secondary-frames", secondaryFrames);
            json.WriteString("replay", $"colo-proxy replay {Path.GetFileName(primary)} {Path.GetFileName(secondary)}");
            json.WriteEndObject();
        }
        return new RecordedFiles(record.Kind, record.Flow.ToString(), primary, secondary, report, primaryFrames, secondaryFrames);
    }

    private static void WriteTrigger(Utf8JsonWriter json, CheckpointTrigger trigger)
    {
        json.WriteString("flow", trigger.Flow.ToString());
        json.WriteString("reason", ReasonNames.Of(trigger.Reason));
        json.WriteString("side", trigger.Side == Side.Primary ? "primary" : "secondary");
        json.WriteNumber("waited-ms", (long)trigger.Waited.TotalMilliseconds);
    }

    private static int WriteCapture(string path, FlightRecord record, Side side)
    {
        int count = 0;
        // pcapng by its extension, owner read/write only.
        using CaptureWriter writer = CaptureWriter.Create(path);
        foreach (RecordedFrame frame in record.Frames)
        {
            if (frame.Side != side)
                continue;
            long nanoseconds = (record.EngineEpoch + frame.Time - DateTimeOffset.UnixEpoch).Ticks * 100;
            writer.Write(frame.Frame, Math.Max(0, nanoseconds));
            count++;
        }
        return count;
    }

    private static FileStream Create(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = PrivateFile;
        return new FileStream(path, options);
    }

    /// <summary>Deletes the oldest sets beyond the limit (names sort by time; only this writer's own file names).</summary>
    private void Prune()
    {
        string[] reports = Directory.GetFiles(_directory, "*-*-*.json");
        Array.Sort(reports, StringComparer.Ordinal);
        for (int i = 0; i < reports.Length - _options.Keep; i++)
        {
            string stem = reports[i][..^".json".Length];
            foreach (string path in (string[])[stem + ".primary.pcapng", stem + ".secondary.pcapng", stem + ".json"])
                File.Delete(path);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning,
        Message = "flight recorder behind: record of {Flow} not written ({Dropped} dropped so far)")]
    private static partial void LogRecordDropped(ILogger logger, string flow, long dropped);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "flight recorder could not write into {Directory}: {Error}")]
    private static partial void LogRecordFailed(ILogger logger, string directory, string error);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning,
        Message = "flight recorder could not delete old records in {Directory} (--record-keep): {Error}")]
    private static partial void LogPruneFailed(ILogger logger, string directory, string error);
}
