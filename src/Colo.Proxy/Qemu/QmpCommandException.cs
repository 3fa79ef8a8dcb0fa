namespace Colo.Proxy.Qemu;

/// <summary>QEMU answered a command with <c>{"error": {"class": ..., "desc": ...}}</c>.</summary>
public sealed class QmpCommandException : Exception
{
    public QmpCommandException()
        : this("", "", "")
    {
    }

    public QmpCommandException(string message)
        : this("", "GenericError", message)
    {
    }

    public QmpCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
        Command = "";
        ErrorClass = "GenericError";
        Description = message;
    }

    public QmpCommandException(string command, string errorClass, string description)
        : base($"QMP command '{command}' failed: {errorClass}: {description}")
    {
        Command = command;
        ErrorClass = errorClass;
        Description = description;
    }

    /// <summary>The command that failed.</summary>
    public string Command { get; }

    /// <summary>QEMU's error class (<c>GenericError</c>, <c>CommandNotFound</c>, ...).</summary>
    public string ErrorClass { get; }

    /// <summary>QEMU's human-readable description.</summary>
    public string Description { get; }
}
