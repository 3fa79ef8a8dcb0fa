namespace Colo.RealColo.Tests.Guest;

/// <summary>apt could not provide the guest's packages (no mirror reachable, no such package): the test cannot run here.</summary>
internal sealed class AptUnavailableException(string message) : Exception(message);
