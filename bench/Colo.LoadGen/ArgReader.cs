using System.Globalization;

namespace Colo.LoadGen;

/// <summary>Minimal <c>--name value</c> / <c>--flag</c> parsing with clear errors (keeps the tool dependency-free).</summary>
internal sealed class ArgReader
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public ArgReader(IReadOnlyList<string> args, IReadOnlySet<string> flags)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"unexpected argument '{name}'.");
            int equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                _values[name[..equals]] = name[(equals + 1)..];
            }
            else if (flags.Contains(name))
            {
                _values[name] = null;
            }
            else
            {
                if (i + 1 >= args.Count)
                    throw new UsageException($"option '{name}' needs a value.");
                _values[name] = args[++i];
            }
        }
    }

    public bool Has(string name)
    {
        _used.Add(name);
        return _values.ContainsKey(name);
    }

    public string? String(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? value) ? value : null;
    }

    public string Required(string name) => String(name) ?? throw new UsageException($"option '{name}' is required.");

    public long Long(string name, long fallback, long min, long max)
    {
        string? text = String(name);
        if (text is null)
            return fallback;
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
            throw new UsageException($"option '{name}' must be an integer in {min}..{max}, not '{text}'.");
        return value;
    }

    public double Double(string name, double fallback, double min, double max)
    {
        string? text = String(name);
        if (text is null)
            return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < min || value > max)
            throw new UsageException($"option '{name}' must be a number in {min}..{max}, not '{text}'.");
        return value;
    }

    /// <summary>Throws for options nobody asked about (typos).</summary>
    public void RejectUnknown()
    {
        foreach (string name in _values.Keys)
        {
            if (!_used.Contains(name))
                throw new UsageException($"unknown option '{name}'.");
        }
    }
}
