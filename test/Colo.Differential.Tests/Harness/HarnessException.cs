namespace Colo.Differential.Tests.Harness;

/// <summary>The comparator stopped answering or broke the framing; the harness restarts it.</summary>
internal sealed class HarnessException(string message, Exception? inner = null) : Exception(message, inner);
