using System.Text;

namespace Colo.Compare;

/// <summary>
/// The lower-case snake_case spelling of the engine's reasons and kinds ("QueueFull" -> "queue_full"), used alike in
/// metric tags, control-socket JSON and replay reports. Derived once from the enum names, so a new value is spelled
/// everywhere without another table to update.
/// </summary>
public static class ReasonNames
{
    private static readonly string[] ReleaseReasons = Spell<ReleaseReason>();
    private static readonly string[] DropReasons = Spell<DropReason>();
    private static readonly string[] CheckpointReasons = Spell<CheckpointReason>();
    private static readonly string[] DivergenceKinds = Spell<DivergenceKind>();

    public static string Of(ReleaseReason value) => ReleaseReasons[(int)value];

    public static string Of(DropReason value) => DropReasons[(int)value];

    public static string Of(CheckpointReason value) => CheckpointReasons[(int)value];

    public static string Of(DivergenceKind value) => DivergenceKinds[(int)value];

    /// <summary>"QueueFull" -> "queue_full".</summary>
    public static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0)
                builder.Append('_');
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }

    // Indexed by the enum's value: the enums are dense from 0.
    private static string[] Spell<T>()
        where T : struct, Enum
    {
        T[] values = Enum.GetValues<T>();
        var names = new string[values.Length];
        foreach (T value in values)
            names[Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)] = ToSnakeCase(value.ToString());
        return names;
    }
}
