using System.Text.Json;
using System.Text.Json.Nodes;
using Colo.Proxy.Qemu;

namespace Colo.Proxy.Tests.Qemu;

/// <summary>
/// <see cref="QemuCheckpointChannel"/> against a real QEMU (<c>-M none</c>, no guest, so no COLO): ColoProxy's
/// commands must be accepted, and a user's <c>stop</c>/<c>cont</c> on another monitor must not be taken for a
/// checkpoint. These tests fail (they do not skip) when QEMU is not installed.
/// </summary>
public class QemuCheckpointChannelQemuTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Session : IAsyncDisposable
    {
        private Session(QemuProcess qemu, QmpClient operatorMonitor)
        {
            Qemu = qemu;
            Operator = operatorMonitor;
        }

        public QemuProcess Qemu { get; }

        /// <summary>The other monitor: the test acting as the operator.</summary>
        public QmpClient Operator { get; }

        public QemuCheckpointChannel? Channel { get; private set; }

        public RecordingCheckpointEvents Events { get; } = new();

        public AsyncLog<(string Event, QemuCheckpointResult Result)> Handled { get; } = new();

        public static async Task<Session> StartAsync(bool events)
        {
            QemuProcess qemu = await QemuProcess.StartAsync();
            QmpClient? monitor = null;
            try
            {
                Assert.True(QmpEndpoint.TryParse("unix:" + qemu.OtherSocket, out QmpEndpoint? endpoint, out string? error), error);
                monitor = new QmpClient(endpoint, new TestOutputLogger(), TimeProvider.System, TimeSpan.FromSeconds(30));
                await monitor.ConnectAsync(Ct);
                if (events)
                {
                    await monitor.ExecuteAsync("migrate-set-capabilities", new JsonObject
                    {
                        ["capabilities"] = new JsonArray(new JsonObject { ["capability"] = "events", ["state"] = true }),
                    }, Ct);
                }

                return new Session(qemu, monitor);
            }
            catch
            {
                if (monitor is not null)
                    await monitor.DisposeAsync();
                await qemu.DisposeAsync();
                throw;
            }
        }

        public async Task<QemuCheckpointChannel> ConnectChannelAsync(TimeSpan? checkpointDelay = null)
        {
            var options = new QemuCheckpointOptions
            {
                Endpoint = "unix:" + Qemu.ProxySocket,
                CheckpointDelay = checkpointDelay,
                ReconnectDelay = TimeSpan.FromMilliseconds(50),
            };
            Channel = new QemuCheckpointChannel(options, new TestOutputLogger(), TimeProvider.System)
            {
                EventHandled = (evt, result) => Handled.Add((evt.Name, result)),
            };
            await Channel.StartAsync(Events, Ct);
            await Events.WaitForAsync(CheckpointEventKind.Connected);
            return Channel;
        }

        public async Task<QemuCheckpointResult> OperatorAsync(string command, string expectedEvent)
        {
            int before = Handled.Snapshot().Count;
            await Operator.ExecuteAsync(command, null, Ct);
            await Handled.WaitAsync(items => items.Skip(before).Any(h => h.Event == expectedEvent), $"{expectedEvent} after '{command}'");
            return Handled.Snapshot().Skip(before).First(h => h.Event == expectedEvent).Result;
        }

        public async Task<uint> ReadCheckpointDelayAsync()
        {
            JsonElement parameters = await Operator.ExecuteAsync("query-migrate-parameters", null, Ct);
            return parameters.GetProperty("x-checkpoint-delay").GetUInt32();
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (Channel is not null)
                    await Channel.DisposeAsync();
                await Operator.DisposeAsync();
            }
            finally
            {
                await Qemu.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Connect_RealQemu_ReadsColoStatusParametersAndCapabilities()
    {
        await using Session s = await Session.StartAsync(events: true);

        QemuCheckpointChannel channel = await s.ConnectChannelAsync();

        Assert.True(channel.IsConnected);
        Assert.Equal("none", channel.ColoMode);
        Assert.True(channel.EventsCapability);
        Assert.Equal(TimeSpan.FromMilliseconds(await s.ReadCheckpointDelayAsync()), channel.CheckpointDelay);
    }

    [Fact]
    public async Task RequestCheckpointAsync_RealQemu_MigrateSetParametersAcceptedAndVisibleOnOtherMonitor()
    {
        await using Session s = await Session.StartAsync(events: true);
        QemuCheckpointChannel channel = await s.ConnectChannelAsync(checkpointDelay: TimeSpan.FromMilliseconds(12345));

        bool requested = await channel.RequestCheckpointAsync("divergence", Ct);

        Assert.True(requested);
        Assert.Equal(1, channel.RequestsSent);
        Assert.Equal(0, channel.RequestsFailed);
        // Outside COLO, QEMU only stores the parameter; during COLO the same command forces a checkpoint.
        Assert.Equal(12345u, await s.ReadCheckpointDelayAsync());
    }

    [Fact]
    public async Task RequestCheckpointAsync_RealQemuNoConfiguredDelay_WritesBackTheDelayReadAtConnect()
    {
        await using Session s = await Session.StartAsync(events: true);
        await s.Operator.ExecuteAsync("migrate-set-parameters", new JsonObject { ["x-checkpoint-delay"] = 7777 }, Ct);
        QemuCheckpointChannel channel = await s.ConnectChannelAsync();

        bool requested = await channel.RequestCheckpointAsync("divergence", Ct);

        Assert.True(requested);
        Assert.Equal(1, channel.RequestsSent);
        Assert.Equal(TimeSpan.FromMilliseconds(7777), channel.CheckpointDelay);
        Assert.Equal(7777u, await s.ReadCheckpointDelayAsync());
    }

    [Fact]
    public async Task StopCont_OnOtherMonitor_IsNotTakenForACheckpoint()
    {
        await using Session s = await Session.StartAsync(events: true);
        QemuCheckpointChannel channel = await s.ConnectChannelAsync();

        QemuCheckpointResult stop = await s.OperatorAsync("stop", "STOP");
        QemuCheckpointResult resume = await s.OperatorAsync("cont", "RESUME");

        Assert.Equal(QemuCheckpointAction.Stopped, stop.Action);
        Assert.Equal(QemuCheckpointAction.UserStopResume, resume.Action);
        Assert.Equal(0, s.Events.Count(CheckpointEventKind.Completed));
        Assert.Equal(0, s.Events.Count(CheckpointEventKind.Error));
        Assert.Equal(1, channel.UserStopResumes);
        Assert.Equal(0, channel.CheckpointsCompleted);
    }

    [Fact]
    public async Task StopCont_EventsCapabilityOff_ResumeNotTrusted()
    {
        await using Session s = await Session.StartAsync(events: false);
        QemuCheckpointChannel channel = await s.ConnectChannelAsync();
        Assert.False(channel.EventsCapability);

        await s.OperatorAsync("stop", "STOP");
        QemuCheckpointResult resume = await s.OperatorAsync("cont", "RESUME");

        Assert.Equal(QemuCheckpointAction.ResumeNotTrusted, resume.Action);
        Assert.Equal(0, s.Events.Count(CheckpointEventKind.Completed));
    }

    [Fact]
    public async Task RequestCheckpointAsync_WhileOperatorPausedVm_CoalescedNotSent()
    {
        await using Session s = await Session.StartAsync(events: true);
        QemuCheckpointChannel channel = await s.ConnectChannelAsync(checkpointDelay: TimeSpan.FromMilliseconds(4321));
        await s.OperatorAsync("stop", "STOP");

        bool requested = await channel.RequestCheckpointAsync("timeout", Ct);

        Assert.True(requested);
        Assert.Equal(0, channel.RequestsSent);
        Assert.Equal(1, channel.RequestsCoalesced);
        Assert.NotEqual(4321u, await s.ReadCheckpointDelayAsync());
    }
}
