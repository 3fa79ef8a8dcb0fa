namespace Colo.Cli.Serve;

/// <summary><c>--log-format</c>: one line of text per entry, or one JSON object per line.</summary>
internal enum ServeLogFormat
{
    Text,
    Json,
}
