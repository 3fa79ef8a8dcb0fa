using BenchmarkDotNet.Attributes;
using Colo.Compare;

namespace Colo.Benchmarks;

/// <summary>
/// A standing backlog: one side (<see cref="Ahead"/>) 100,000 primary segments ahead of the other, as when a COLO
/// secondary runs behind (145 MB of 1448-byte payload held, within the default 256 MiB cap). Per operation: one
/// primary segment of each side ingested and one primary frame released. The cost per frame and the bytes allocated
/// per operation should not depend on the lag: the baseline is the same load in lock-step.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Backlog)]
public class BacklogBenchmarks
{
    private const int Batch = 1024;
    private const int Lead = 100_000;

    private LockstepDriver _lockstep = null!;
    private BacklogDriver _large = null!;
    private BacklogDriver _resegmented = null!;
    private BacklogDriver _small = null!;

    [Params(1, 1000)]
    public int Flows { get; set; }

    [Params(Side.Primary, Side.Secondary)]
    public Side Ahead { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _lockstep = new LockstepDriver(Flows, 1448, resegment: false);
        _large = new BacklogDriver(Flows, 1448, resegment: false, Ahead, Lead);
        _resegmented = new BacklogDriver(Flows, 1448, resegment: true, Ahead, Lead);
        _small = new BacklogDriver(Flows, 64, resegment: false, Ahead, Lead);
        _lockstep.WarmUp();
        _large.WarmUp();
        _resegmented.WarmUp();
        _small.WarmUp();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "lock-step 1448 B")]
    public long Lockstep1448() => _lockstep.Run(Batch);

    [Benchmark(OperationsPerInvoke = Batch, Description = "100k ahead, 1448 B")]
    public long Backlog1448() => _large.Run(Batch);

    [Benchmark(OperationsPerInvoke = Batch, Description = "100k ahead, 1448 B re-segmented")]
    public long Backlog1448Resegmented() => _resegmented.Run(Batch);

    [Benchmark(OperationsPerInvoke = Batch, Description = "100k ahead, 64 B")]
    public long Backlog64() => _small.Run(Batch);
}
