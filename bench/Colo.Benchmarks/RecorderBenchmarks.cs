using BenchmarkDotNet.Attributes;
using Colo.Compare;

namespace Colo.Benchmarks;

/// <summary>
/// What the flight recorder (on in <c>serve</c>: every frame of both sides copied once more) costs the engine: the
/// lock-step load of <see cref="CompareBenchmarks"/> with the recorder off and on at serve's defaults, one flow and a
/// thousand (where a recorder that writes each frame to its own flow's place misses the cache on every frame).
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Recorder)]
public class RecorderBenchmarks
{
    private const int Batch = 1024;

    private LockstepDriver _off = null!;
    private LockstepDriver _on = null!;

    [Params(1, 1000)]
    public int Flows { get; set; }

    [Params(64, 1448)]
    public int Payload { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _off = new LockstepDriver(Flows, Payload, resegment: false);
        _on = new LockstepDriver(Flows, Payload, resegment: false, recorder: true);
        _off.WarmUp();
        _on.WarmUp();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "recorder off")]
    public long Off() => _off.Run(Batch);

    [Benchmark(OperationsPerInvoke = Batch, Description = "recorder on")]
    public long On() => _on.Run(Batch);
}
