using System.CommandLine;
using Colo.Cli.Serve;

namespace Colo.Cli.Tests.Serve;

/// <summary>The one table of serve options drives the command line, --config and the help text.</summary>
public class ServeOptionTableTests
{
    [Fact]
    public void Defaults_ComeFromTheOptionsTypes()
    {
        var proxy = new Colo.Proxy.Hosting.ProxyOptions();

        Assert.Equal(((long)proxy.Compare.CompareTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture), Find("compare-timeout").Default);
        Assert.Equal(proxy.MaxFrameLength.ToString(System.Globalization.CultureInfo.InvariantCulture), Find("max-frame-size").Default);
        Assert.Equal("0600", Find("socket-mode").Default);
        Assert.Null(Find("primary-in").Default);
    }

    [Fact]
    public void ServeCommand_HasEveryTableOptionInBothSpellings()
    {
        Command serve = ServeCommand.Create();

        foreach (ServeOption entry in ServeOptionTable.Options)
        {
            Option option = Assert.Single(serve.Options, o => o.Name == "--" + entry.Key);
            if (entry.UnderscoreName != entry.Key)
                Assert.Contains("--" + entry.UnderscoreName, option.Aliases);
            Assert.Equal(entry.Description, option.Description);
        }
    }

    [Fact]
    public void Description_NamesQemuPropertyAndDefault()
    {
        Assert.Equal(
            "Milliseconds a queued frame may wait before a checkpoint is requested. (QEMU compare_timeout) [default: 3000]",
            Find("compare-timeout").Description);
    }

    [Fact]
    public void CommandLine_QemuSpellingAndServerOnWaitOff_Parse()
    {
        var root = new RootCommand();
        root.Subcommands.Add(ServeCommand.Create());

        ParseResult parse = root.Parse(["serve", "--primary_in", "unix:/tmp/p.sock,server=on,wait=off", "--max_queue_size", "8"]);

        Assert.Empty(parse.Errors);
    }

    [Fact]
    public void Docs_MentionEveryOption()
    {
        string docs = string.Concat(Directory.GetFiles(Path.Combine(RepositoryRoot(), "docs"), "*.md").Select(File.ReadAllText));

        foreach (ServeOption entry in ServeOptionTable.Options)
            Assert.Contains("--" + entry.Key, docs, StringComparison.Ordinal);
    }

    private static ServeOption Find(string key)
    {
        Assert.True(ServeOptionTable.TryFind(key, out ServeOption option));
        return option;
    }

    internal static string RepositoryRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "ColoProxy.slnx")))
            directory = Path.GetDirectoryName(directory);
        return directory ?? throw new InvalidOperationException("ColoProxy.slnx not found above " + AppContext.BaseDirectory);
    }
}
