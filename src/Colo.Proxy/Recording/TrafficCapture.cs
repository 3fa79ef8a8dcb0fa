using System.Globalization;
using Colo.Compare;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Recording;

/// <summary>
/// <c>serve --capture DIR</c>: what ColoProxy read from both inputs and what it released to outdev, as three
/// rotated, size-capped pcapng streams (<c>STAMP-primary-NNNN.pcapng</c>, <c>-secondary-</c>, <c>-outdev-</c>),
/// like QEMU's <c>filter-dump</c> but on ColoProxy's side of the sockets. For deep debugging: every frame is written
/// on the engine's thread (buffered), which costs throughput.
/// </summary>
public sealed partial class TrafficCapture : IFrameTap, IDisposable
{
    private readonly RotatingCapture _primary;
    private readonly RotatingCapture _secondary;
    private readonly RotatingCapture _outdev;
    private readonly long _epochNanoseconds;

    /// <param name="engineEpoch">Wall-clock time of engine time zero: a frame's timestamp is this plus its engine time.</param>
    public TrafficCapture(TrafficCaptureOptions options, DateTimeOffset engineEpoch, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        string directory = options.Directory ?? throw new ArgumentException("a directory is required", nameof(options));
        Directory.CreateDirectory(directory);
        _epochNanoseconds = (engineEpoch - DateTimeOffset.UnixEpoch).Ticks * 100;
        string stamp = engineEpoch.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        void Failed(string stream, string error) => LogCaptureFailed(logger, stream, directory, error);
        _primary = new RotatingCapture(directory, stamp + "-primary", options, Failed);
        _secondary = new RotatingCapture(directory, stamp + "-secondary", options, Failed);
        _outdev = new RotatingCapture(directory, stamp + "-outdev", options, Failed);
    }

    public long PrimaryFrames => _primary.Frames;

    public long SecondaryFrames => _secondary.Frames;

    public long OutdevFrames => _outdev.Frames;

    /// <summary>Frames not written after a write error (the error is logged once per stream).</summary>
    public long LostFrames => _primary.Lost + _secondary.Lost + _outdev.Lost;

    public void Ingested(Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, TimeSpan now) =>
        (side == Side.Primary ? _primary : _secondary).Write(frame[vnetHeaderLength..], Nanoseconds(now));

    /// <summary>A frame released to outdev (vnet header included, as the engine released it).</summary>
    public void Released(ReadOnlySpan<byte> frame, int vnetHeaderLength, TimeSpan now) =>
        _outdev.Write(frame[vnetHeaderLength..], Nanoseconds(now));

    public void Dispose()
    {
        _primary.Dispose();
        _secondary.Dispose();
        _outdev.Dispose();
    }

    private long Nanoseconds(TimeSpan now) => Math.Max(0, _epochNanoseconds + now.Ticks * 100);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "capture {Stream} stopped: cannot write into {Directory}: {Error}")]
    private static partial void LogCaptureFailed(ILogger logger, string stream, string directory, string error);
}
