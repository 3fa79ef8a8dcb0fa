namespace Colo.RealColo.Tests.Workload;

/// <summary>One HTTP/1.0 exchange as the client saw it.</summary>
internal sealed record HttpResponse(string StatusLine, byte[] Body, double Seconds);
