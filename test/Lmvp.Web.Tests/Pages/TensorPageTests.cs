using Lmvp.Web.Tests.Support;
using OpenQA.Selenium;

namespace Lmvp.Web.Tests.Pages;

/// <summary>The tensor table of a model file's page, and the tensor changes on the compare page, in a real browser.</summary>
[TestFixture]
internal sealed class TensorPageTests
{
    private static WebWorld World => WebSetUp.World;

    private static Support.Browser Browser => WebSetUp.Browser;

    [OneTimeSetUp]
    public void SignIn() => Browser.SignIn("alice", World.Alice.Password);

    [TestCase("model.pt", "pytorch", "embed.weight", "float32", "[128, 64]", "8,192")]
    [TestCase("model.safetensors", "safetensors", "encoder.weight", "float32", "[64, 64]", "4,096")]
    [TestCase("model.onnx", "onnx", "fc.weight", "float32", "[16, 8]", "128")]
    [TestCase("model.gguf", "gguf", "blk.0.attn_q.weight", "q8_0", "[2, 64]", "128")]
    public void FilePage_OfAModelFile_ShowsItsTensorTable(string file, string format, string tensor, string dtype, string shape, string parameters)
    {
        Browser.Open($"/repos/alice/llm/tree/{World.ModelCommits.Second}/{file}");

        Browser.Find("#tensors .cardhead").Text.Should().Contain(format).And.Contain("tensors").And.Contain("parameters");
        var cells = Browser.Find($"#tensor-table tr[data-tensor='{tensor}']").FindElements(By.TagName("td")).Select(c => c.Text).ToList();
        cells.Should().Equal(tensor, dtype, shape, parameters, cells[4]);
    }

    [Test]
    public void FilePage_OfAPlainFile_HasNoTensorTable()
    {
        Browser.Open($"/repos/alice/resnet/tree/{World.EpochAt(1).Commit}/ckpt/state.txt");
        Browser.Find("section.card h2").Text.Should().Be("state.txt");
        Browser.FindAll("#tensors").Should().BeEmpty();
    }

    [Test]
    public void ComparePage_ListsTheTensorsThatChanged_FileByFile()
    {
        var (first, second) = World.ModelCommits;
        Browser.Open($"/repos/alice/llm/compare?from={first}&to={second}");

        var files = Browser.FindAll("#tensor-changes div[data-path]").ToDictionary(d => d.GetAttribute("data-path") ?? "", d => d.Text);
        files.Keys.Should().BeEquivalentTo(["model.pt", "model.safetensors", "model.onnx"], "the GGUF file did not change");
        files["model.pt"].Should().Contain("1 changed").And.Contain("2 unchanged");
        var changed = Browser.FindAll("#tensor-changes tr[data-tensor]").Select(r => r.GetAttribute("data-tensor")).ToList();
        changed.Should().BeEquivalentTo(["head.bias", WebWorld.HostileTensor, "fc.weight"]);
        Browser.Find("#tensor-changes tr[data-tensor='head.bias'] td.num").Text.Should().Be("128 B");
    }

    [Test]
    public void ATensorNamedLikeMarkup_IsShownAsText()
    {
        Browser.Open($"/repos/alice/llm/tree/{World.ModelCommits.First}/model.safetensors");
        Browser.Find("#tensor-table").Text.Should().Contain(WebWorld.HostileTensor);
        Browser.FindAll("#tensor-table img").Should().BeEmpty("the name is text, not an element");
    }
}
