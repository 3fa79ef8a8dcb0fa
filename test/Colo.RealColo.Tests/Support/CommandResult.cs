namespace Colo.RealColo.Tests.Support;

/// <summary>What a finished external command printed and returned.</summary>
internal sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError);
