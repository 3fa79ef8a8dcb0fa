using System.Globalization;
using System.Text.Json;
using Colo.Proxy.Qemu;
using Microsoft.Extensions.Time.Testing;

namespace Colo.Proxy.Tests.Qemu;

/// <summary>
/// <see cref="QemuCheckpointChannel"/> over a real unix socket against <see cref="ScriptedQmpServer"/> replaying the
/// QMP events recorded on a real QEMU 7.2 COLO pair (test/data/qemu-colo). The fake clock follows the recording.
/// </summary>
public class QemuCheckpointChannelReplayTests
{
    private static readonly TimeSpan CheckpointTimeout = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IReadOnlyList<(double ReceivedAt, string Json, string Event)> LoadLog(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "data", "qemu-colo", name);
        Assert.True(File.Exists(path), $"Test data {path} is missing: test/data/qemu-colo must be copied to the output.");
        var lines = new List<(double, string, string)>();
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0)
                continue;
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            double receivedAt = double.Parse(line.AsSpan(0, space), CultureInfo.InvariantCulture);
            string json = line[(space + 1)..];
            using JsonDocument document = JsonDocument.Parse(json);
            lines.Add((receivedAt, json, document.RootElement.GetProperty("event").GetString()!));
        }

        return lines;
    }

    private sealed class Harness : IAsyncDisposable
    {
        private Harness(ScriptedQmpServer server, QemuCheckpointChannel channel, FakeTimeProvider time, TestOutputLogger logger)
        {
            Logger = logger;
            Server = server;
            Channel = channel;
            Time = time;
            Channel.EventHandled = (evt, result) => Handled.Add((evt.Name, result));
        }

        public ScriptedQmpServer Server { get; }

        public TestOutputLogger Logger { get; }

        public QemuCheckpointChannel Channel { get; }

        public FakeTimeProvider Time { get; }

        public RecordingCheckpointEvents Events { get; } = new();

        public AsyncLog<(string Event, QemuCheckpointResult Result)> Handled { get; } = new();

        public static async Task<Harness> StartAsync(Action<ScriptedQmpServer>? configure = null, bool trustResume = false)
        {
            var server = new ScriptedQmpServer();
            configure?.Invoke(server);
            var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1795631860));
            var options = new QemuCheckpointOptions
            {
                Endpoint = server.Endpoint,
                CheckpointTimeout = CheckpointTimeout,
                TrustResume = trustResume,
            };
            var logger = new TestOutputLogger();
            var channel = new QemuCheckpointChannel(options, logger, time);
            var harness = new Harness(server, channel, time, logger);
            await channel.StartAsync(harness.Events, Ct);
            await harness.Events.WaitForAsync(CheckpointEventKind.Connected);
            return harness;
        }

        /// <summary>Sends one event and waits until the channel has handled it (and reported whatever it means).</summary>
        public async Task<QemuCheckpointResult> SendAsync(string json, string name, int chunk = 0)
        {
            int before = Handled.Snapshot().Count;
            await Server.SendAsync(json, chunk);
            await Handled.WaitForCountAsync(before + 1, $"the channel to handle {name}");
            (string handledName, QemuCheckpointResult result) = Handled.Snapshot()[before];
            Assert.Equal(name, handledName);
            return result;
        }

        public async ValueTask DisposeAsync()
        {
            await Channel.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    [Fact]
    public async Task PrimaryLog_Replayed_CompletesExactlyAtEachResumeAfterAMigrationPass()
    {
        IReadOnlyList<(double ReceivedAt, string Json, string Event)> log = LoadLog("primary-qmp-events.log");
        await using Harness h = await Harness.StartAsync();
        var completedAt = new List<int>();

        double previous = log[0].ReceivedAt;
        for (int i = 0; i < log.Count; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(log[i].ReceivedAt - previous));
            previous = log[i].ReceivedAt;
            int before = h.Events.Count(CheckpointEventKind.Completed);

            await h.SendAsync(log[i].Json, log[i].Event, chunk: i % 3 == 0 ? 5 : 0);

            int after = h.Events.Count(CheckpointEventKind.Completed);
            Assert.InRange(after - before, 0, 1);
            if (after > before)
                completedAt.Add(i);
        }

        // Lines 5 (COLO start: MIGRATION {colo} -> RESUME), 9 (periodic, pass 3), 12 (forced, pass 4); the last
        // checkpoint (pass 5) never resumed.
        Assert.Equal([5, 9, 12], completedAt);
        Assert.All(completedAt, i => Assert.Equal("RESUME", log[i].Event));
        Assert.Equal(3, h.Channel.CheckpointsCompleted);
        Assert.Equal(0, h.Events.Count(CheckpointEventKind.Error));
        Assert.Equal(0, h.Channel.UserStopResumes);
    }

    [Fact]
    public async Task PrimaryLog_HungLastCheckpoint_RaisesTimeoutErrorThenColoExitFailsOver()
    {
        IReadOnlyList<(double ReceivedAt, string Json, string Event)> log = LoadLog("primary-qmp-events.log");
        await using Harness h = await Harness.StartAsync();
        foreach ((double _, string json, string name) in log)
            await h.SendAsync(json, name);
        Assert.Equal(0, h.Events.Count(CheckpointEventKind.Error));

        h.Time.Advance(CheckpointTimeout - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, h.Events.Count(CheckpointEventKind.Error));
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        await h.Events.WaitForAsync(CheckpointEventKind.Error);

        QemuCheckpointResult exit = await h.SendAsync(
            """{"timestamp": {"seconds": 1795631915, "microseconds": 12345}, "event": "COLO_EXIT", "data": {"mode": "primary", "reason": "error"}}""",
            "COLO_EXIT");
        await h.Events.WaitForAsync(CheckpointEventKind.Failover);

        CheckpointEventRecord error = Assert.Single(h.Events.Records, r => r.Kind == CheckpointEventKind.Error);
        Assert.Equal("qemu-qmp", error.Channel);
        Assert.Contains("MIGRATION_PASS 5", error.Text, StringComparison.Ordinal);
        Assert.Contains("hung", error.Text, StringComparison.Ordinal);
        Assert.Equal(1, h.Channel.CheckpointTimeouts);
        CheckpointEventRecord failover = Assert.Single(h.Events.Records, r => r.Kind == CheckpointEventKind.Failover);
        Assert.Equal(new CheckpointEventRecord(CheckpointEventKind.Failover, "qemu-qmp", "error"), failover);
        Assert.Equal(QemuCheckpointAction.Failover, exit.Action);
        Assert.Equal(3, h.Events.Count(CheckpointEventKind.Completed));
        Assert.Equal(
            [CheckpointEventKind.Connected, CheckpointEventKind.Completed, CheckpointEventKind.Completed, CheckpointEventKind.Completed,
             CheckpointEventKind.Error, CheckpointEventKind.Failover],
            h.Events.Records.Select(r => r.Kind));
    }

    [Fact]
    public async Task PrimaryLog_HungCheckpointResumesLate_CompletesAfterTheError()
    {
        IReadOnlyList<(double ReceivedAt, string Json, string Event)> log = LoadLog("primary-qmp-events.log");
        await using Harness h = await Harness.StartAsync();
        foreach ((double _, string json, string name) in log)
            await h.SendAsync(json, name);
        h.Time.Advance(CheckpointTimeout);
        await h.Events.WaitForAsync(CheckpointEventKind.Error);

        QemuCheckpointResult resume = await h.SendAsync("""{"timestamp": {"seconds": 1795631920, "microseconds": 1}, "event": "RESUME"}""", "RESUME");

        Assert.Equal(QemuCheckpointAction.LateCheckpointCompleted, resume.Action);
        Assert.Equal(4, h.Events.Count(CheckpointEventKind.Completed));
        Assert.Equal(1, h.Channel.LateCompletions);
    }

    [Fact]
    public async Task RequestCheckpointAsync_BeforeForcedCheckpoint_WritesDelayReadAtConnectAndCoalescesWhileInFlight()
    {
        IReadOnlyList<(double ReceivedAt, string Json, string Event)> log = LoadLog("primary-qmp-events.log");
        await using Harness h = await Harness.StartAsync();
        for (int i = 0; i < 10; i++)
            await h.SendAsync(log[i].Json, log[i].Event);
        int commandsBefore = h.Server.Commands.Snapshot().Count;

        bool requested = await h.Channel.RequestCheckpointAsync("divergence", Ct);
        bool repeated = await h.Channel.RequestCheckpointAsync("timeout", Ct);
        await h.SendAsync(log[10].Json, "STOP");
        await h.SendAsync(log[11].Json, "MIGRATION_PASS");
        bool inFlight = await h.Channel.RequestCheckpointAsync("timeout", Ct);
        await h.SendAsync(log[12].Json, "RESUME");

        Assert.True(requested);
        Assert.True(repeated);
        Assert.True(inFlight);
        IReadOnlyList<ReceivedQmpCommand> sent = h.Server.Commands.Snapshot().Skip(commandsBefore).ToList();
        ReceivedQmpCommand set = Assert.Single(sent);
        Assert.Equal("migrate-set-parameters", set.Name);
        Assert.Equal("""{"x-checkpoint-delay":20000}""", set.Arguments);
        Assert.Equal(1, h.Channel.RequestsSent);
        Assert.Equal(2, h.Channel.RequestsCoalesced);
        Assert.Equal(3, h.Events.Count(CheckpointEventKind.Completed));
    }

    [Fact]
    public async Task RequestCheckpointAsync_ConfiguredDelay_WritesIt()
    {
        await using var server = new ScriptedQmpServer();
        var options = new QemuCheckpointOptions { Endpoint = server.Endpoint, CheckpointDelay = TimeSpan.FromSeconds(5) };
        await using var channel = new QemuCheckpointChannel(options, new TestOutputLogger(), TimeProvider.System);
        var events = new RecordingCheckpointEvents();
        await channel.StartAsync(events, Ct);
        await events.WaitForAsync(CheckpointEventKind.Connected);

        bool requested = await channel.RequestCheckpointAsync("divergence", Ct);

        Assert.True(requested);
        Assert.Equal(5000u, server.CheckpointDelayMs);
        Assert.Equal(TimeSpan.FromSeconds(5), channel.CheckpointDelay);
    }

    [Fact]
    public async Task SecondaryLog_Replayed_NoCheckpointCompletes()
    {
        // The secondary sees STOP/RESUME around each checkpoint but no MIGRATION_PASS: a channel pointed at the wrong
        // QEMU must not flush on them.
        IReadOnlyList<(double ReceivedAt, string Json, string Event)> log = LoadLog("secondary-qmp-events.log");
        await using Harness h = await Harness.StartAsync(server => server.ColoMode = "secondary");

        foreach ((double _, string json, string name) in log)
            await h.SendAsync(json, name);

        Assert.Equal("secondary", h.Channel.ColoMode);
        Assert.Equal(0, h.Events.Count(CheckpointEventKind.Completed));
        Assert.Equal(4, h.Channel.UserStopResumes);
    }

    [Fact]
    public async Task StopContWithoutMigrationPass_EventsOn_NothingFlushed()
    {
        await using Harness h = await Harness.StartAsync();

        await h.SendAsync("""{"timestamp": {"seconds": 1795635531, "microseconds": 406308}, "event": "STOP"}""", "STOP");
        h.Time.Advance(TimeSpan.FromMinutes(5));
        QemuCheckpointResult resume = await h.SendAsync("""{"timestamp": {"seconds": 1795635831, "microseconds": 407331}, "event": "RESUME"}""", "RESUME");

        Assert.Equal(QemuCheckpointAction.UserStopResume, resume.Action);
        Assert.Equal(0, h.Events.Count(CheckpointEventKind.Completed));
        Assert.Equal(0, h.Events.Count(CheckpointEventKind.Error));
    }

    [Fact]
    public async Task EventsCapabilityOff_WithoutTrustResume_ResumeIsNotACompletion()
    {
        await using Harness h = await Harness.StartAsync(server => server.EventsCapability = false);
        Assert.False(h.Channel.EventsCapability);

        await h.SendAsync("""{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 0}}""", "STOP");
        QemuCheckpointResult resume = await h.SendAsync("""{"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 150000}}""", "RESUME");

        Assert.Equal(QemuCheckpointAction.ResumeNotTrusted, resume.Action);
        Assert.Equal(0, h.Events.Count(CheckpointEventKind.Completed));
        Assert.Equal(1, h.Channel.UntrustedResumes);
    }

    [Fact]
    public async Task EventsCapabilityOff_WithTrustResume_ResumeCompletes()
    {
        await using Harness h = await Harness.StartAsync(server => server.EventsCapability = false, trustResume: true);

        await h.SendAsync("""{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 0}}""", "STOP");
        await h.SendAsync("""{"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 150000}}""", "RESUME");

        Assert.Equal(1, h.Events.Count(CheckpointEventKind.Completed));
    }

    [Fact]
    public async Task ConnectionDropped_ReportsPeerDownAndReconnects()
    {
        await using var server = new ScriptedQmpServer();
        var options = new QemuCheckpointOptions { Endpoint = server.Endpoint, ReconnectDelay = TimeSpan.FromMilliseconds(20) };
        await using var channel = new QemuCheckpointChannel(options, new TestOutputLogger(), TimeProvider.System);
        var events = new RecordingCheckpointEvents();
        await channel.StartAsync(events, Ct);
        await events.WaitForAsync(CheckpointEventKind.Connected);

        server.DropConnection();
        await events.WaitForAsync(CheckpointEventKind.Disconnected);
        await events.WaitForAsync(CheckpointEventKind.Connected, count: 2);

        Assert.True(channel.IsConnected);
        Assert.Equal(2, channel.Sessions);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task RequestCheckpointAsync_NotConnected_ReturnsFalse()
    {
        var options = new QemuCheckpointOptions { Endpoint = "unix:" + Path.Combine(Path.GetTempPath(), $"qmp-absent-{Guid.NewGuid():N}.sock") };
        await using var channel = new QemuCheckpointChannel(options, new TestOutputLogger(), new FakeTimeProvider());
        await channel.StartAsync(new RecordingCheckpointEvents(), Ct);

        bool requested = await channel.RequestCheckpointAsync("divergence", Ct);

        Assert.False(requested);
        Assert.False(channel.IsConnected);
        Assert.Equal("qemu-qmp", channel.Name);
    }

    [Fact]
    public async Task ColoStarts_DelaySetAfterConnect_ForcedCheckpointsWriteTheNewValue()
    {
        // docs/qemu-kvm.md starts ColoProxy first; the start sequence sets x-checkpoint-delay just before 'migrate'.
        await using Harness h = await Harness.StartAsync(server => server.ColoMode = "none");
        Assert.Equal(TimeSpan.FromMilliseconds(20000), h.Channel.CheckpointDelay);

        h.Server.CheckpointDelayMs = 200000;
        await h.SendAsync("""{"event": "MIGRATION", "data": {"status": "setup"}, "timestamp": {"seconds": 1, "microseconds": 0}}""", "MIGRATION");
        await h.Logger.Entries.WaitAsync(e => e.Any(x => x.EventId == 3134), "the refreshed delay to be logged");
        bool requested = await h.Channel.RequestCheckpointAsync("divergence", Ct);

        Assert.True(requested);
        Assert.Equal(TimeSpan.FromMilliseconds(200000), h.Channel.CheckpointDelay);
        Assert.Equal("""{"x-checkpoint-delay":200000}""", h.Server.Commands.Snapshot()[^1].Arguments);
    }

    [Fact]
    public async Task EventsOffBeforeColo_TurnedOnBeforeMigrate_NoErrorLogged()
    {
        await using Harness h = await Harness.StartAsync(server =>
        {
            server.ColoMode = "none";
            server.EventsCapability = false;
        });

        await h.SendAsync("""{"event": "MIGRATION", "data": {"status": "setup"}, "timestamp": {"seconds": 1, "microseconds": 0}}""", "MIGRATION");
        await h.SendAsync("""{"event": "MIGRATION", "data": {"status": "colo"}, "timestamp": {"seconds": 2, "microseconds": 0}}""", "MIGRATION");
        await h.SendAsync("""{"event": "RESUME", "timestamp": {"seconds": 2, "microseconds": 5000}}""", "RESUME");

        IReadOnlyList<(Microsoft.Extensions.Logging.LogLevel Level, int EventId, string Message)> entries = h.Logger.Entries.Snapshot();
        Assert.Contains(entries, e => e.EventId == 3133);
        Assert.DoesNotContain(entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Equal(1, h.Events.Count(CheckpointEventKind.Completed));
    }

    [Fact]
    public async Task EventsOffBeforeColo_ColoStartsWithoutThem_ErrorLoggedOnce()
    {
        await using Harness h = await Harness.StartAsync(server =>
        {
            server.ColoMode = "none";
            server.EventsCapability = false;
        });
        Assert.DoesNotContain(h.Logger.Entries.Snapshot(), e => e.EventId == 3121);

        h.Server.ColoMode = "primary";
        await h.SendAsync("""{"event": "RESUME", "timestamp": {"seconds": 2, "microseconds": 5000}}""", "RESUME");
        await h.Logger.Entries.WaitAsync(e => e.Any(x => x.EventId == 3121), "the events-off error once COLO runs");
        await h.SendAsync("""{"event": "STOP", "timestamp": {"seconds": 3, "microseconds": 0}}""", "STOP");
        await h.SendAsync("""{"event": "RESUME", "timestamp": {"seconds": 3, "microseconds": 5000}}""", "RESUME");

        Assert.Single(h.Logger.Entries.Snapshot(), e => e.EventId == 3121);
    }

    [Fact]
    public async Task EventsOff_ColoAlreadyRunningAtConnect_ErrorLogged()
    {
        await using Harness h = await Harness.StartAsync(server => server.EventsCapability = false);

        Assert.Contains(h.Logger.Entries.Snapshot(), e => e.EventId == 3121 && e.Level == Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public async Task Connect_SocketFileMissing_SaysTheSocketDoesNotExist()
    {
        string path = Path.Combine(Path.GetTempPath(), $"qmp-absent-{Guid.NewGuid():N}.sock");
        var logger = new TestOutputLogger();
        await using var channel = new QemuCheckpointChannel(new QemuCheckpointOptions { Endpoint = "unix:" + path }, logger, new FakeTimeProvider());
        await channel.StartAsync(new RecordingCheckpointEvents(), Ct);

        await logger.Entries.WaitAsync(e => e.Any(x => x.EventId == 3130), "the connect failure to be logged");

        string message = logger.Entries.Snapshot().First(e => e.EventId == 3130).Message;
        Assert.Contains($"the socket {path} does not exist", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Cannot assign", message, StringComparison.Ordinal);
    }
}
