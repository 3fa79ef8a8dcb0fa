using System.IO.Pipelines;
using System.Net.Sockets;

namespace Colo.Proxy.Endpoints;

/// <summary>One connected peer of an endpoint: the socket and pipes over it. Disposed by the endpoint.</summary>
public sealed class PeerConnection : IAsyncDisposable
{
    private const int ReceiveBufferSize = 128 * 1024;

    internal PeerConnection(string endpointName, Socket socket)
    {
        EndpointName = endpointName;
        Socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: true);
        Input = PipeReader.Create(Stream, new StreamPipeReaderOptions(bufferSize: ReceiveBufferSize, minimumReadSize: 4096, leaveOpen: true));
        Remote = socket.RemoteEndPoint?.ToString() switch
        {
            null or "" => socket.AddressFamily == AddressFamily.Unix ? "unix peer" : "peer",
            string s => s,
        };
    }

    public string EndpointName { get; }

    public Socket Socket { get; }

    public NetworkStream Stream { get; }

    public PipeReader Input { get; }

    /// <summary>The peer's address for logs ("unix peer" for unnamed unix sockets).</summary>
    public string Remote { get; }

    /// <summary>Closes the connection now (both directions); pending reads complete.</summary>
    public void Abort()
    {
        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Input.CompleteAsync().ConfigureAwait(false);
        await Stream.DisposeAsync().ConfigureAwait(false);
    }
}
