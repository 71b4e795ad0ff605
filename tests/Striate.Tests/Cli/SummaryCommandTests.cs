using Striate.Models;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

/// <summary>summary builds the networks torchvision defines with its 1,000 classes unless --classes says otherwise.</summary>
public class SummaryCommandTests
{
    [Theory]
    [InlineData("vgg16", "138,357,544")]       // the lecture notes' and torchvision's count
    [InlineData("vgg19-bn", "143,678,248")]
    [InlineData("resnet50", "25,557,032")]
    [InlineData("alexnet", "61,100,840")]
    [InlineData("densenet121", "7,978,856")]
    [InlineData("densenet161", "28,681,000")]
    [InlineData("densenet169", "14,149,480")]
    [InlineData("densenet201", "20,013,928")]
    public void TorchvisionsNetworksHaveItsThousandClasses(string model, string parameters)
    {
        var (code, stdout, err) = CliRun.Run(["summary", model, "--input", "3x224x224"]);
        Assert.True(code == 0, err);
        Assert.Contains($"parameters: {parameters} ", stdout);
    }

    [Fact]
    public void ClassesGivenReplaceTheHead()
    {
        var (code, stdout, err) = CliRun.Run(["summary", "vgg16", "--input", "3x224x224", "--classes", "10"]);
        Assert.True(code == 0, err);
        Assert.Contains("parameters: 134,301,514 ", stdout);
    }

    [Fact]
    public void OtherZooNetworksKeepTenClasses()
    {
        var (code, stdout, err) = CliRun.Run(["summary", "lenet5"]);
        Assert.True(code == 0, err);
        Assert.Contains("parameters: 61,706 ", stdout);
        Assert.Equal(10, ModelZoo.DefaultClasses("vgg16-c"));
        Assert.Equal(10, ModelZoo.DefaultClasses("googlenet"));
        Assert.Equal(1000, ModelZoo.DefaultClasses("googlenet-torchvision"));
        Assert.Equal("vgg16_bn", ModelZoo.TorchvisionName("vgg16-bn"));
        Assert.Null(ModelZoo.TorchvisionName("mobilenet-v1"));
    }

    [Fact]
    public void ZeroClassesAreAUsageError()
    {
        var (code, _, err) = CliRun.Run(["summary", "vgg16", "--classes", "0"]);
        Assert.Equal(Striate.Cli.StriateCli.UsageError, code);
        Assert.Contains("--classes must be from 1 to 100000, got 0", err);
    }
}
