using System.Text.Json;
using System.Text.Json.Nodes;

namespace Colo.Cli.Ctl;

/// <summary>
/// A command's arguments as typed after it: either one JSON object (<c>'{"limit": 5}'</c>) or <c>key=value</c> pairs
/// as qmp-shell takes them, where a value that reads as JSON (<c>5</c>, <c>true</c>, <c>"x"</c>) is that value and
/// anything else a string (<c>dst=10.0.0.1</c>).
/// </summary>
internal static class CtlArguments
{
    /// <summary>The arguments object, or null when none were given; throws <see cref="FormatException"/> saying why.</summary>
    public static JsonObject? Parse(IReadOnlyList<string> words)
    {
        if (words.Count == 0)
            return null;
        if (words.Count == 1 && words[0].TrimStart().StartsWith('{'))
        {
            try
            {
                return JsonNode.Parse(words[0], documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                    ?? throw new FormatException($"'{words[0]}' is not a JSON object");
            }
            catch (JsonException ex)
            {
                throw new FormatException($"'{words[0]}' is not a JSON object: {ex.Message}", ex);
            }
        }
        var arguments = new JsonObject();
        foreach (string word in words)
        {
            int equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                throw new FormatException($"'{word}' is not key=value (or give one JSON object)");
            string key = word[..equals];
            if (arguments.ContainsKey(key))
                throw new FormatException($"'{key}' is given twice");
            arguments[key] = Value(word[(equals + 1)..]);
        }
        return arguments;
    }

    private static JsonNode? Value(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
