using System.Text.Json;
using Colo.Proxy.Control;
using Colo.Proxy.Tests.EndToEnd;
using Colo.TestSupport.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Proxy.Tests.Control;

/// <summary>The QMP-style control socket: every command, its errors, and every event.</summary>
public class ControlSocketTests
{
    private const string Guest = "10.0.0.2";
    private const string Client = "10.0.0.1";
    private static readonly FlowAddress GuestToClient = FlowAddress.Between(Guest, Client);

    [Fact]
    public async Task Connect_Greeting_HasQmpShape()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync(negotiate: false);

        JsonElement qmp = control.Greeting.GetProperty("QMP");
        Assert.Equal(JsonValueKind.Object, qmp.GetProperty("version").GetProperty("qemu").ValueKind);
        Assert.StartsWith("colo-proxy", qmp.GetProperty("version").GetProperty("package").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Array, qmp.GetProperty("capabilities").ValueKind);
    }

    [Fact]
    public async Task Execute_BeforeCapabilities_CommandNotFoundWithIdEchoed()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync(negotiate: false);

        JsonElement reply = await control.ExecuteAsync("query-status", id: "a1");

        Assert.Equal("CommandNotFound", reply.GetProperty("error").GetProperty("class").GetString());
        Assert.Contains("qmp_capabilities", reply.GetProperty("error").GetProperty("desc").GetString(), StringComparison.Ordinal);
        Assert.Equal("a1", reply.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Execute_UnknownCommand_CommandNotFound()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();

        JsonElement reply = await control.ExecuteAsync("no-such-thing", id: 7);

        Assert.Equal("CommandNotFound", reply.GetProperty("error").GetProperty("class").GetString());
        Assert.Equal("The command no-such-thing has not been found", reply.GetProperty("error").GetProperty("desc").GetString());
        Assert.Equal(7, reply.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task Execute_InvalidJson_GenericErrorAndSessionContinues()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();

        await control.SendRawAsync("{\"execute\": }\n");
        JsonElement error = await control.NextReplyAsync();
        await control.SendRawAsync("not json at all\n");
        JsonElement garbage = await control.NextReplyAsync();
        JsonElement status = await control.ReturnAsync("query-status");

        Assert.Equal("GenericError", error.GetProperty("error").GetProperty("class").GetString());
        Assert.Equal("GenericError", garbage.GetProperty("error").GetProperty("class").GetString());
        Assert.Equal("running", status.GetProperty("state").GetString());
    }

    [Fact]
    public async Task QueryStatus_ReportsStatePeersAndCheckpoint()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await control.WaitEventAsync("COLO_PEER_CONNECTED");

        JsonElement status = await control.ReturnAsync("query-status");

        Assert.Equal("running", status.GetProperty("state").GetString());
        Assert.True(status.GetProperty("peers").GetProperty("primary_in").GetBoolean());
        Assert.False(status.GetProperty("peers").GetProperty("outdev").GetBoolean());
        Assert.False(status.GetProperty("peers").GetProperty("xen-notify").GetBoolean());
        Assert.False(status.GetProperty("checkpoint").GetProperty("outstanding").GetBoolean());
        Assert.True(status.GetProperty("uptime-ms").GetInt64() >= 0);
        Assert.Equal(1, status.GetProperty("workers").GetInt32());
    }

    [Fact]
    public async Task QueryStats_CountsPerSideAndBalanced()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        byte[] d = Udp(Ascii("x"), 53, 3333, GuestToClient);
        await primary.SendAsync(d);
        await primary.SendAsync(Udp(Ascii("y"), 53, 3333, GuestToClient));
        await secondary.SendAsync(d);
        await proxy.WaitReceivedAsync(2, 1);

        JsonElement stats = await control.ReturnAsync("query-stats");

        Assert.Equal(2, stats.GetProperty("primary").GetProperty("received").GetInt64());
        Assert.Equal(1, stats.GetProperty("primary").GetProperty("released").GetProperty("compared").GetInt64());
        Assert.Equal(1, stats.GetProperty("primary").GetProperty("queued").GetInt64());
        Assert.Equal(1, stats.GetProperty("secondary").GetProperty("matched").GetInt64());
        Assert.True(stats.GetProperty("balanced").GetBoolean());
        Assert.Equal(2, stats.GetProperty("transport").GetProperty("primary_in").GetProperty("frames").GetInt64());
        JsonElement outdev = stats.GetProperty("transport").GetProperty("outdev");
        Assert.Equal(1, outdev.GetProperty("frames").GetInt64());
        Assert.Equal(0, outdev.GetProperty("resent").GetInt64());
    }

    [Fact]
    public async Task QueryStats_Process_ReportsGcCountsAndCpu()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();

        JsonElement process = (await control.ReturnAsync("query-stats")).GetProperty("process");

        Assert.True(process.GetProperty("gc-gen0").GetInt64() >= process.GetProperty("gc-gen1").GetInt64());
        Assert.True(process.GetProperty("gc-gen1").GetInt64() >= process.GetProperty("gc-gen2").GetInt64());
        Assert.True(process.GetProperty("gc-gen2").GetInt64() >= 0);
        Assert.True(process.GetProperty("allocated-bytes").GetInt64() > 0);
        Assert.True(process.GetProperty("cpu-ms").GetInt64() >= 0);
    }

    [Fact]
    public async Task QueryFlows_Limit_ReturnsTopFlowsByQueuedBytes()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        for (int i = 0; i < 3; i++)
            await primary.SendAsync(Udp(new byte[100 * (i + 1)], 53, 3333, FlowAddress.Between(Guest, "10.0.9." + i)));
        await proxy.WaitReceivedAsync(3, 0);

        JsonElement flows = await control.ReturnAsync("query-flows", new { limit = 2 });
        JsonElement bad = await control.ExecuteAsync("query-flows", new { limit = 0 });

        Assert.Equal(2, flows.GetArrayLength());
        Assert.Equal("10.0.9.2", flows[0].GetProperty("dst").GetString());
        Assert.Equal("udp", flows[0].GetProperty("protocol").GetString());
        Assert.Equal(1, flows[0].GetProperty("primary-queued-frames").GetInt32());
        Assert.Contains("limit", bad.GetProperty("error").GetProperty("desc").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckpointDone_ReleasesQueuedAndEmitsEvent()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        byte[] d = Udp(Ascii("held"), 53, 3333, GuestToClient);
        await primary.SendAsync(d);
        await proxy.WaitReceivedAsync(1, 0);

        JsonElement result = await control.ReturnAsync("colo-checkpoint-done");
        JsonElement done = await control.WaitEventAsync("COLO_CHECKPOINT_DONE");

        Assert.Equal(1, result.GetProperty("released").GetInt64());
        Assert.Equal("control", done.GetProperty("data").GetProperty("channel").GetString());
        Assert.True(done.GetProperty("timestamp").GetProperty("seconds").GetInt64() > 0);
        Assert.Equal(d, await outdev.ReceiveAsync());
    }

    [Fact]
    public async Task Failover_ReleasesEverythingThenForwardsUncompared()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        byte[] before = Udp(Ascii("before"), 53, 3333, GuestToClient);
        byte[] after = Udp(Ascii("after"), 53, 3333, GuestToClient);
        await primary.SendAsync(before);
        await proxy.WaitReceivedAsync(1, 0);

        JsonElement result = await control.ReturnAsync("colo-failover");
        await primary.SendAsync(after);

        Assert.Equal(1, result.GetProperty("released").GetInt64());
        Assert.Equal(before, await outdev.ReceiveAsync());
        Assert.Equal(after, await outdev.ReceiveAsync());
        Assert.Equal("failover", (await control.ReturnAsync("query-status")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task PassthroughAddDel_FlowReleasedUncomparedThenComparedAgain()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var outdev = await proxy.ConnectAsync("outdev");
        var rule = new Dictionary<string, object> { ["protocol"] = "udp", ["dst"] = Client, ["dst-port"] = 3333 };

        await control.ReturnAsync("colo-passthrough-add", rule);
        JsonElement listed = await control.ReturnAsync("query-passthrough");
        byte[] d = Udp(Ascii("exempt"), 53, 3333, GuestToClient);
        await primary.SendAsync(d);
        Assert.Equal(d, await outdev.ReceiveAsync());
        await control.ReturnAsync("colo-passthrough-del", rule);
        JsonElement missing = await control.ExecuteAsync("colo-passthrough-del", rule);
        JsonElement invalid = await control.ExecuteAsync("colo-passthrough-add", new Dictionary<string, object> { ["src"] = "not-an-ip" });

        Assert.Equal(1, listed.GetArrayLength());
        Assert.Equal("GenericError", missing.GetProperty("error").GetProperty("class").GetString());
        Assert.Contains("'src'", invalid.GetProperty("error").GetProperty("desc").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, (await proxy.Host.GetCountersAsync()).Released(Colo.Compare.ReleaseReason.Passthrough));
    }

    [Fact]
    public async Task Events_Divergence_CheckpointRequestAndPeerEvents()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();
        var primary = await proxy.ConnectAsync("primary_in");
        JsonElement connected = await control.WaitEventAsync("COLO_PEER_CONNECTED");
        await using var secondary = await proxy.ConnectAsync("secondary_in");

        await primary.SendAsync(Udp(Ascii("yes"), 53, 3333, GuestToClient));
        await secondary.SendAsync(Udp(Ascii("no!"), 53, 3333, GuestToClient));
        JsonElement divergence = await control.WaitEventAsync("COLO_DIVERGENCE");
        JsonElement request = await control.WaitEventAsync("COLO_CHECKPOINT_REQUEST");
        await primary.DisposeAsync();
        JsonElement disconnected = await control.WaitEventAsync("COLO_PEER_DISCONNECTED");

        Assert.Equal("primary_in", connected.GetProperty("data").GetProperty("channel").GetString());
        Assert.Equal("udp", divergence.GetProperty("data").GetProperty("protocol").GetString());
        Assert.Equal("datagram", divergence.GetProperty("data").GetProperty("kind").GetString());
        Assert.Equal("divergence", request.GetProperty("data").GetProperty("reason").GetString());
        Assert.False(request.GetProperty("data").GetProperty("repeat").GetBoolean());
        Assert.Equal("primary_in", disconnected.GetProperty("data").GetProperty("channel").GetString());
    }

    [Fact]
    public async Task Quit_RepliesThenStopsTheProxy()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        using var run = new CancellationTokenSource();
        Task running = Task.Run(async () =>
        {
            await proxy.Host.QuitRequested;
            await proxy.Host.StopAsync();
        }, TestContext.Current.CancellationToken);
        await using var control = await proxy.ControlAsync();

        JsonElement reply = await control.ExecuteAsync("quit", id: "bye");

        Assert.True(reply.TryGetProperty("return", out _));
        Assert.Equal("bye", reply.GetProperty("id").GetString());
        await running.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);
        Assert.True(proxy.Host.Stopped.IsCompleted);
        Assert.True(await control.WaitClosedAsync());
    }

    [Fact]
    public async Task QueryCommands_ListsEveryTableEntryInOrder()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();

        JsonElement commands = await control.ReturnAsync("query-commands");

        Assert.Equal(ControlCommands.Table.Select(c => c.Name), commands.EnumerateArray().Select(c => c.GetProperty("name").GetString()));
    }

    [Theory]
    [InlineData("query-flows", "{\"bogus\":1}")]
    [InlineData("query-status", "{\"verbose\":true}")]
    [InlineData("colo-checkpoint-done", "{\"now\":1}")]
    public async Task Execute_UnknownArgument_RefusedNamingIt(string command, string arguments)
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();

        await control.SendRawAsync($"{{\"execute\":\"{command}\",\"arguments\":{arguments}}}\n");
        JsonElement reply = await control.NextReplyAsync();

        Assert.Equal("GenericError", reply.GetProperty("error").GetProperty("class").GetString());
        Assert.Contains("is unexpected", reply.GetProperty("error").GetProperty("desc").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_DuplicateKeys_RefusedAndProxyKeepsRunning()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();

        await control.SendRawAsync("{\"execute\":\"query-status\",\"execute\":\"quit\"}\n");
        JsonElement reply = await control.NextReplyAsync();

        Assert.Equal("GenericError", reply.GetProperty("error").GetProperty("class").GetString());
        Assert.False(proxy.Host.QuitRequested.IsCompleted);
        Assert.Equal("running", (await control.ReturnAsync("query-status")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Execute_MalformedJsonWithoutClosingBrace_AnsweredAtOnce()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();

        // No "}" and no newline follow: the answer must not wait for either.
        await control.SendRawAsync("{\"execute\" \"query-status\"");
        JsonElement reply = await control.NextReplyAsync();

        Assert.StartsWith("JSON parse error", reply.GetProperty("error").GetProperty("desc").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_LimitReachedByIdleClients_NewClientServedAndTheIdlestToldWhy()
    {
        await using var proxy = await ProxyHarness.StartAsync(o => o.ControlLimits.MaxClients = 4);
        var idle = new List<ControlClient>();
        for (int i = 0; i < 4; i++)
            idle.Add(await proxy.ControlAsync());
        try
        {
            // The clients have all been silent since they negotiated; the first has been so the longest.
            await using var operatorClient = await proxy.ControlAsync();
            JsonElement status = await operatorClient.ReturnAsync("query-status");

            Assert.Equal("running", status.GetProperty("state").GetString());
            JsonElement goodbye = await idle[0].NextReplyAsync();
            Assert.Contains("limit", goodbye.GetProperty("error").GetProperty("desc").GetString(), StringComparison.Ordinal);
            Assert.True(await idle[0].WaitClosedAsync());
            Assert.Equal("running", (await idle[1].ReturnAsync("query-status")).GetProperty("state").GetString());
        }
        finally
        {
            foreach (ControlClient client in idle)
                await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Connect_NoCapabilitiesWithinTheDeadline_ClosedWithAnError()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var silent = await proxy.ControlAsync(negotiate: false);
        // Whitespace keeps nobody connected.
        await silent.SendRawAsync(" \n");

        proxy.Time!.Advance(TimeSpan.FromSeconds(11));

        JsonElement goodbye = await silent.NextReplyAsync();
        Assert.Contains("qmp_capabilities", goodbye.GetProperty("error").GetProperty("desc").GetString(), StringComparison.Ordinal);
        Assert.True(await silent.WaitClosedAsync());
    }

    [Fact]
    public async Task Connect_NoCommandForTheIdleTimeout_ClosedWithAnError()
    {
        await using var proxy = await ProxyHarness.StartAsync(o => o.ControlLimits.IdleTimeout = TimeSpan.FromMinutes(1));
        await using var client = await proxy.ControlAsync();
        await using var active = await proxy.ControlAsync();

        proxy.Time!.Advance(TimeSpan.FromSeconds(40));
        await active.ReturnAsync("query-status");
        proxy.Time.Advance(TimeSpan.FromSeconds(21));

        JsonElement goodbye = await client.NextReplyAsync();
        Assert.Contains("no command", goodbye.GetProperty("error").GetProperty("desc").GetString(), StringComparison.Ordinal);
        Assert.True(await client.WaitClosedAsync());
        Assert.Equal("running", (await active.ReturnAsync("query-status")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task QueryStatus_NoCheckpointChannel_WarnsAndListsNoChannels()
    {
        await using var proxy = await ProxyHarness.StartAsync(notify: false);
        await using var control = await proxy.ControlAsync();

        JsonElement status = await control.ReturnAsync("query-status");

        Assert.Equal(0, status.GetProperty("checkpoint").GetProperty("channels").GetArrayLength());
        Assert.Contains("NO CHECKPOINT CHANNEL", status.GetProperty("warnings")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryStatus_WithNotifyChannel_ListsItWithoutWarning()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();

        JsonElement status = await control.ReturnAsync("query-status");

        Assert.Equal("xen-notify", status.GetProperty("checkpoint").GetProperty("channels")[0].GetString());
        Assert.Equal(0, status.GetProperty("warnings").GetArrayLength());
    }

    [Fact]
    public async Task Failover_EmitsColoFailoverEvent()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();

        await control.ReturnAsync("colo-failover");
        JsonElement failover = await control.WaitEventAsync("COLO_FAILOVER");

        Assert.Equal("control", failover.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal(0, failover.GetProperty("data").GetProperty("released").GetInt64());
    }

    [Fact]
    public async Task Divergence_Event_UsesKebabCaseSpellingAndLowerCaseHex()
    {
        await using var proxy = await ProxyHarness.StartAsync();
        await using var control = await proxy.ControlAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");

        await primary.SendAsync(Udp(Ascii("yes"), 53, 3333, GuestToClient));
        await secondary.SendAsync(Udp(Ascii("no!"), 53, 3333, GuestToClient));
        JsonElement data = (await control.WaitEventAsync("COLO_DIVERGENCE")).GetProperty("data");

        Assert.Equal(53, data.GetProperty("src-port").GetInt32());
        Assert.True(data.TryGetProperty("stream-offset", out _));
        Assert.Equal(0, data.GetProperty("datagram-index").GetInt64());
        Assert.Matches("^[0-9a-f]*796573[0-9a-f]*$", data.GetProperty("primary-hex").GetString());
        Assert.All(data.EnumerateObject(), p => Assert.Matches("^[a-z]+(-[a-z]+)*$", p.Name));
    }
}
