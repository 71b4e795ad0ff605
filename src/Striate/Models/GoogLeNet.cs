using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// GoogLeNet, Inception v1 (Szegedy et al., "Going deeper with convolutions", CVPR 2015), as in the paper's
/// table 1: a 7x7 stride-2 convolution, 3x3 stride-2 max pooling, local response normalisation, a 1x1 then a 3x3
/// convolution, normalisation and pooling; nine <see cref="Inception"/> modules (3a, 3b, pooling, 4a to 4e, pooling,
/// 5a, 5b); global average pooling, dropout 0.4 and a linear layer. Two <see cref="InceptionAux"/> classifiers, on
/// the outputs of 4a and 4d, run only in training mode (<see cref="ForwardWithAux"/>) and their losses are added
/// with weight 0.3 (<see cref="GoogLeNetOutputs.Loss"/>).
/// </summary>
/// <remarks>
/// <para>
/// Module names follow torchvision's (conv1, maxpool1, conv2, conv3, maxpool2, inception3a, ..., aux1, aux2,
/// avgpool, dropout, fc); the paper's form adds lrn1 and lrn2, and its convolutions carry biases and no batch norm.
/// Max pools round up, so a 224x224 input gives the table's 112, 56, 28, 14 and 7.
/// </para>
/// <para>
/// With <c>torchVision</c>, torchvision's <c>googlenet</c>: batch norm (eps 0.001) after every convolution, no
/// response normalisation, a 3x3 kernel in each module's "5x5" branch, dropout 0.2, and weights drawn from
/// N(0, 0.01); same state-dict keys (<c>inception3a.branch1.conv.weight</c>, <c>inception4e.branch3.1.bn.running_var</c>,
/// <c>aux1.fc2.weight</c>, ...) and 6,624,904 parameters with 1000 classes without the auxiliary classifiers
/// (13,004,888 with them). The paper's form has 6,998,552 without them.
/// </para>
/// </remarks>
public sealed class GoogLeNet : Module, IAuxiliaryClassifiers
{
    /// <param name="numClasses">Outputs of the classifiers.</param>
    /// <param name="inChannels">Channels of the input image.</param>
    /// <param name="auxLogits">Build the two auxiliary classifiers.</param>
    /// <param name="torchVision">torchvision's variant (batch norm, 3x3 "5x5" branches) instead of the paper's.</param>
    /// <param name="dropout">Dropout before the classifier; 0.4 (paper) or 0.2 (torchvision) by default.</param>
    /// <param name="dropoutAux">Dropout inside the auxiliary classifiers.</param>
    /// <param name="generator">The stream the initial weights come from.</param>
    public GoogLeNet(int numClasses = 1000, int inChannels = 3, bool auxLogits = true, bool torchVision = false,
        float? dropout = null, float dropoutAux = 0.7f, Generator? generator = null)
    {
        CheckSizes(nameof(GoogLeNet), numClasses, inChannels);
        TorchVision = torchVision;
        bool bn = torchVision;
        int k5 = torchVision ? 3 : 5;
        Inception Block(int inC, int c1, int r3, int c3, int r5, int c5, int pool) => new(inC, c1, r3, c3, r5, c5, pool, bn, k5, generator);

        Conv1 = RegisterModule("conv1", new BasicConv2d(inChannels, 64, 7, stride: 2, padding: 3, batchNorm: bn, generator: generator));
        Maxpool1 = RegisterModule("maxpool1", new MaxPool2d(3, stride: 2, ceilMode: true));
        if (!torchVision) Lrn1 = RegisterModule("lrn1", new LocalResponseNorm(5, alpha: 1e-4f, beta: 0.75f));
        Conv2 = RegisterModule("conv2", new BasicConv2d(64, 64, 1, batchNorm: bn, generator: generator));
        Conv3 = RegisterModule("conv3", new BasicConv2d(64, 192, 3, padding: 1, batchNorm: bn, generator: generator));
        if (!torchVision) Lrn2 = RegisterModule("lrn2", new LocalResponseNorm(5, alpha: 1e-4f, beta: 0.75f));
        Maxpool2 = RegisterModule("maxpool2", new MaxPool2d(3, stride: 2, ceilMode: true));

        Inception3a = RegisterModule("inception3a", Block(192, 64, 96, 128, 16, 32, 32));
        Inception3b = RegisterModule("inception3b", Block(256, 128, 128, 192, 32, 96, 64));
        Maxpool3 = RegisterModule("maxpool3", new MaxPool2d(3, stride: 2, ceilMode: true));

        Inception4a = RegisterModule("inception4a", Block(480, 192, 96, 208, 16, 48, 64));
        Inception4b = RegisterModule("inception4b", Block(512, 160, 112, 224, 24, 64, 64));
        Inception4c = RegisterModule("inception4c", Block(512, 128, 128, 256, 24, 64, 64));
        Inception4d = RegisterModule("inception4d", Block(512, 112, 144, 288, 32, 64, 64));
        Inception4e = RegisterModule("inception4e", Block(528, 256, 160, 320, 32, 128, 128));
        Maxpool4 = RegisterModule("maxpool4", new MaxPool2d(2, stride: 2, ceilMode: true));

        Inception5a = RegisterModule("inception5a", Block(832, 256, 160, 320, 32, 128, 128));
        Inception5b = RegisterModule("inception5b", Block(832, 384, 192, 384, 48, 128, 128));

        if (auxLogits)
        {
            Aux1 = RegisterModule("aux1", new InceptionAux(512, numClasses, dropoutAux, bn, generator));
            Aux2 = RegisterModule("aux2", new InceptionAux(528, numClasses, dropoutAux, bn, generator));
        }

        Avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Dropout = RegisterModule("dropout", NewDropout(dropout ?? (torchVision ? 0.2f : 0.4f), generator));
        Fc = RegisterModule("fc", new Linear(1024, numClasses, generator: generator));

        if (torchVision)
        {
            // torchvision draws from a normal truncated at +-2, which with a standard deviation of 0.01 cuts nothing.
            foreach (var (_, m) in NamedModules())
            {
                if (m is Conv2d c) Init.Normal(c.Weight, 0f, 0.01f, generator);
                else if (m is Linear l) Init.Normal(l.Weight, 0f, 0.01f, generator);
            }
        }
    }

    /// <summary>True for torchvision's variant, false for the paper's.</summary>
    public bool TorchVision { get; }

    public BasicConv2d Conv1 { get; }
    public MaxPool2d Maxpool1 { get; }
    public LocalResponseNorm? Lrn1 { get; }
    public BasicConv2d Conv2 { get; }
    public BasicConv2d Conv3 { get; }
    public LocalResponseNorm? Lrn2 { get; }
    public MaxPool2d Maxpool2 { get; }
    public Inception Inception3a { get; }
    public Inception Inception3b { get; }
    public MaxPool2d Maxpool3 { get; }
    public Inception Inception4a { get; }
    public Inception Inception4b { get; }
    public Inception Inception4c { get; }
    public Inception Inception4d { get; }
    public Inception Inception4e { get; }
    public MaxPool2d Maxpool4 { get; }
    public Inception Inception5a { get; }
    public Inception Inception5b { get; }
    public InceptionAux? Aux1 { get; }
    public InceptionAux? Aux2 { get; }
    public AdaptiveAvgPool2d Avgpool { get; }
    public Dropout Dropout { get; }
    public Linear Fc { get; }

    /// <summary>The main logits; the auxiliary classifiers are not run.</summary>
    protected override Tensor OnForward(Tensor input) => Run(input, withAux: false).Logits;

    /// <summary>
    /// The main logits and, in training mode, the auxiliary classifiers' logits (null in evaluation mode or when
    /// the model was built without them). Train with <see cref="GoogLeNetOutputs.Loss"/>.
    /// </summary>
    public GoogLeNetOutputs ForwardWithAux(Tensor input) => Run(input, withAux: IsTraining);

    /// <summary>Each auxiliary classifier's loss counts 0.3 in training, as in the paper.</summary>
    public float AuxiliaryWeight => 0.3f;

    IReadOnlyList<Tensor> IAuxiliaryClassifiers.ForwardAll(Tensor input)
    {
        var o = ForwardWithAux(input);
        var all = new List<Tensor>(3) { o.Logits };
        if (o.Aux1 is not null) all.Add(o.Aux1);
        if (o.Aux2 is not null) all.Add(o.Aux2);
        return all;
    }

    private GoogLeNetOutputs Run(Tensor input, bool withAux)
    {
        var x = Conv1.Call(input);
        x = Maxpool1.Call(x);
        if (Lrn1 is not null) x = Lrn1.Call(x);
        x = Conv2.Call(x);
        x = Conv3.Call(x);
        if (Lrn2 is not null) x = Lrn2.Call(x);
        x = Maxpool2.Call(x);

        x = Inception3a.Call(x);
        x = Inception3b.Call(x);
        x = Maxpool3.Call(x);

        x = Inception4a.Call(x);
        var aux1 = withAux ? Aux1?.Call(x) : null;
        x = Inception4b.Call(x);
        x = Inception4c.Call(x);
        x = Inception4d.Call(x);
        var aux2 = withAux ? Aux2?.Call(x) : null;
        x = Inception4e.Call(x);
        x = Maxpool4.Call(x);

        x = Inception5a.Call(x);
        x = Inception5b.Call(x);

        x = Avgpool.Call(x);
        x = F.Flatten(x);
        x = Dropout.Call(x);
        return new GoogLeNetOutputs(Fc.Call(x), aux1, aux2);
    }

    protected override string ExtraRepr() => TorchVision ? "torchvision" : "";
}
