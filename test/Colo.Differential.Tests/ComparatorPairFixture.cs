using Colo.Differential.Tests.Harness;

namespace Colo.Differential.Tests;

/// <summary>Starts QEMU and ColoProxy once per test class. When QEMU cannot start, every test of the class fails.</summary>
public sealed class ComparatorPairFixture : IAsyncLifetime
{
    private ComparatorPair? _comparison;
    private ComparatorPair? _timing;
    private ComparatorPair? _vnet;

    internal ComparatorPair Comparison => _comparison ?? throw new InvalidOperationException("not started");

    /// <summary>The pair with short timeouts, started on first use.</summary>
    internal async Task<ComparatorPair> TimingAsync() =>
        _timing ??= await ComparatorPair.StartAsync(ComparatorSettings.ShortTimeouts);

    /// <summary>The pair with vnet_hdr_support on, started on first use.</summary>
    internal async Task<ComparatorPair> VnetAsync() =>
        _vnet ??= await ComparatorPair.StartAsync(ComparatorSettings.VnetHeaders);

    public async ValueTask InitializeAsync() =>
        _comparison = await ComparatorPair.StartAsync(ComparatorSettings.ComparisonOnly);

    public async ValueTask DisposeAsync()
    {
        if (_comparison is not null)
            await _comparison.DisposeAsync();
        if (_timing is not null)
            await _timing.DisposeAsync();
        if (_vnet is not null)
            await _vnet.DisposeAsync();
    }
}
