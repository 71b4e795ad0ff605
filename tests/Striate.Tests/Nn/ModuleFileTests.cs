using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Serialization;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Nn;

/// <summary>Any module's weights save and load in one call each, and a checkpoint of a module of one's own loads through a factory.</summary>
public class ModuleFileTests
{
    // A module written as a user would: children registered, a batch norm (with its int64 counter) inside.
    private sealed class TinyNet : Module
    {
        private readonly Conv2d _conv;
        private readonly BatchNorm2d _bn;
        private readonly Linear _head;

        public TinyNet(int classes, Generator gen)
        {
            _conv = RegisterModule("conv", new Conv2d(1, 4, 3, padding: 1, generator: gen));
            _bn = RegisterModule("bn", new BatchNorm2d(4));
            _head = RegisterModule("head", new Linear(4 * 8 * 8, classes, generator: gen));
        }

        protected override Tensor OnForward(Tensor x) =>
            _head.Call(F.Flatten(F.Relu(_bn.Call(_conv.Call(x))), 1));
    }

    private static TinyNet Trained(ulong seed)
    {
        var net = new TinyNet(3, new Generator(seed));
        // One training-mode pass moves the running statistics and the counter off their initial values.
        net.Call(Tensor.Rand(new Generator(seed + 1), 2, 1, 8, 8));
        return net;
    }

    [Fact]
    public void WeightsRoundTripBitForBitUnderPyTorchKeys()
    {
        var path = Path.Combine(Repo.TempDir(), "tiny.safetensors");
        var a = Trained(1);
        a.Save(path);
        var b = new TinyNet(3, new Generator(99));
        var result = b.Load(path);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        foreach (var ((ka, ta), (kb, tb)) in a.StateDict().Zip(b.StateDict()))
        {
            Assert.Equal(ka, kb);
            Assert.Equal(ta.ToArray(), tb.ToArray());
        }
        var file = SafeTensors.Read(path);
        Assert.Equal(a.StateDict().Select(kv => kv.Key).Order(StringComparer.Ordinal), file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(SafeTensorDType.Int64, file.Tensors.Single(t => t.Name == "bn.num_batches_tracked").DType);
        Assert.Equal(1L, file.Tensors.Single(t => t.Name == "bn.num_batches_tracked").ToInt64Array()[0]);
        Assert.Equal(SafeTensorDType.Float32, file.Tensors.Single(t => t.Name == "conv.weight").DType);
    }

    [Fact]
    public void AnotherShapeOrANonSafetensorsFileIsRefusedWithNothingCopied()
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "tiny.safetensors");
        Trained(1).Save(path);
        var wider = new TinyNet(5, new Generator(2));
        var before = wider.StateDict().Select(kv => kv.Value.ToArray()).ToList();
        var e = Assert.Throws<ArgumentException>(() => wider.Load(path));
        Assert.Contains("head.weight: expected [5, 256], got [3, 256]", e.Message);
        Assert.Equal(before, wider.StateDict().Select(kv => kv.Value.ToArray()).ToList());
        var text = Path.Combine(dir, "log.csv");
        File.WriteAllText(text, "epoch,loss\n1,0.5\n");
        Assert.Throws<InvalidDataException>(() => wider.Load(text));
    }

    [Fact]
    public void ACheckpointOfAModuleOfOnesOwnLoadsThroughAFactory()
    {
        var path = Path.Combine(Repo.TempDir(), "own.safetensors");
        var net = Trained(3);
        new Checkpoint { Spec = new ModelSpec("tinynet", 3, 1, 8, 8), Model = net, Epoch = 2, ClassNames = ["a", "b", "c"] }.Save(path);

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains("its model 'tinynet' is not in the zoo", e.Message);
        Assert.Contains("Checkpoint.Load(path, spec => new YourModule(...))", e.Message);

        var back = Checkpoint.Load(path, spec => new TinyNet(spec.NumClasses, new Generator(7)));
        Assert.IsType<TinyNet>(back.Model);
        Assert.Equal(2, back.Epoch);
        Assert.Equal(net.StateDict().Select(kv => kv.Value.ToArray()), back.Model.StateDict().Select(kv => kv.Value.ToArray()));
        // A factory that builds another module is refused with the keys that differ.
        var wrong = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, spec => new TinyNet(4, new Generator(7))));
        Assert.Contains("head.weight: expected [4, 256], got [3, 256]", wrong.Message);
    }
}
