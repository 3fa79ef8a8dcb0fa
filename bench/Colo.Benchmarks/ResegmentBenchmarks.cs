using BenchmarkDotNet.Attributes;

namespace Colo.Benchmarks;

/// <summary>
/// Equal streams, cut differently: each pair of 1448-byte primary segments meets a secondary cut as 724 + 1448 + 724
/// bytes (no boundary in common). Per operation: one primary segment. Baseline: the same stream with equal cuts.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Resegment)]
public class ResegmentBenchmarks
{
    private const int Batch = 1024;

    private LockstepDriver _same = null!;
    private LockstepDriver _resegmented = null!;

    [Params(1, 10_000)]
    public int Flows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _same = new LockstepDriver(Flows, 1448, resegment: false);
        _resegmented = new LockstepDriver(Flows, 1448, resegment: true);
        _same.WarmUp();
        _resegmented.WarmUp();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "same segmentation, 1448 B")]
    public long SameSegmentation() => _same.Run(Batch);

    [Benchmark(OperationsPerInvoke = Batch, Description = "secondary re-segmented, 1448 B")]
    public long Resegmented() => _resegmented.Run(Batch);
}
