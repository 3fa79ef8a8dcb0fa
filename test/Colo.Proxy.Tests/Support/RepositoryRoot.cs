namespace Colo.Proxy.Tests;

/// <summary>The checkout the tests run from, for tests that hold docs to the code.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory, "ColoProxy.slnx")))
            directory = System.IO.Path.GetDirectoryName(directory);
        return directory ?? throw new InvalidOperationException("ColoProxy.slnx not found above " + AppContext.BaseDirectory);
    }
}
