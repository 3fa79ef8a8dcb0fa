namespace Colo.Compare.Internal;

/// <summary>One fragment frame held for reassembly: a pooled copy of the whole frame and where its payload lies.</summary>
internal readonly record struct StoredFragment(
    byte[] Buffer, int Length, int VnetHeaderLength, TimeSpan Arrival, int PayloadStart, int PayloadLength, int Offset);
