namespace Colo.TestSupport.Frames;

/// <summary>Payload bytes for built frames, chosen so that a failing test shows where in the payload it went wrong.</summary>
public static class Payloads
{
    /// <summary>The ASCII bytes of <paramref name="text"/>: readable in a failure message and in a capture.</summary>
    public static byte[] Ascii(string text) => System.Text.Encoding.ASCII.GetBytes(text);

    /// <summary>Bytes 0xA0, 0xA1, 0xA2, ... (mod 256), so payload offsets are visible in failures.</summary>
    public static byte[] Counting(int length)
    {
        var payload = new byte[length];
        for (int i = 0; i < length; i++)
            payload[i] = (byte)(0xA0 + i);
        return payload;
    }

    /// <summary><paramref name="length"/> copies of <paramref name="value"/>.</summary>
    public static byte[] Filled(int length, byte value)
    {
        var payload = new byte[length];
        payload.AsSpan().Fill(value);
        return payload;
    }
}
