using System.Buffers;
using System.Text.Json;

namespace Colo.Proxy.Qemu;

/// <summary>
/// Splits a QMP byte stream into top-level JSON objects. QEMU ends each object with <c>\r\n</c>, but a read may hold
/// several objects or part of one, and a monitor with <c>pretty=on</c> spreads one object over many lines, so the
/// boundary is found by the JSON structure (<see cref="Utf8JsonReader.TrySkip"/>), not by the newline.
/// </summary>
internal static class QmpMessageReader
{
    /// <summary>The largest QMP message accepted (<c>query-qmp-schema</c>, the largest reply, is about 200 KiB).</summary>
    public const int MaxMessageLength = 16 * 1024 * 1024;

    /// <summary>
    /// Reads one complete object from the start of <paramref name="buffer"/>, skipping whitespace before it. Returns
    /// false when no complete object is buffered yet; <paramref name="buffer"/> is then only advanced past whitespace.
    /// Throws <see cref="QmpProtocolException"/> when the stream is not a sequence of JSON objects or one exceeds
    /// <see cref="MaxMessageLength"/>: the stream cannot be resynchronised.
    /// </summary>
    public static bool TryReadMessage(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> message)
    {
        var whitespace = new SequenceReader<byte>(buffer);
        whitespace.AdvancePastAny((byte)' ', (byte)'\t', (byte)'\r', (byte)'\n');
        buffer = buffer.Slice(whitespace.Position);
        message = default;
        if (buffer.IsEmpty)
            return false;

        byte first = buffer.FirstSpan[0];
        if (first != (byte)'{')
            throw new QmpProtocolException($"QMP stream does not start an object: byte 0x{first:X2}; dropping the connection.");

        var reader = new Utf8JsonReader(buffer, isFinalBlock: false, state: default);
        bool complete;
        try
        {
            complete = reader.Read() && reader.TrySkip();
        }
        catch (JsonException ex)
        {
            throw new QmpProtocolException($"QMP stream is not valid JSON ({ex.Message}); dropping the connection.", ex);
        }

        if (!complete)
        {
            if (buffer.Length > MaxMessageLength)
                throw new QmpProtocolException(
                    $"QMP message exceeds {MaxMessageLength} bytes ({buffer.Length} buffered, still incomplete); dropping the connection.");
            return false;
        }

        message = buffer.Slice(0, reader.BytesConsumed);
        buffer = buffer.Slice(reader.BytesConsumed);
        return true;
    }
}
