using System.Text.Json;
using Striate.Cli;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

public class WorkersOptionTests
{
    [Fact]
    public void TrainingWithStrongAugmentationIsTheSameWithAnyNumberOfWorkers()
    {
        string dir = Repo.TempDir();
        string Train(int workers)
        {
            var o = new StringWriter();
            var e = new StringWriter();
            int code = StriateCli.Run(["train", "--data", Repo.FashionMnist, "--limit", "600", "--test-limit", "200", "--batch-size", "32", "--epochs", "1",
                "--augment", "strong", "--seed", "7", "--workers", workers.ToString(), "--json", "--out", Path.Combine(dir, $"w{workers}.safetensors")], o, e);
            Assert.True(code == 0, e.ToString());
            return o.ToString();
        }
        var a = JsonDocument.Parse(Train(0)).RootElement;
        var b = JsonDocument.Parse(Train(3)).RootElement;
        foreach (var key in new[] { "train_loss", "train_accuracy", "test_accuracy", "test_loss" })
            Assert.Equal(a.GetProperty(key).GetDouble(), b.GetProperty(key).GetDouble());
        Assert.True(a.GetProperty("train_loss").GetDouble() > 0);
    }
}
