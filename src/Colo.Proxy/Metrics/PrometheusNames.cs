using System.Diagnostics.Metrics;

namespace Colo.Proxy.Metrics;

/// <summary>
/// How an instrument is named in the Prometheus text format: dots become underscores, the unit becomes a base-unit
/// suffix (<c>s</c> -> <c>_seconds</c>, <c>By</c> -> <c>_bytes</c>; annotations like <c>{frame}</c> add nothing) unless
/// the name already ends with it, and counters end in <c>_total</c>. So <c>colo.release.latency</c> (s) is
/// <c>colo_release_latency_seconds</c> and <c>process.cpu</c> (s, counter) is <c>process_cpu_seconds_total</c>.
/// </summary>
internal static class PrometheusNames
{
    public static string Of(Instrument instrument)
    {
        string name = Sanitize(instrument.Name);
        string? suffix = instrument.Unit switch
        {
            "s" => "seconds",
            "By" => "bytes",
            _ => null,
        };
        if (suffix is not null && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
            name += "_" + suffix;
        if (TypeOf(instrument) == "counter")
            name += "_total";
        return name;
    }

    /// <summary>counter, gauge or histogram.</summary>
    public static string TypeOf(Instrument instrument)
    {
        Type type = instrument.GetType();
        if (type.IsGenericType)
        {
            Type definition = type.GetGenericTypeDefinition();
            if (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>))
                return "counter";
            if (definition == typeof(Histogram<>))
                return "histogram";
        }
        return "gauge";
    }

    /// <summary>Metric and label names: [a-zA-Z_][a-zA-Z0-9_]*.</summary>
    public static string Sanitize(string name) => string.Create(name.Length, name, static (span, source) =>
    {
        for (int i = 0; i < source.Length; i++)
        {
            char c = source[i];
            span[i] = char.IsAsciiLetterOrDigit(c) && !(i == 0 && char.IsAsciiDigit(c)) ? c : '_';
        }
    });
}
