// A module of one's own and a training loop of one's own with another loss: a small residual network trained with
// label-smoothed cross-entropy plus an L2 penalty written as tensor arithmetic, on random data it must memorise.
using Striate.Nn;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;

var gen = new Generator(seed: 7);
var model = new SmallResNet(classes: 4, gen);
var optimizer = new AdamW(model.Parameters(), lr: 3e-3f, weightDecay: 0f);

var images = Tensor.Randn(gen, 32, 3, 16, 16);
int[] labels = Enumerable.Range(0, 32).Select(i => i % 4).ToArray();
double first = 0, last = 0;
for (int step = 0; step < 120; step++)
{
    using var scope = TensorScope.Begin();
    model.Train();
    var logits = model.Forward(images);
    var penalty = model.Parameters().Select(p => F.Sum(p * p)).Aggregate((a, b) => a + b);
    var loss = F.CrossEntropy(logits, labels, labelSmoothing: 0.1f) + 1e-4f * penalty;
    optimizer.ZeroGrad();
    loss.Backward();
    optimizer.Step();
    last = loss.Item();
    if (step == 0) first = last;
    if (step % 40 == 0) Console.WriteLine($"step {step}: loss {last:F4}");
}
Console.WriteLine($"loss {first:F4} -> {last:F4}");
Console.WriteLine(model);
return last < first / 2 ? 0 : 1;

/// <summary>conv-bn-relu, one residual block, global average pooling and a linear head.</summary>
sealed class SmallResNet : Module
{
    private readonly Conv2d _stem;
    private readonly BatchNorm2d _bn;
    private readonly Conv2d _a, _b;
    private readonly Linear _head;

    public SmallResNet(int classes, Generator gen)
    {
        _stem = RegisterModule("stem", new Conv2d(3, 16, 3, padding: 1, generator: gen));
        _bn = RegisterModule("bn", new BatchNorm2d(16));
        _a = RegisterModule("a", new Conv2d(16, 16, 3, padding: 1, generator: gen));
        _b = RegisterModule("b", new Conv2d(16, 16, 3, padding: 1, generator: gen));
        _head = RegisterModule("head", new Linear(16, classes, generator: gen));
    }

    protected override Tensor OnForward(Tensor x)
    {
        var h = F.Relu(_bn.Forward(_stem.Forward(x)));
        h = F.Relu(h + _b.Forward(F.Relu(_a.Forward(h))));
        return _head.Forward(F.Flatten(F.AdaptiveAvgPool2d(h, (1, 1))));
    }
}
