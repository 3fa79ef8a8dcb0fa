namespace Colo.Differential.Tests.Scenarios;

/// <summary>The transport of a scenario flow, as the comparators see it.</summary>
internal enum FlowKind
{
    Tcp,
    Udp,
    Icmp,
    OtherIp,
}
