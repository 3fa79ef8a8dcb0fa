namespace Colo.Compare.Tests.Support;

/// <summary>The initial sequence numbers every sequence-sensitive test runs over (wrap and sign boundaries).</summary>
public static class Isns
{
    public static TheoryData<uint> All => new() { 0u, 1u, 0x7FFFFFFFu, 0xFFFFFFF5u, 0xFFFFFFFFu };
}
