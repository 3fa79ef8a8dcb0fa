using BenchmarkDotNet.Attributes;
using Colo.Compare;

namespace Colo.Benchmarks;

/// <summary>
/// Primary then secondary, in lockstep, through <see cref="CompareEngine"/> with a no-op sink: each operation is one
/// primary segment ingested, its identical secondary segment ingested, and the primary released. Flows take turns.
/// Each frame is a prebuilt per-flow buffer whose sequence number is rewritten before ingestion.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Compare)]
public class CompareBenchmarks
{
    private const int Batch = 1024;

    private LockstepDriver _large = null!;
    private LockstepDriver _small = null!;

    [Params(1, 10_000)]
    public int Flows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _large = new LockstepDriver(Flows, 1448, resegment: false);
        _small = new LockstepDriver(Flows, 64, resegment: false);
        _large.WarmUp();
        _small.WarmUp();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "compare 1448 B segments")]
    public long Compare1448() => _large.Run(Batch);

    [Benchmark(OperationsPerInvoke = Batch, Description = "compare 64 B segments")]
    public long Compare64() => _small.Run(Batch);
}
