using Colo.Proxy.Control;

namespace Colo.Proxy.Tests.Control;

public class ControlCommandTableTests
{
    [Fact]
    public void Table_NamesAreUnique()
    {
        Assert.Equal(ControlCommands.Table.Count, ControlCommands.Table.Select(c => c.Name).Distinct().Count());
    }

    [Fact]
    public void Docs_ControlProtocol_DescribesEveryCommand()
    {
        string docs = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "control-protocol.md"));

        foreach (ControlCommand command in ControlCommands.Table)
            Assert.Contains("\"execute\":\"" + command.Name + "\"", docs, StringComparison.Ordinal);
    }
}
