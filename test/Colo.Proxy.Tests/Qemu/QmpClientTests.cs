using System.Net.Sockets;
using System.Text.Json;
using Colo.Proxy.Qemu;

namespace Colo.Proxy.Tests.Qemu;

public class QmpClientTests
{
    private static QmpClient CreateClient(string endpoint, TimeSpan? commandTimeout = null)
    {
        Assert.True(QmpEndpoint.TryParse(endpoint, out QmpEndpoint? parsed, out string? error), error);
        return new QmpClient(parsed, new TestOutputLogger(), TimeProvider.System, commandTimeout ?? TimeSpan.FromSeconds(30));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConnectAsync_ScriptedServer_ReadsGreetingAndNegotiatesCapabilities()
    {
        await using var server = new ScriptedQmpServer();
        await using QmpClient client = CreateClient(server.Endpoint);

        await client.ConnectAsync(Ct);

        Assert.Equal(7, client.Greeting.GetProperty("version").GetProperty("qemu").GetProperty("major").GetInt32());
        await server.Commands.WaitForCountAsync(1, "qmp_capabilities");
        Assert.Equal("qmp_capabilities", server.Commands.Snapshot()[0].Name);
    }

    [Fact]
    public async Task ExecuteAsync_RepliesOutOfOrder_MatchedToRequestsById()
    {
        await using var server = new ScriptedQmpServer();
        await using QmpClient client = CreateClient(server.Endpoint);
        await client.ConnectAsync(Ct);
        server.ReplyInReverseBatchesOf = 3;

        Task<JsonElement> status = client.ExecuteAsync("query-status", null, Ct);
        Task<JsonElement> colo = client.ExecuteAsync("query-colo-status", null, Ct);
        Task<JsonElement> parameters = client.ExecuteAsync("query-migrate-parameters", null, Ct);
        await Task.WhenAll(status, colo, parameters);

        Assert.True((await status).GetProperty("running").GetBoolean());
        Assert.Equal("primary", (await colo).GetProperty("mode").GetString());
        Assert.Equal(20000, (await parameters).GetProperty("x-checkpoint-delay").GetInt32());
    }

    [Fact]
    public async Task ExecuteAsync_ErrorReply_ThrowsWithQemusClassAndDescription()
    {
        await using var server = new ScriptedQmpServer();
        await using QmpClient client = CreateClient(server.Endpoint);
        await client.ConnectAsync(Ct);

        QmpCommandException ex = await Assert.ThrowsAsync<QmpCommandException>(() => client.ExecuteAsync("x-no-such-command", null, Ct));

        Assert.Equal("CommandNotFound", ex.ErrorClass);
        Assert.Equal("x-no-such-command", ex.Command);
        Assert.Contains("has not been found", ex.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_SplitAcrossWritesAndBatched_DeliveredInOrder()
    {
        await using var server = new ScriptedQmpServer();
        await using QmpClient client = CreateClient(server.Endpoint);
        await client.ConnectAsync(Ct);

        await server.SendAsync("""{"timestamp": {"seconds": 1795631884, "microseconds": 299898}, "event": "STOP"}""", chunk: 3);
        await server.SendManyAsync([
            """{"timestamp": {"seconds": 1795631884, "microseconds": 301442}, "event": "MIGRATION_PASS", "data": {"pass": 3}}""",
            """{"timestamp": {"seconds": 1795631884, "microseconds": 448190}, "event": "RESUME"}""",
        ]);

        var events = new List<QmpEvent>();
        while (events.Count < 3)
            events.Add(await client.Events.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct));

        Assert.Equal(["STOP", "MIGRATION_PASS", "RESUME"], events.Select(e => e.Name));
        Assert.Equal(3, events[1].Data.GetProperty("pass").GetInt32());
        Assert.Equal(JsonValueKind.Undefined, events[0].Data.ValueKind);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795631884).AddTicks(2998980), events[0].Timestamp);
    }

    [Fact]
    public async Task ExecuteAsync_ConnectionDropsBeforeReply_ThrowsIOException()
    {
        await using var server = new ScriptedQmpServer();
        await using QmpClient client = CreateClient(server.Endpoint);
        await client.ConnectAsync(Ct);
        server.ReplyInReverseBatchesOf = 2;

        Task<JsonElement> pending = client.ExecuteAsync("query-status", null, Ct);
        await server.Commands.WaitForCountAsync(2, "query-status");
        server.DropConnection();

        await Assert.ThrowsAnyAsync<IOException>(() => pending);
        await client.Completion.WaitAsync(TimeSpan.FromSeconds(30), Ct);
    }

    [Fact]
    public async Task ConnectAsync_NoGreeting_FailsSayingTheSocketServesOneClient()
    {
        string directory = Directory.CreateTempSubdirectory("qmp-").FullName;
        string path = Path.Combine(directory, "busy.sock");
        try
        {
            // A listener that never accepts: what a second client sees on a QEMU QMP socket already in use.
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            await using QmpClient client = CreateClient("unix:" + path, TimeSpan.FromMilliseconds(300));

            QmpProtocolException ex = await Assert.ThrowsAsync<QmpProtocolException>(() => client.ConnectAsync(Ct));

            Assert.Contains("one client", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task ConnectAsync_NobodyListening_ThrowsSocketException()
    {
        await using QmpClient client = CreateClient("unix:" + Path.Combine(Path.GetTempPath(), $"qmp-absent-{Guid.NewGuid():N}.sock"));

        await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(Ct));
    }
}
