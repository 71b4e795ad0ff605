using Striate.Data;
using Striate.IO;
using Striate.Nn;
using Striate.Optim;

namespace Striate.Tests.IO;

/// <summary>The text of settings' enum values: lower-case names in checkpoints and on the command line, names only.</summary>
public class EnumTextTests
{
    [Fact]
    public void NamesAreLowerCaseAndParseInAnyCase()
    {
        Assert.Equal(["adam", "adamw", "sgd"], OptimizerConfig.Names);
        Assert.Equal(["default", "zeros", "small", "xavier", "he"], Init.Schemes);
        Assert.Equal(["none", "weight", "sample"], EnumText.Names<ClassBalancing>());
        Assert.Equal(OptimizerKind.AdamW, OptimizerConfig.ParseKind("AdamW"));
        Assert.Equal(InitScheme.He, Init.ParseScheme("HE"));
        Assert.Equal(EarlyStoppingMonitor.Accuracy, EarlyStopping.ParseMonitor("accuracy"));
        Assert.Equal("adamw", EnumText.Name(OptimizerKind.AdamW));
    }

    [Theory]
    [InlineData("rmsprop")]
    [InlineData("1")]
    [InlineData("")]
    [InlineData(" adam")]
    public void AnythingButANameIsRefusedWithTheValidOnes(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => OptimizerConfig.ParseKind(text));
        Assert.Contains($"unknown optimizer '{text}'. Valid optimizers: adam, adamw, sgd.", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => EnumText.Name((OptimizerKind)9));
    }

    [Fact]
    public void TheOptimizerSettingsKeepTheirJsonForm()
    {
        var config = new OptimizerConfig(OptimizerKind.AdamW, 0.5f, WeightDecay: 0.25f);
        string json = config.ToJson();
        Assert.Contains("\"name\":\"adamw\"", json);
        Assert.Equal(config, OptimizerConfig.FromJson(json, "x"));
        // Files written before the enum hold the same text, in lower case.
        Assert.Equal(OptimizerKind.Sgd, OptimizerConfig.FromJson("{\"name\":\"sgd\",\"lr\":0.05,\"momentum\":0.9,\"weight_decay\":0,\"nesterov\":false}", "x").Name);
        var number = Assert.Throws<InvalidDataException>(() => OptimizerConfig.FromJson("{\"name\":1,\"lr\":0.05}", "f.safetensors"));
        Assert.Contains("f.safetensors", number.Message);
        var unknown = Assert.Throws<InvalidDataException>(() => OptimizerConfig.FromJson("{\"name\":\"lion\",\"lr\":0.05}", "f.safetensors"));
        Assert.Contains("lion", unknown.Message);
    }
}
