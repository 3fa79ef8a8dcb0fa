using Colo.Proxy.Checkpoints;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Notify;
using Colo.Proxy.Qemu;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

/// <summary>
/// The checkpoint channels the options ask for, each built the same way: an <see cref="ICheckpointChannel"/> the host
/// starts with itself as the events, in option order (Xen's <c>notify_dev</c>, then QEMU/KVM's QMP socket).
/// </summary>
internal static class CheckpointChannels
{
    public static List<ICheckpointChannel> Create(ProxyOptions options, ILoggerFactory loggerFactory, ILogger transport, TimeProvider time)
    {
        var channels = new List<ICheckpointChannel>();
        if (options.NotifyDev is { } notify)
        {
            channels.Add(new XenNotifyChannel(new SocketEndpoint("notify_dev", notify, options.Endpoints, transport),
                loggerFactory.CreateLogger("Colo.Proxy.Notify")));
        }
        if (options.Qemu is { } qemu)
            channels.Add(new QemuCheckpointChannel(qemu, loggerFactory.CreateLogger("Colo.Proxy.Qemu"), time));
        return channels;
    }
}
