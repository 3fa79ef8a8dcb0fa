using System.Net.Sockets;
using Colo.Proxy.Endpoints;

namespace Colo.Proxy.Tests.Endpoints;

public class ConnectFailureTests
{
    private static SocketException Connect(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        return Assert.Throws<SocketException>(() => socket.Connect(new UnixDomainSocketEndPoint(path)));
    }

    [Fact]
    public void Describe_UnixPathMissing_SaysTheSocketDoesNotExist()
    {
        string path = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}.sock");

        string reason = ConnectFailure.Describe(Connect(path), path);

        Assert.Equal($"the socket {path} does not exist (is the peer running and listening there?)", reason);
    }

    [Fact]
    public void Describe_StaleUnixSocketFile_SaysNothingListens()
    {
        string directory = Directory.CreateTempSubdirectory("stale-").FullName;
        string path = Path.Combine(directory, "s.sock");
        // A socket file whose process exited without removing it (the runtime removes the files it binds on dispose,
        // so leave this one undisposed until the end).
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));

        string reason = ConnectFailure.Describe(Connect(path), path);

        Assert.StartsWith($"nothing listens on {path}", reason, StringComparison.Ordinal);
        listener.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
