using Colo.Differential.Tests.Scenarios;

namespace Colo.Differential.Tests.Harness;

/// <summary>
/// One QEMU and one ColoProxy with the same settings, reused across scenarios (every scenario uses new flows and
/// ends with a completed checkpoint). A comparator that stops answering is restarted and the scenario run again once.
/// </summary>
internal sealed class ComparatorPair : IAsyncDisposable
{
    private readonly ComparatorSettings _settings;
    private ComparatorHarness? _qemu;
    private ComparatorHarness? _ours;

    private ComparatorPair(ComparatorSettings settings) => _settings = settings;

    public List<string> Restarts { get; } = [];

    public static async Task<ComparatorPair> StartAsync(ComparatorSettings settings)
    {
        var pair = new ComparatorPair(settings);
        await pair.StartQemuAsync().ConfigureAwait(false);
        await pair.StartOursAsync().ConfigureAwait(false);
        return pair;
    }

    public async Task<(Outcome Qemu, Outcome Ours)> RunAsync(Scenario scenario, TimeSpan settle = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var qemu = Run(_qemu!, scenario, settle);
            var ours = Run(_ours!, scenario, settle);
            try
            {
                await Task.WhenAll(qemu, ours).ConfigureAwait(false);
                return (qemu.Result, ours.Result);
            }
            catch (Exception ex) when (ex is HarnessException or TimeoutException && attempt == 0)
            {
                if (qemu.IsFaulted)
                {
                    Restarts.Add($"{scenario}: {qemu.Exception!.InnerException!.Message}\n{_qemu!.Diagnostics}");
                    await _qemu.DisposeAsync().ConfigureAwait(false);
                    await StartQemuAsync().ConfigureAwait(false);
                }

                if (ours.IsFaulted)
                {
                    Restarts.Add($"{scenario}: {ours.Exception!.InnerException!.Message}\n{_ours!.Diagnostics}");
                    await _ours.DisposeAsync().ConfigureAwait(false);
                    await StartOursAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is HarnessException or TimeoutException)
            {
                throw new HarnessException($"{scenario} failed twice: {ex.Message}\n{_qemu!.Diagnostics}\n{_ours!.Diagnostics}", ex);
            }
        }
    }

    private static Task<Outcome> Run(ComparatorHarness harness, Scenario scenario, TimeSpan settle) =>
        Task.Run(() => harness.RunAsync(scenario, settle));

    private async Task StartQemuAsync() =>
        _qemu = await ComparatorHarness.StartAsync(() => ComparatorProcess.StartQemu(_settings), TimeSpan.Zero).ConfigureAwait(false);

    private async Task StartOursAsync() =>
        _ours = await ComparatorHarness.StartAsync(() => ComparatorProcess.StartColoProxy(_settings), TimeSpan.Zero).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_qemu is not null)
            await _qemu.DisposeAsync().ConfigureAwait(false);
        if (_ours is not null)
            await _ours.DisposeAsync().ConfigureAwait(false);
    }
}
