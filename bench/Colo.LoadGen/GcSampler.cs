using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Colo.LoadGen;

/// <summary>What ColoProxy's <c>query-stats</c> says about its process and its memory cap at one moment.</summary>
internal readonly record struct ComparatorStats(long Gen0, long Gen1, long Gen2, long AllocatedBytes, long MemoryCapTriggers,
    long BufferedBytes, long StorageAllocations);

/// <summary>
/// Garbage collections, allocated bytes and memory-cap checkpoints of a ColoProxy comparator, read from its control
/// socket (<c>query-stats</c>: the <c>process</c> object and <c>triggers.memory_cap</c>). Other comparators have no
/// such socket; then nothing is sampled.
/// </summary>
internal static class GcSampler
{
    /// <summary>The comparator's counters so far, or null when the control socket cannot tell.</summary>
    public static ComparatorStats? Sample(Endpoint? control)
    {
        if (control is null)
            return null;
        try
        {
            using Socket socket = control.Connect(TimeSpan.FromSeconds(2), 0);
            socket.ReceiveTimeout = 5000;
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            _ = NextReply(reader); // greeting
            writer.WriteLine("{\"execute\":\"qmp_capabilities\"}");
            _ = NextReply(reader);
            writer.WriteLine("{\"execute\":\"query-stats\"}");
            using JsonDocument? reply = NextReply(reader);
            if (reply is null || !reply.RootElement.TryGetProperty("return", out JsonElement stats)
                || !stats.TryGetProperty("process", out JsonElement process))
                return null;
            long memoryCap = stats.TryGetProperty("triggers", out JsonElement triggers)
                && triggers.TryGetProperty("memory_cap", out JsonElement cap) ? cap.GetInt64() : 0;
            long buffered = stats.TryGetProperty("buffered-bytes", out JsonElement b) ? b.GetInt64() : 0;
            long storage = stats.TryGetProperty("storage-allocations", out JsonElement sa) ? sa.GetInt64() : 0;
            return new ComparatorStats(
                process.GetProperty("gc-gen0").GetInt64(),
                process.GetProperty("gc-gen1").GetInt64(),
                process.GetProperty("gc-gen2").GetInt64(),
                process.GetProperty("allocated-bytes").GetInt64(),
                memoryCap,
                buffered,
                storage);
        }
        catch (Exception ex) when (ex is IOException or SocketException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    private static JsonDocument? NextReply(StreamReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
                continue;
            JsonDocument message = JsonDocument.Parse(line);
            if (message.RootElement.TryGetProperty("event", out _))
            {
                message.Dispose();
                continue;
            }
            return message;
        }
        return null;
    }
}
