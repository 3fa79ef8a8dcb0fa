namespace Colo.LoadGen;

/// <summary>Bad command line: print the message and usage, exit 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
