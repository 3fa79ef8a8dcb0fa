using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Colo.Proxy.Metrics;

/// <summary>
/// Renders one meter's instruments in the Prometheus text format (version 0.0.4), whatever they are: a new instrument
/// in <see cref="ColoMetrics"/> appears here without another list to keep in step. A <see cref="MeterListener"/>
/// aggregates what the plain instruments record (sums for counters, buckets for histograms, taken from the
/// histogram's advice) and asks the observable ones at each <see cref="Render"/>.
/// </summary>
internal sealed class PrometheusRenderer : IDisposable
{
    private readonly Meter _meter;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentSeries> _series = new();
    private readonly ConcurrentQueue<Instrument> _order = new();
    private readonly Lock _renderLock = new();

    public PrometheusRenderer(Meter meter)
    {
        _meter = meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter != _meter)
                return;
            if (_series.TryAdd(instrument, new InstrumentSeries(instrument)))
                _order.Enqueue(instrument);
            listener.EnableMeasurementEvents(instrument, _series[instrument]);
        };
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (instrument, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Collects the observable instruments and writes every series.</summary>
    public string Render()
    {
        lock (_renderLock)
        {
            foreach (InstrumentSeries series in _series.Values)
            {
                if (series.IsObservable)
                    series.Clear();
            }
            _listener.RecordObservableInstruments();
            var text = new StringBuilder(8192);
            foreach (Instrument instrument in _order)
                _series[instrument].WriteTo(text);
            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Escapes a label value: backslash, double quote and newline.</summary>
    internal static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string Format(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };
}
