using System.Diagnostics.Metrics;
using System.Text;

namespace Colo.Proxy.Metrics;

/// <summary>
/// One instrument's values per label set, as <see cref="PrometheusRenderer"/> keeps them: a sum for counters and
/// up-down counters, the last value for observable instruments, cumulative buckets for histograms.
/// </summary>
internal sealed class InstrumentSeries
{
    private readonly Instrument _instrument;
    private readonly string _name;
    private readonly string _type;
    private readonly double[] _bounds;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HistogramPoint> _histograms = new(StringComparer.Ordinal);

    public InstrumentSeries(Instrument instrument)
    {
        _instrument = instrument;
        _name = PrometheusNames.Of(instrument);
        _type = PrometheusNames.TypeOf(instrument);
        IReadOnlyList<double>? advice = (instrument as Histogram<double>)?.Advice?.HistogramBucketBoundaries;
        _bounds = advice is null ? [.. ColoMetrics.LatencyBuckets] : [.. advice];
        IsObservable = instrument.IsObservable;
    }

    public bool IsObservable { get; }

    public void Clear()
    {
        lock (_lock)
            _values.Clear();
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Untagged measurements (the release latency, once per released frame) build no label string.
        string labels = tags.Length == 0 ? "" : Labels(tags);
        lock (_lock)
        {
            if (_type == "histogram")
            {
                if (!_histograms.TryGetValue(labels, out HistogramPoint? point))
                    _histograms[labels] = point = new HistogramPoint(_bounds.Length);
                point.Add(_bounds, value);
            }
            else if (IsObservable)
            {
                _values[labels] = value;
            }
            else
            {
                _values[labels] = _values.GetValueOrDefault(labels) + value;
            }
        }
    }

    public void WriteTo(StringBuilder text)
    {
        lock (_lock)
        {
            if (_values.Count == 0 && _histograms.Count == 0)
                return;
            text.Append("# HELP ").Append(_name).Append(' ').Append(EscapeHelp(_instrument.Description ?? _instrument.Name)).Append('\n');
            text.Append("# TYPE ").Append(_name).Append(' ').Append(_type).Append('\n');
            foreach ((string labels, double value) in _values)
                Sample(text, _name, labels, value);
            foreach ((string labels, HistogramPoint point) in _histograms)
            {
                long cumulative = 0;
                for (int i = 0; i < _bounds.Length; i++)
                {
                    cumulative += point.Buckets[i];
                    Sample(text, _name + "_bucket", Join(labels, "le=\"" + PrometheusRenderer.Format(_bounds[i]) + "\""), cumulative);
                }
                Sample(text, _name + "_bucket", Join(labels, "le=\"+Inf\""), point.Count);
                Sample(text, _name + "_sum", labels, point.Sum);
                Sample(text, _name + "_count", labels, point.Count);
            }
        }
    }

    private static void Sample(StringBuilder text, string name, string labels, double value)
    {
        text.Append(name);
        if (labels.Length > 0)
            text.Append('{').Append(labels).Append('}');
        text.Append(' ').Append(PrometheusRenderer.Format(value)).Append('\n');
    }

    private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var builder = new StringBuilder();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (builder.Length > 0)
                builder.Append(',');
            builder.Append(PrometheusNames.Sanitize(tag.Key)).Append("=\"")
                .Append(PrometheusRenderer.EscapeLabelValue(Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "")).Append('"');
        }
        return builder.ToString();
    }

    private static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
