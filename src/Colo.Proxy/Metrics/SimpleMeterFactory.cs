using System.Diagnostics.Metrics;

namespace Colo.Proxy.Metrics;

/// <summary>An <see cref="IMeterFactory"/> for hosts without dependency injection (the CLI, tests).</summary>
public sealed class SimpleMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];
    private readonly Lock _lock = new();

    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var meter = new Meter(options.Name, options.Version, options.Tags, this);
        lock (_lock)
            _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (Meter meter in _meters)
                meter.Dispose();
            _meters.Clear();
        }
    }
}
