using Colo.Compare;

namespace Colo.Benchmarks;

/// <summary>Counts releases and nothing else (the benchmarks measure the engine, not the output path).</summary>
internal sealed class NullSink : ICompareSink
{
    public long Released;
    public long Bytes;
    public long Checkpoints;
    public long Divergences;

    public void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info)
    {
        Released++;
        Bytes += frame.Length;
    }

    public void CheckpointTriggered(in CheckpointTrigger trigger) => Checkpoints++;

    public void Diverged(Divergence divergence) => Divergences++;
}
