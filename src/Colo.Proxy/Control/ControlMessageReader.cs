using System.Buffers;
using System.Text.Json;

namespace Colo.Proxy.Control;

/// <summary>
/// Splits a client's input into top-level JSON objects. The tokenizer runs over what has arrived so far, so malformed
/// input is reported as soon as its first wrong byte arrives, not when a closing brace happens to follow. After an
/// error the rest of that line is skipped (<c>skippingLine</c> carries that across reads), so one bad line is one error.
/// </summary>
internal static class ControlMessageReader
{
    public static ControlMessageStatus TryRead(ref ReadOnlySequence<byte> buffer, ref bool skippingLine, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (skippingLine && !SkipLine(ref buffer, ref skippingLine))
            return ControlMessageStatus.Incomplete;

        var whitespace = new SequenceReader<byte>(buffer);
        whitespace.AdvancePastAny((byte)' ', (byte)'\t', (byte)'\r', (byte)'\n');
        buffer = buffer.Slice(whitespace.Position);
        if (buffer.IsEmpty)
            return ControlMessageStatus.Incomplete;
        if (buffer.FirstSpan[0] != (byte)'{')
            return Malformed(ref buffer, ref skippingLine);

        if (TryFindEnd(buffer, out SequencePosition end, out bool malformed))
        {
            message = buffer.Slice(0, end);
            buffer = buffer.Slice(end);
            return ControlMessageStatus.Message;
        }
        return malformed ? Malformed(ref buffer, ref skippingLine) : ControlMessageStatus.Incomplete;
    }

    // A separate method: Utf8JsonReader is a ref struct and TryRead's buffer is passed by reference.
    private static bool TryFindEnd(ReadOnlySequence<byte> buffer, out SequencePosition end, out bool malformed)
    {
        end = default;
        malformed = false;
        var reader = new Utf8JsonReader(buffer, isFinalBlock: false, state: default);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
                {
                    end = reader.Position;
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            malformed = true;
        }
        return false;
    }

    private static ControlMessageStatus Malformed(ref ReadOnlySequence<byte> buffer, ref bool skippingLine)
    {
        skippingLine = true;
        SkipLine(ref buffer, ref skippingLine);
        return ControlMessageStatus.Malformed;
    }

    /// <summary>Drops input up to and including the next newline; false (all dropped) when none has arrived.</summary>
    private static bool SkipLine(ref ReadOnlySequence<byte> buffer, ref bool skippingLine)
    {
        SequencePosition? newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            buffer = buffer.Slice(buffer.End);
            return false;
        }
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        skippingLine = false;
        return true;
    }
}
