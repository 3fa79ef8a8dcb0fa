using System.Diagnostics.CodeAnalysis;

namespace Colo.Packets.Capture;

/// <summary>Throw helpers for capture readers, kept out of the parsing loops.</summary>
internal static class CaptureThrow
{
    [DoesNotReturn]
    public static void Truncated(string fileName, long offset, string what, long needed, long endOffset) =>
        throw new CaptureFormatException(
            fileName, offset, $"truncated {what}", $"need {needed} bytes, file ends at {endOffset}");

    [DoesNotReturn]
    public static void Invalid(string fileName, long offset, string problem) =>
        throw new CaptureFormatException(fileName, offset, problem);
}
