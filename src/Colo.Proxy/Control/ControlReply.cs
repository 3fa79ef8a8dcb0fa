using System.Buffers;
using System.Text.Json;

namespace Colo.Proxy.Control;

/// <summary>The reply lines: <c>{"return": ...}</c> and <c>{"error": {"class": ..., "desc": ...}}</c>, echoing <c>id</c>.</summary>
internal static class ControlReply
{
    public static byte[] Success(JsonElement? id, Action<Utf8JsonWriter> writeReturn, bool wrapObject = true)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, ControlJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("return");
            if (wrapObject)
                writer.WriteStartObject();
            writeReturn(writer);
            if (wrapObject)
                writer.WriteEndObject();
            WriteId(writer, id);
            writer.WriteEndObject();
        }
        buffer.Write("\r\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Empty(JsonElement? id) => Success(id, static _ => { });

    public static byte[] Error(JsonElement? id, string errorClass, string description)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, ControlJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("class", errorClass);
            writer.WriteString("desc", description);
            writer.WriteEndObject();
            WriteId(writer, id);
            writer.WriteEndObject();
        }
        buffer.Write("\r\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteId(Utf8JsonWriter writer, JsonElement? id)
    {
        if (id is { } value)
        {
            writer.WritePropertyName("id");
            value.WriteTo(writer);
        }
    }
}
