namespace Colo.RealColo.Tests.Qmp;

/// <summary>A QMP peer answered with an error, closed the connection, or did not answer in time.</summary>
internal sealed class QmpException(string message) : Exception(message);
