using Colo.Compare;
using Colo.Proxy.Metrics;
using Microsoft.Extensions.Time.Testing;

namespace Colo.Proxy.Tests.Metrics;

public class PrometheusRendererTests
{
    [Fact]
    public void CheckpointLatency_FirstRequestToCompletion_RecordedOnceInSeconds()
    {
        var time = new FakeTimeProvider();
        using var factory = new SimpleMeterFactory();
        var metrics = new ColoMetrics(factory, time);
        using var renderer = new PrometheusRenderer(metrics.Meter);

        metrics.CheckpointRequested(CheckpointReason.Divergence);
        time.Advance(TimeSpan.FromSeconds(2));
        metrics.CheckpointRequested(CheckpointReason.Divergence); // the repetition does not restart the clock
        time.Advance(TimeSpan.FromMilliseconds(500));
        metrics.CheckpointCompleted("xen-notify");
        metrics.CheckpointCompleted("xen-notify"); // a periodic checkpoint nobody asked for
        string text = renderer.Render();

        Assert.Contains("colo_checkpoint_latency_seconds_sum{channel=\"xen-notify\"} 2.5\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_checkpoint_latency_seconds_count{channel=\"xen-notify\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_checkpoint_latency_seconds_bucket{channel=\"xen-notify\",le=\"2.5\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_checkpoint_latency_seconds_bucket{channel=\"xen-notify\",le=\"1\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_checkpoints_completed_total{channel=\"xen-notify\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_checkpoints_requested_total{reason=\"divergence\"} 2\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_EveryInstrumentOfTheMeter_HasHelpAndType()
    {
        using var factory = new SimpleMeterFactory();
        var metrics = new ColoMetrics(factory);
        using var renderer = new PrometheusRenderer(metrics.Meter);
        metrics.Diverged(DivergenceKind.Payload);

        string[] lines = renderer.Render().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        string[] typed = lines.Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToArray();
        string[] helped = lines.Where(l => l.StartsWith("# HELP ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToArray();
        Assert.Equal(typed, helped);
        Assert.Contains("colo_divergences_total", typed);
        Assert.Contains("process_cpu_seconds_total", typed);
        Assert.Contains("colo_build_info", typed);
        Assert.All(typed, name => Assert.Matches("^[a-z_]+$", name));
    }

    [Fact]
    public void Render_OtherMeterOfTheSameName_NotIncluded()
    {
        using var factory = new SimpleMeterFactory();
        var ours = new ColoMetrics(factory);
        var theirs = new ColoMetrics(factory);
        using var renderer = new PrometheusRenderer(ours.Meter);

        theirs.Diverged(DivergenceKind.Payload);

        Assert.DoesNotContain("colo_divergences_total", renderer.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public void Docs_Operations_ListsEveryInstrument()
    {
        using var factory = new SimpleMeterFactory();
        var metrics = new ColoMetrics(factory);
        var names = new List<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter == metrics.Meter)
                    names.Add(PrometheusNames.Of(instrument));
            },
        };
        listener.Start();
        string docs = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "operations.md"));

        Assert.NotEmpty(names);
        foreach (string name in names)
            Assert.Contains("| `" + name + "` |", docs, StringComparison.Ordinal);
    }
}
