using Colo.Compare;
using Colo.Proxy.Hosting;
using Colo.Proxy.Qemu;
using Microsoft.Extensions.Logging;

namespace Colo.Cli.Serve;

/// <summary>
/// Everything <c>colo-proxy serve</c> was told, as the options types the libraries take. A fresh instance holds the
/// defaults, which is where the help text's defaults come from.
/// </summary>
internal sealed class ServeConfiguration
{
    /// <summary>serve's defaults where they differ from the libraries' (which keep the recorder off).</summary>
    public ServeConfiguration()
    {
        // The flight recorder is on in serve, at a size that costs little: a divergence then comes with its frames.
        Proxy.Compare.RecorderBytesPerFlow = CompareOptions.ServeRecorderBytesPerFlow;
        Proxy.Compare.RecorderBudgetBytes = CompareOptions.ServeRecorderBudgetBytes;
    }

    public ProxyOptions Proxy { get; } = new();

    /// <summary>The QEMU/KVM checkpoint channel's options; used only when <see cref="QemuEnabled"/>.</summary>
    public QemuCheckpointOptions Qemu { get; } = new();

    /// <summary><c>--qemu-qmp</c> was given.</summary>
    public bool QemuEnabled => Qemu.Endpoint.Length > 0;

    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    public ServeLogFormat LogFormat { get; set; } = ServeLogFormat.Text;
}
