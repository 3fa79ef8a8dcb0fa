using System.Buffers.Binary;
using System.Text;

namespace Colo.RealColo.Tests.Elf;

/// <summary>
/// The little of an ELF64 little-endian executable the QEMU patcher needs: the PT_LOAD segments (to map file offsets to
/// virtual addresses and back) and the defined dynamic symbols from <c>.dynsym</c>/<c>.dynstr</c>. Debian's QEMU is
/// stripped of <c>.symtab</c> but exports its dynamic symbols, which anchor the patch sites.
/// </summary>
internal sealed class ElfImage
{
    // ELF64 header (System V gABI, "ELF Header"): e_ident[16], e_type, e_machine, e_version, e_entry, e_phoff, ...
    private const int IdentClassOffset = 4;
    private const int IdentDataOffset = 5;
    private const byte ElfClass64 = 2;
    private const byte ElfDataLittleEndian = 1;
    private const int MachineOffset = 0x12;
    private const ushort MachineX86_64 = 62;
    private const int ProgramHeaderOffsetOffset = 0x20;
    private const int SectionHeaderOffsetOffset = 0x28;
    private const int ProgramHeaderEntrySizeOffset = 0x36;
    private const int ProgramHeaderCountOffset = 0x38;
    private const int SectionHeaderEntrySizeOffset = 0x3A;
    private const int SectionHeaderCountOffset = 0x3C;
    private const int HeaderLength = 0x40;

    // Program header: p_type u32, p_flags u32, p_offset u64, p_vaddr u64, p_paddr u64, p_filesz u64, ...
    private const uint ProgramTypeLoad = 1;
    private const uint ProgramFlagExecute = 1;

    // Section header: sh_name u32, sh_type u32, sh_flags u64, sh_addr u64, sh_offset u64, sh_size u64, sh_link u32, ...
    private const uint SectionTypeDynamicSymbols = 11;
    private const int SectionTypeOffset = 4;
    private const int SectionFileOffsetOffset = 0x18;
    private const int SectionSizeOffset = 0x20;
    private const int SectionLinkOffset = 0x28;
    private const int SectionEntrySizeOffset = 0x38;

    // Elf64_Sym: st_name u32, st_info u8, st_other u8, st_shndx u16, st_value u64, st_size u64.
    private const int SymbolLength = 24;
    private const int SymbolSectionIndexOffset = 6;
    private const int SymbolValueOffset = 8;

    private readonly Dictionary<string, ulong> _dynamicSymbols;

    private static ReadOnlySpan<byte> Magic => [0x7F, (byte)'E', (byte)'L', (byte)'F'];

    private ElfImage(IReadOnlyList<ElfSegment> segments, Dictionary<string, ulong> dynamicSymbols)
    {
        Segments = segments;
        _dynamicSymbols = dynamicSymbols;
    }

    public IReadOnlyList<ElfSegment> Segments { get; }

    public int DynamicSymbolCount => _dynamicSymbols.Count;

    /// <summary>Reads the headers of <paramref name="image"/>; throws <see cref="FormatException"/> for anything but an x86-64 ELF64 LE file.</summary>
    public static ElfImage Parse(ReadOnlySpan<byte> image)
    {
        if (image.Length < HeaderLength || !image[..4].SequenceEqual(Magic))
            throw new FormatException("not an ELF file (no \\x7fELF magic)");
        if (image[IdentClassOffset] != ElfClass64 || image[IdentDataOffset] != ElfDataLittleEndian)
            throw new FormatException($"not ELF64 little-endian (class {image[IdentClassOffset]}, data {image[IdentDataOffset]})");
        var machine = BinaryPrimitives.ReadUInt16LittleEndian(image[MachineOffset..]);
        if (machine != MachineX86_64)
            throw new FormatException($"not an x86-64 binary (e_machine {machine})");

        var segments = ReadLoadSegments(image);
        var symbols = ReadDynamicSymbols(image);
        return new ElfImage(segments, symbols);
    }

    /// <summary>The address of a defined dynamic symbol (name without its <c>@VERSION</c>), or null when it is not exported.</summary>
    public ulong? FindDynamicSymbol(string name) => _dynamicSymbols.TryGetValue(name, out var value) ? value : null;

    public ulong? ToVirtualAddress(long fileOffset)
    {
        foreach (var segment in Segments)
        {
            if (segment.ContainsFileOffset(fileOffset))
                return segment.VirtualAddress + (ulong)(fileOffset - segment.FileOffset);
        }
        return null;
    }

    public long? ToFileOffset(ulong address)
    {
        foreach (var segment in Segments)
        {
            if (segment.ContainsAddress(address))
                return segment.FileOffset + (long)(address - segment.VirtualAddress);
        }
        return null;
    }

    private static List<ElfSegment> ReadLoadSegments(ReadOnlySpan<byte> image)
    {
        var offset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(image[ProgramHeaderOffsetOffset..]));
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(image[ProgramHeaderEntrySizeOffset..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(image[ProgramHeaderCountOffset..]);
        var segments = new List<ElfSegment>();
        for (var i = 0; i < count; i++)
        {
            var header = image.Slice(offset + i * entrySize, entrySize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != ProgramTypeLoad)
                continue;
            var flags = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            segments.Add(new ElfSegment(
                FileOffset: checked((long)BinaryPrimitives.ReadUInt64LittleEndian(header[8..])),
                VirtualAddress: BinaryPrimitives.ReadUInt64LittleEndian(header[16..]),
                FileSize: checked((long)BinaryPrimitives.ReadUInt64LittleEndian(header[32..])),
                Executable: (flags & ProgramFlagExecute) != 0));
        }
        return segments;
    }

    private static Dictionary<string, ulong> ReadDynamicSymbols(ReadOnlySpan<byte> image)
    {
        var sectionsOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(image[SectionHeaderOffsetOffset..]));
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(image[SectionHeaderEntrySizeOffset..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(image[SectionHeaderCountOffset..]);
        var symbols = new Dictionary<string, ulong>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var header = SectionHeader(image, sectionsOffset, entrySize, i);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[SectionTypeOffset..]) != SectionTypeDynamicSymbols)
                continue;
            var table = SectionData(image, header);
            var stringsIndex = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[SectionLinkOffset..]);
            var strings = SectionData(image, SectionHeader(image, sectionsOffset, entrySize, stringsIndex));
            var symbolSize = (int)BinaryPrimitives.ReadUInt64LittleEndian(header[SectionEntrySizeOffset..]);
            if (symbolSize < SymbolLength)
                throw new FormatException($".dynsym entry size {symbolSize} is smaller than an Elf64_Sym ({SymbolLength})");
            for (var at = symbolSize; at + SymbolLength <= table.Length; at += symbolSize) // entry 0 is the null symbol
            {
                var symbol = table.Slice(at, SymbolLength);
                if (BinaryPrimitives.ReadUInt16LittleEndian(symbol[SymbolSectionIndexOffset..]) == 0)
                    continue; // undefined: imported from a library
                var name = ReadString(strings, (int)BinaryPrimitives.ReadUInt32LittleEndian(symbol));
                symbols.TryAdd(name, BinaryPrimitives.ReadUInt64LittleEndian(symbol[SymbolValueOffset..]));
            }
        }
        if (symbols.Count == 0)
            throw new FormatException("no defined dynamic symbols (.dynsym missing or empty)");
        return symbols;
    }

    private static ReadOnlySpan<byte> SectionHeader(ReadOnlySpan<byte> image, int sectionsOffset, int entrySize, int index) =>
        image.Slice(sectionsOffset + index * entrySize, entrySize);

    private static ReadOnlySpan<byte> SectionData(ReadOnlySpan<byte> image, ReadOnlySpan<byte> header) =>
        image.Slice(
            checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[SectionFileOffsetOffset..])),
            checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[SectionSizeOffset..])));

    private static string ReadString(ReadOnlySpan<byte> strings, int offset)
    {
        var rest = strings[offset..];
        var end = rest.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? rest : rest[..end]);
    }
}
