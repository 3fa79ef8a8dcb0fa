using System.Text.Json;
using Colo.Proxy.Qemu;

namespace Colo.Proxy.Tests.Qemu;

public class QemuCheckpointTrackerTests
{
    private static readonly TimeSpan CheckpointTimeout = TimeSpan.FromSeconds(10);

    private static JsonElement Data(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static JsonElement Pass(long n) => Data($$"""{"pass": {{n}}}""");

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static QemuCheckpointTracker Running(bool trustResume = false, bool events = true)
    {
        var tracker = new QemuCheckpointTracker(CheckpointTimeout, trustResume, events);
        tracker.Reset(running: true);
        return tracker;
    }

    [Fact]
    public void OnEvent_PeriodicCheckpoint_CompletesAtResume()
    {
        QemuCheckpointTracker tracker = Running();

        QemuCheckpointResult stop = tracker.OnEvent("STOP", default, Ms(1000));
        QemuCheckpointResult pass = tracker.OnEvent("MIGRATION_PASS", Pass(3), Ms(1002));
        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(1149));

        Assert.Equal(QemuCheckpointAction.Stopped, stop.Action);
        Assert.Equal(QemuCheckpointAction.CheckpointStarted, pass.Action);
        Assert.Equal(QemuCheckpointAction.CheckpointCompleted, resume.Action);
        Assert.True(resume.IsCompletion);
        Assert.Equal(3, resume.Pass);
        Assert.Equal(Ms(149), resume.Duration);
        Assert.Equal(1, tracker.CheckpointsCompleted);
        Assert.False(tracker.CheckpointInFlight);
        Assert.Null(tracker.NextDeadline);
    }

    [Fact]
    public void TryBeginRequest_ForcedCheckpoint_SendsOnceAndCompletesAtResume()
    {
        QemuCheckpointTracker tracker = Running();

        QemuRequestDecision first = tracker.TryBeginRequest(Ms(0));
        QemuRequestDecision beforeStop = tracker.TryBeginRequest(Ms(50));
        tracker.OnEvent("STOP", default, Ms(114));
        QemuRequestDecision duringStop = tracker.TryBeginRequest(Ms(115));
        tracker.OnEvent("MIGRATION_PASS", Pass(4), Ms(115));
        QemuRequestDecision duringCheckpoint = tracker.TryBeginRequest(Ms(130));
        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(158));
        QemuRequestDecision afterResume = tracker.TryBeginRequest(Ms(200));

        Assert.Equal(QemuRequestDecision.Send, first);
        Assert.Equal(QemuRequestDecision.AlreadyRequested, beforeStop);
        Assert.Equal(QemuRequestDecision.CheckpointInFlight, duringStop);
        Assert.Equal(QemuRequestDecision.CheckpointInFlight, duringCheckpoint);
        Assert.Equal(QemuCheckpointAction.CheckpointCompleted, resume.Action);
        Assert.Equal(QemuRequestDecision.Send, afterResume);
    }

    [Fact]
    public void OnEvent_StopContWithoutMigrationPass_IsNotACheckpoint()
    {
        QemuCheckpointTracker tracker = Running();

        tracker.OnEvent("STOP", default, Ms(0));
        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(5000));

        Assert.Equal(QemuCheckpointAction.UserStopResume, resume.Action);
        Assert.False(resume.IsCompletion);
        Assert.Equal(Ms(5000), resume.Duration);
        Assert.Equal(0, tracker.CheckpointsCompleted);
        Assert.Equal(1, tracker.UserStopResumes);
    }

    [Fact]
    public void OnEvent_UserStopLongerThanTimeout_RaisesNoTimeout()
    {
        QemuCheckpointTracker tracker = Running();

        tracker.OnEvent("STOP", default, Ms(0));

        Assert.Null(tracker.NextDeadline);
        Assert.Equal(QemuCheckpointAction.None, tracker.OnTimer(Ms(60_000)).Action);
    }

    [Fact]
    public void OnTimer_CheckpointWithoutResume_TimesOutOnce()
    {
        QemuCheckpointTracker tracker = Running();
        tracker.OnEvent("STOP", default, Ms(0));
        tracker.OnEvent("MIGRATION_PASS", Pass(5), Ms(2));

        QemuCheckpointResult early = tracker.OnTimer(Ms(9_000));
        TimeSpan? deadline = tracker.NextDeadline;
        QemuCheckpointResult due = tracker.OnTimer(Ms(10_002));
        QemuCheckpointResult again = tracker.OnTimer(Ms(30_000));

        Assert.Equal(QemuCheckpointAction.None, early.Action);
        Assert.Equal(Ms(10_002), deadline);
        Assert.Equal(QemuCheckpointAction.CheckpointTimedOut, due.Action);
        Assert.Equal(5, due.Pass);
        Assert.Equal(CheckpointTimeout, due.Duration);
        Assert.Equal(QemuCheckpointAction.None, again.Action);
        Assert.Equal(1, tracker.CheckpointTimeouts);
        Assert.Null(tracker.NextDeadline);
    }

    [Fact]
    public void OnEvent_ResumeAfterTimeout_CompletesLate()
    {
        QemuCheckpointTracker tracker = Running();
        tracker.OnEvent("STOP", default, Ms(0));
        tracker.OnEvent("MIGRATION_PASS", Pass(5), Ms(2));
        tracker.OnTimer(Ms(10_002));

        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(25_000));

        Assert.Equal(QemuCheckpointAction.LateCheckpointCompleted, resume.Action);
        Assert.True(resume.IsCompletion);
        Assert.Equal(1, tracker.CheckpointsCompleted);
        Assert.Equal(1, tracker.LateCompletions);
        Assert.Equal(1, tracker.CheckpointTimeouts);
    }

    [Fact]
    public void OnEvent_ColoExit_RequestsFailoverWithQemusReason()
    {
        QemuCheckpointTracker tracker = Running();
        tracker.OnEvent("STOP", default, Ms(0));
        tracker.OnEvent("MIGRATION_PASS", Pass(5), Ms(2));

        QemuCheckpointResult exit = tracker.OnEvent("COLO_EXIT", Data("""{"mode": "primary", "reason": "error"}"""), Ms(3000));

        Assert.Equal(QemuCheckpointAction.Failover, exit.Action);
        Assert.Equal("error", exit.Detail);
        Assert.Equal("primary", exit.Mode);
        Assert.Equal(1, tracker.Failovers);
        Assert.False(tracker.CheckpointInFlight);
        Assert.Equal(QemuCheckpointAction.None, tracker.OnTimer(Ms(60_000)).Action);
    }

    [Fact]
    public void OnEvent_ResumeAfterColoExit_IsNotACheckpoint()
    {
        QemuCheckpointTracker tracker = Running();
        tracker.OnEvent("STOP", default, Ms(0));
        tracker.OnEvent("MIGRATION_PASS", Pass(5), Ms(2));
        tracker.OnEvent("COLO_EXIT", Data("""{"mode": "primary", "reason": "request"}"""), Ms(100));

        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(200));

        Assert.False(resume.IsCompletion);
    }

    [Fact]
    public void OnEvent_EventsOffWithoutTrustResume_NeverCompletes()
    {
        QemuCheckpointTracker tracker = Running(trustResume: false, events: false);

        tracker.OnEvent("STOP", default, Ms(0));
        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(150));

        Assert.Equal(QemuCheckpointAction.ResumeNotTrusted, resume.Action);
        Assert.False(resume.IsCompletion);
        Assert.Equal(0, tracker.CheckpointsCompleted);
        Assert.Equal(1, tracker.UntrustedResumes);
        Assert.Null(tracker.NextDeadline);
    }

    [Fact]
    public void OnEvent_EventsOffWithTrustResume_CompletesAtEveryResume()
    {
        QemuCheckpointTracker tracker = Running(trustResume: true, events: false);

        tracker.OnEvent("STOP", default, Ms(0));
        TimeSpan? deadline = tracker.NextDeadline;
        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(150));

        Assert.Equal(CheckpointTimeout, deadline);
        Assert.Equal(QemuCheckpointAction.CheckpointCompleted, resume.Action);
        Assert.Equal(1, tracker.CheckpointsCompleted);
    }

    [Fact]
    public void OnEvent_TrustResumeWithEventsOn_StopContIsStillNotACheckpoint()
    {
        QemuCheckpointTracker tracker = Running(trustResume: true, events: true);

        tracker.OnEvent("STOP", default, Ms(0));
        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(150));

        Assert.Equal(QemuCheckpointAction.UserStopResume, resume.Action);
    }

    [Fact]
    public void OnEvent_MigrationPassWhileEventsBelievedOff_TurnsEventsOnAndCompletes()
    {
        QemuCheckpointTracker tracker = Running(trustResume: false, events: false);

        tracker.OnEvent("STOP", default, Ms(0));
        tracker.OnEvent("MIGRATION_PASS", Pass(7), Ms(1));
        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(100));

        Assert.True(tracker.EventsCapability);
        Assert.Equal(QemuCheckpointAction.CheckpointCompleted, resume.Action);
    }

    [Fact]
    public void OnEvent_ColoStart_FirstResumeCompletesInitialCheckpoint()
    {
        QemuCheckpointTracker tracker = Running();

        QemuCheckpointResult setup = tracker.OnEvent("MIGRATION", Data("""{"status": "setup"}"""), Ms(0));
        QemuCheckpointResult pass1 = tracker.OnEvent("MIGRATION_PASS", Pass(1), Ms(6));
        tracker.OnEvent("MIGRATION", Data("""{"status": "active"}"""), Ms(6));
        QemuCheckpointResult pass2 = tracker.OnEvent("MIGRATION_PASS", Pass(2), Ms(168));
        QemuCheckpointResult colo = tracker.OnEvent("MIGRATION", Data("""{"status": "colo"}"""), Ms(169));
        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(177));

        Assert.Equal(QemuCheckpointAction.MigrationStatus, setup.Action);
        Assert.Equal(QemuCheckpointAction.None, pass1.Action);
        Assert.Equal(QemuCheckpointAction.None, pass2.Action);
        Assert.Equal(QemuCheckpointAction.ColoStarted, colo.Action);
        Assert.Equal(QemuCheckpointAction.CheckpointCompleted, resume.Action);
        Assert.Equal(2, resume.Pass);
        Assert.Equal(1, tracker.CheckpointsCompleted);
    }

    [Fact]
    public void OnEvent_LiveMigrationPassesThenFailedMigrationAndCont_IsNotACheckpoint()
    {
        QemuCheckpointTracker tracker = Running();
        tracker.OnEvent("MIGRATION", Data("""{"status": "setup"}"""), Ms(0));
        tracker.OnEvent("MIGRATION_PASS", Pass(1), Ms(6));
        tracker.OnEvent("STOP", default, Ms(100));
        tracker.OnEvent("MIGRATION", Data("""{"status": "failed"}"""), Ms(120));

        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(5000));

        Assert.Equal(QemuCheckpointAction.UserStopResume, resume.Action);
    }

    [Fact]
    public void OnTimer_ForcedRequestWithoutStop_ExpiresAndAllowsANewRequest()
    {
        QemuCheckpointTracker tracker = Running();
        tracker.TryBeginRequest(Ms(0));

        TimeSpan? deadline = tracker.NextDeadline;
        QemuCheckpointResult expired = tracker.OnTimer(Ms(10_000));
        QemuRequestDecision next = tracker.TryBeginRequest(Ms(10_001));

        Assert.Equal(CheckpointTimeout, deadline);
        Assert.Equal(QemuCheckpointAction.RequestExpired, expired.Action);
        Assert.Equal(QemuRequestDecision.Send, next);
    }

    [Fact]
    public void Reset_MidCheckpoint_ForgetsIt()
    {
        QemuCheckpointTracker tracker = Running();
        tracker.OnEvent("STOP", default, Ms(0));
        tracker.OnEvent("MIGRATION_PASS", Pass(3), Ms(1));

        tracker.Reset(running: true);
        QemuCheckpointResult resume = tracker.OnEvent("RESUME", default, Ms(100));

        Assert.Null(tracker.NextDeadline);
        Assert.Equal(QemuCheckpointAction.UserStopResume, resume.Action);
    }

    [Fact]
    public void OnEvent_UnrelatedEvents_Ignored()
    {
        QemuCheckpointTracker tracker = Running();

        QemuCheckpointResult nic = tracker.OnEvent("NIC_RX_FILTER_CHANGED", Data("""{"name": "e0"}"""), Ms(0));
        QemuCheckpointResult shutdown = tracker.OnEvent("SHUTDOWN", Data("""{"guest": false, "reason": "host-signal"}"""), Ms(1));

        Assert.Equal(QemuCheckpointAction.None, nic.Action);
        Assert.Equal(QemuCheckpointAction.None, shutdown.Action);
    }
}
