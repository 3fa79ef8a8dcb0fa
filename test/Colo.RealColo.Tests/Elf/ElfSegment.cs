namespace Colo.RealColo.Tests.Elf;

/// <summary>A PT_LOAD program header: where a range of the file is mapped in memory.</summary>
internal readonly record struct ElfSegment(long FileOffset, ulong VirtualAddress, long FileSize, bool Executable)
{
    public bool ContainsFileOffset(long offset) => offset >= FileOffset && offset < FileOffset + FileSize;

    public bool ContainsAddress(ulong address) => address >= VirtualAddress && address < VirtualAddress + (ulong)FileSize;
}
