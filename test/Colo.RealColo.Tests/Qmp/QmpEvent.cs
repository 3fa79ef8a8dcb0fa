using System.Text.Json;

namespace Colo.RealColo.Tests.Qmp;

/// <summary>One QMP event as received, with the test's own clock (seconds since the client started) for windows.</summary>
internal sealed record QmpEvent(string Name, JsonElement Data, double ReceivedAt)
{
    public string? DataString(string property) =>
        Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
