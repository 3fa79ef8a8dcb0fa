using System.Net.Sockets;
using System.Text;

namespace Colo.Cli.Serve;

/// <summary>
/// The systemd readiness protocol (<c>Type=notify</c>): a datagram such as <c>READY=1</c> sent to the unix socket named
/// by <c>$NOTIFY_SOCKET</c> (a leading <c>@</c> means the abstract namespace). Without the variable, nothing is sent;
/// a send that fails is reported once and never stops the proxy.
/// </summary>
internal sealed class SystemdNotifier
{
    public const string Variable = "NOTIFY_SOCKET";

    private readonly string? _address;

    public SystemdNotifier(string? address) => _address = string.IsNullOrEmpty(address) ? null : address;

    public static SystemdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable(Variable));

    public bool Enabled => _address is not null;

    /// <summary>Sends one notification (newline-separated assignments); returns the error, or null when sent or disabled.</summary>
    public string? Notify(string state)
    {
        if (_address is null)
            return null;
        string path = _address[0] == '@' ? "\0" + _address[1..] : _address;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(state));
            return null;
        }
        catch (SocketException ex)
        {
            return $"{Variable}={_address}: {ex.Message}";
        }
    }
}
