using System.Buffers.Binary;
using System.Security.Cryptography;
using Colo.RealColo.Tests.Elf;

namespace Colo.RealColo.Tests.Qemu;

/// <summary>
/// Makes a copy of Debian 12's QEMU 7.2 with two workarounds for QEMU bugs that break COLO under TCG (no KVM here).
/// Both sites are found by their bytes and checked against exported symbols; any mismatch refuses with a
/// <see cref="QemuPatchException"/> and writes nothing. The source binary is only read.
/// <list type="number">
/// <item><b>Checkpoint deadlock.</b> The COLO thread saves RAM without the big QEMU lock; the TCG listener
/// <c>tcg_log_global_after_sync()</c> then calls <c>run_on_cpu(cpu, do_nothing)</c>, which waits on a condition with a
/// lock this thread does not hold, and the next lock taken before <c>vm_start</c> deadlocks. The static function gets a
/// new body that returns early when <c>qemu_mutex_iothread_locked()</c> is false (the vCPUs are stopped in a checkpoint,
/// so there is no running TB to wait for); callers that hold the lock keep the original behaviour.</item>
/// <item><b>Lost dirty bits (fixed in QEMU 9.0).</b> The word-aligned fast path of
/// <c>cpu_physical_memory_sync_dirty_bitmap()</c> clears migration dirty words without re-arming TCG's write tracking,
/// so the secondary's memory silently diverges. The <c>je</c> into that path becomes two NOPs.</item>
/// </list>
/// </summary>
internal static class QemuPatcher
{
    public const string DebianQemu = "/usr/bin/qemu-system-x86_64";

    // Patch 1, the body of tcg_log_global_after_sync() as GCC compiled it for Debian 12 (34 bytes, then padding):
    //  0: 8b 05 r32     mov eax,[rip+replay_mode]
    //  6: 85 c0         test eax,eax
    //  8: 74 06         je +6
    // 10: c3            ret
    // 11: 0f 1f 44 00 00 nopl
    // 16: 48 8b 7f d8   mov rdi,[rdi+disp8]        (cpuas->cpu)
    // 20: 31 d2         xor edx,edx
    // 22: 48 8d 35 r32  lea rsi,[rip+do_nothing]
    // 29: e9 r32        jmp run_on_cpu
    private const int FunctionLength = 34;
    private const int ReplacedLength = 48;
    private const int ReplayModeRelOffset = 2;
    private const int Disp8Offset = 19;
    private const int DoNothingRelOffset = 25;
    private const int RunOnCpuRelOffset = 30;

    // Patch 2: mov rax,rbp; or rax,rsi; test eax,0x3ffff; je +0x7f; xor r13d,r13d; xor ebx,ebx. The je is at 11.
    private static readonly byte[] FastPathBranchRun = Convert.FromHexString("4889e84809f0a9ffff0300747f4531ed31db");
    private const int FastPathBranchOffset = 11;

    /// <summary>Writes the patched copy of <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public static PatchedQemu Patch(string source, string destination)
    {
        var data = File.ReadAllBytes(source);
        ElfImage elf;
        try
        {
            elf = ElfImage.Parse(data);
        }
        catch (FormatException e)
        {
            throw new QemuPatchException($"{source}: {e.Message}; expected Debian 12's qemu-system-x86_64 7.2");
        }

        var replayMode = RequireSymbol(elf, source, "replay_mode");
        var runOnCpu = RequireSymbol(elf, source, "run_on_cpu");
        var iothreadLocked = RequireSymbol(elf, source, "qemu_mutex_iothread_locked");

        var (functionOffset, functionAddress, doNothing) = FindAfterSyncFunction(data, elf, source, replayMode, runOnCpu);
        var fastPathOffset = FindFastPathBranch(data, source);

        var oldBody = Convert.ToHexString(data, functionOffset, ReplacedLength);
        var newBody = AssembleAfterSync(functionAddress, replayMode, iothreadLocked, doNothing, runOnCpu, data[functionOffset + Disp8Offset]);
        newBody.CopyTo(data, functionOffset);
        data[fastPathOffset] = 0x90;
        data[fastPathOffset + 1] = 0x90;

        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var temporary = destination + ".tmp";
        File.WriteAllBytes(temporary, data);
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.Move(temporary, destination, overwrite: true);

        var description =
            $"patched {source} -> {destination}: tcg_log_global_after_sync at 0x{functionAddress:x} (file 0x{functionOffset:x}), " +
            $"old {oldBody}, new {Convert.ToHexString(newBody)}; sync_dirty_bitmap fast-path je at file 0x{fastPathOffset:x} -> 9090; " +
            $"sha256 {Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant()}";
        return new PatchedQemu(destination, description);
    }

    private static ulong RequireSymbol(ElfImage elf, string source, string name) =>
        elf.FindDynamicSymbol(name)
        ?? throw new QemuPatchException($"{source} does not export '{name}' ({elf.DynamicSymbolCount} dynamic symbols); expected Debian 12's QEMU 7.2");

    private static (int Offset, ulong Address, ulong DoNothing) FindAfterSyncFunction(
        byte[] data, ElfImage elf, string source, ulong replayMode, ulong runOnCpu)
    {
        var hits = new List<(int, ulong, ulong)>();
        foreach (var segment in elf.Segments)
        {
            if (!segment.Executable)
                continue;
            var end = (int)Math.Min(data.Length, segment.FileOffset + segment.FileSize) - ReplacedLength;
            for (var at = (int)segment.FileOffset; at < end; at++)
            {
                if (!MatchesAfterSyncShape(data.AsSpan(at, FunctionLength)))
                    continue;
                var address = elf.ToVirtualAddress(at)!.Value;
                if (RelativeTarget(data, at, address, ReplayModeRelOffset) != replayMode
                    || RelativeTarget(data, at, address, RunOnCpuRelOffset) != runOnCpu)
                    continue;
                var doNothing = RelativeTarget(data, at, address, DoNothingRelOffset);
                if (elf.ToFileOffset(doNothing) is not { } doNothingOffset || data[doNothingOffset] != 0xC3)
                    continue; // do_nothing is a bare ret
                hits.Add((at, address, doNothing));
            }
        }
        if (hits.Count != 1)
            throw new QemuPatchException(
                $"{source}: expected exactly one tcg_log_global_after_sync() with the known bytes, found {hits.Count} " +
                "(already patched, or not Debian 12's QEMU 7.2); nothing written");
        var (offset, functionAddress, doNothingAddress) = hits[0];
        foreach (var b in data.AsSpan(offset + FunctionLength, ReplacedLength - FunctionLength))
        {
            if (b is not (0x66 or 0x2E or 0x0F or 0x1F or 0x84 or 0x00 or 0x44 or 0x40 or 0x90))
                throw new QemuPatchException($"{source}: no {ReplacedLength - FunctionLength} bytes of padding after tcg_log_global_after_sync(); nothing written");
        }
        return (offset, functionAddress, doNothingAddress);
    }

    private static bool MatchesAfterSyncShape(ReadOnlySpan<byte> b) =>
        b[0] == 0x8B && b[1] == 0x05
        && b[6] == 0x85 && b[7] == 0xC0 && b[8] == 0x74 && b[9] == 0x06 && b[10] == 0xC3
        && b[11] == 0x0F && b[12] == 0x1F && b[13] == 0x44 && b[14] == 0x00 && b[15] == 0x00
        && b[16] == 0x48 && b[17] == 0x8B && b[18] == 0x7F
        && b[20] == 0x31 && b[21] == 0xD2
        && b[22] == 0x48 && b[23] == 0x8D && b[24] == 0x35
        && b[29] == 0xE9;

    // A rel32 operand at relOffset is relative to the end of its instruction, which here is always relOffset + 4.
    private static ulong RelativeTarget(byte[] data, int functionOffset, ulong functionAddress, int relOffset) =>
        functionAddress + (ulong)(relOffset + 4) + (ulong)(long)BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(functionOffset + relOffset));

    /// <summary>
    /// <c>if (replay_mode) return; if (!qemu_mutex_iothread_locked()) return; run_on_cpu(cpuas->cpu, do_nothing, NULL);</c>
    /// in 40 bytes, padded with NOPs to the 48 the old function and its alignment occupied.
    /// </summary>
    private static byte[] AssembleAfterSync(ulong at, ulong replayMode, ulong iothreadLocked, ulong doNothing, ulong runOnCpu, byte disp8)
    {
        var code = new List<byte>(ReplacedLength);
        void Rel32(ulong target) // relative to the end of the 4 bytes about to be written
        {
            var next = at + (ulong)code.Count + 4;
            var rel = checked((int)unchecked((long)(target - next)));
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, rel);
            code.AddRange(bytes.ToArray());
        }
        code.AddRange([0x8B, 0x05]); Rel32(replayMode);      //  0: mov eax,[rip+replay_mode]
        code.AddRange([0x85, 0xC0]);                         //  6: test eax,eax
        code.AddRange([0x75, 0x1D]);                         //  8: jne ret (39)
        code.Add(0x57);                                      // 10: push rdi (also aligns the stack for the call)
        code.Add(0xE8); Rel32(iothreadLocked);               // 11: call qemu_mutex_iothread_locked
        code.Add(0x5F);                                      // 16: pop rdi
        code.AddRange([0x84, 0xC0]);                         // 17: test al,al
        code.AddRange([0x74, 0x12]);                         // 19: je ret (39)
        code.AddRange([0x48, 0x8B, 0x7F, disp8]);            // 21: mov rdi,[rdi+disp8]
        code.AddRange([0x31, 0xD2]);                         // 25: xor edx,edx
        code.AddRange([0x48, 0x8D, 0x35]); Rel32(doNothing); // 27: lea rsi,[rip+do_nothing]
        code.Add(0xE9); Rel32(runOnCpu);                     // 34: jmp run_on_cpu
        code.Add(0xC3);                                      // 39: ret
        if (code.Count != 40)
            throw new InvalidOperationException($"assembled {code.Count} bytes, expected 40");
        while (code.Count < ReplacedLength)
            code.Add(0x90);
        return [.. code];
    }

    private static int FindFastPathBranch(byte[] data, string source)
    {
        var hits = new List<int>();
        var span = data.AsSpan();
        for (var from = 0; ;)
        {
            var at = span[from..].IndexOf(FastPathBranchRun);
            if (at < 0)
                break;
            hits.Add(from + at);
            from += at + 1;
        }
        if (hits.Count != 1)
            throw new QemuPatchException(
                $"{source}: expected exactly one cpu_physical_memory_sync_dirty_bitmap() fast-path branch " +
                $"({Convert.ToHexString(FastPathBranchRun).ToLowerInvariant()}), found {hits.Count}; nothing written");
        return hits[0] + FastPathBranchOffset;
    }
}
