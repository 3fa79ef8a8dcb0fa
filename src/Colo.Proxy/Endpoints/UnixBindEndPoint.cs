using System.Net;
using System.Net.Sockets;

namespace Colo.Proxy.Endpoints;

/// <summary>
/// A unix socket path to bind, for a listener that removes its socket file itself. A socket bound to a
/// <see cref="UnixDomainSocketEndPoint"/> deletes the file by name when it is disposed, whoever's file the name names
/// by then: after a slow shutdown that is a successor's socket. Bound through this end point (same address, another
/// type) the socket leaves the file alone, and <see cref="OwnedSocketFile"/> removes it only if it is still ours.
/// </summary>
internal sealed class UnixBindEndPoint(string path) : EndPoint
{
    private readonly UnixDomainSocketEndPoint _address = new(path);

    public override AddressFamily AddressFamily => AddressFamily.Unix;

    public override SocketAddress Serialize() => _address.Serialize();

    public override EndPoint Create(SocketAddress socketAddress) => _address.Create(socketAddress);

    public override string ToString() => _address.ToString();
}
