namespace Colo.Proxy.Control;

/// <summary>A command failed; becomes <c>{"error":{"class":..., "desc":...}}</c>.</summary>
public sealed class ControlException : Exception
{
    public const string GenericError = "GenericError";
    public const string CommandNotFound = "CommandNotFound";

    public ControlException(string errorClass, string message) : base(message) => ErrorClass = errorClass;

    public ControlException() : this(GenericError, "Command failed.") { }

    public ControlException(string message) : this(GenericError, message) { }

    public ControlException(string message, Exception innerException) : base(message, innerException) => ErrorClass = GenericError;

    public string ErrorClass { get; } = GenericError;
}
