using System.Text.Json;

namespace Colo.Proxy.Control;

/// <summary>
/// One entry of the control socket's command table: its name, the arguments it takes (any other is rejected before the
/// handler runs), whether it changes the proxy's state (logged at Information rather than Debug), and its handler.
/// </summary>
/// <param name="Name">The QMP command name.</param>
/// <param name="Help">One line for <c>query-commands</c> and <c>colo-proxy ctl --help</c>.</param>
/// <param name="Arguments">The argument names the command accepts.</param>
/// <param name="ChangesState">True for commands an operator wants in the log (checkpoint, failover, rules, quit).</param>
/// <param name="Handler">Runs the command; returns the complete reply line. Throws <see cref="ControlException"/>.</param>
internal sealed record ControlCommand(
    string Name,
    string Help,
    IReadOnlyList<string> Arguments,
    bool ChangesState,
    Func<IProxyControl, JsonElement?, JsonElement?, Task<byte[]>> Handler);
