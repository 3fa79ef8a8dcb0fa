namespace Colo.Proxy.Endpoints;

/// <summary>The socket family of an endpoint.</summary>
public enum EndpointKind
{
    Unix = 0,
    Tcp,
}
