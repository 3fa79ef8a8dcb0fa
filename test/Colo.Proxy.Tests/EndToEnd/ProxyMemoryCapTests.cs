using Colo.Compare;
using Colo.TestSupport.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Proxy.Tests.EndToEnd;

/// <summary>The engine's memory cap holds in serve: the primary is paused, never dropped, until a checkpoint frees memory.</summary>
public class ProxyMemoryCapTests
{
    [Fact]
    public async Task Serve_PrimaryFloodWithoutSecondary_PausesPrimaryAtCapAndResumesAfterCheckpoint()
    {
        const long cap = 64 * 1024;
        const int frames = 2000;
        // Real clock with a short compare_timeout: the flood's last frames may stay under the cap, and then only the
        // timeout asks for the checkpoint that releases them.
        await using var proxy = await ProxyHarness.StartAsync(o =>
        {
            o.Compare.MaxBufferedBytes = cap;
            o.Compare.CompareTimeout = TimeSpan.FromMilliseconds(200);
            o.Compare.ExpiredScanCycle = TimeSpan.FromMilliseconds(100);
        }, fakeTime: false, tcp: true);
        await using var notify = await proxy.ConnectAsync("notify_dev");
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        await Wait.UntilAsync(() => proxy.Host.Peers().Count(p => p.Value) >= 3, "peers connected");

        // 2000 datagrams of 1 KB with no secondary: they can only wait. More than the kernel's socket buffers hold.
        byte[][] sent = Enumerable.Range(0, frames)
            .Select(i => Udp(BitConverter.GetBytes(i).Concat(new byte[1000]).ToArray(), 53, 40000, FlowAddress.Between("10.0.0.2", "10.0.0.1")))
            .ToArray();
        Task sending = Task.Run(async () =>
        {
            foreach (byte[] frame in sent)
                await primary.SendAsync(frame);
        }, TestContext.Current.CancellationToken);

        Assert.Equal("DO_CHECKPOINT", System.Text.Encoding.ASCII.GetString(await notify.ReceiveAsync()));
        await Wait.UntilAsync(async () => (await proxy.Host.GetEngineSizeAsync()).BufferedBytes > cap, "the engine to pass its cap");
        long paused = (await proxy.Host.GetCountersAsync()).PrimaryReceived;
        await Task.Delay(300, TestContext.Current.CancellationToken);
        EngineCounters whilePaused = await proxy.Host.GetCountersAsync();
        Assert.Equal(paused, whilePaused.PrimaryReceived);
        Assert.True(whilePaused.PrimaryReceived < frames, "the primary should be paused, not read to the end");
        Assert.Equal(0, whilePaused.PrimaryDropped);

        // Each checkpoint frees memory; the primary resumes until the cap (or a timeout) asks again. Answer every request.
        var received = new List<byte[]>();
        Task answering = Task.Run(async () =>
        {
            await notify.SendAsync(Ascii("COLO_CHECKPOINT"));
            while (true)
            {
                await notify.ReceiveAsync(TimeSpan.FromSeconds(30));
                await notify.SendAsync(Ascii("COLO_CHECKPOINT"));
            }
        }, TestContext.Current.CancellationToken);
        while (received.Count < frames)
            received.Add(await outdev.ReceiveAsync());
        await sending;

        Assert.Equal(sent, received);
        EngineCounters after = await proxy.Host.GetCountersAsync();
        Assert.True(after.IsBalanced);
        Assert.Equal(frames, after.Released(ReleaseReason.Checkpoint));
        Assert.False(answering.IsFaulted, answering.Exception?.ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Serve_CheckpointReleasesAFloodToASlowOutdev_OutputBufferStaysWithinItsCapacityAndLosesNothing(int workers)
    {
        const long outputCapacity = 64 * 1024;
        const int frames = 3000;
        await using var proxy = await ProxyHarness.StartAsync(o =>
        {
            o.MaxFrameLength = 2048;
            o.OutputBufferBytes = outputCapacity;
            o.Workers = workers;
        });
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        await Wait.UntilAsync(() => proxy.Host.Peers().Count(p => p.Value) >= 2, "peers connected");

        // 3 MB of datagrams with no secondary: all of it waits in the engine for a checkpoint.
        byte[][] sent = Enumerable.Range(0, frames)
            .Select(i => Udp(BitConverter.GetBytes(i).Concat(new byte[1000]).ToArray(), 53, 40000, FlowAddress.Between("10.0.0.2", "10.0.0.1")))
            .ToArray();
        foreach (byte[] frame in sent)
            await primary.SendAsync(frame);
        await proxy.WaitReceivedAsync(frames, 0);

        // The checkpoint releases the whole queue; outdev reads only after a while, then at its own pace.
        Task<long> completing = proxy.Host.CompleteCheckpointAsync("test");
        await Task.Delay(300, TestContext.Current.CancellationToken);
        var received = new List<byte[]>(frames);
        while (received.Count < frames)
            received.Add(await outdev.ReceiveAsync());
        long released = await completing.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);

        // Each shard may append one frame past the capacity before it waits.
        long bound = outputCapacity + workers * (4 + sent[0].Length);
        Assert.True(proxy.Host.OutputPeakBufferedBytes <= bound, $"peak {proxy.Host.OutputPeakBufferedBytes} bytes buffered, bound {bound}");
        Assert.Equal(sent, received);
        Assert.Equal(frames, released);
        Assert.True((await proxy.Host.GetCountersAsync()).IsBalanced);
    }
}
