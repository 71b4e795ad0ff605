using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>Fully connected layer y = x W^T + b; weight [out, in], bias [out]; PyTorch's default initialisation.</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
    {
        if (inFeatures < 0 || outFeatures < 1)
            throw new ArgumentException($"Linear: in_features ({inFeatures}) must be >= 0 and out_features ({outFeatures}) >= 1.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Tensor.Persistent(new Shape(outFeatures, inFeatures)))!;
        Bias = RegisterParameter("bias", bias ? Tensor.Persistent(new Shape(outFeatures)) : null);
        Init.DefaultLayer(Weight, Bias, generator);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    protected override Tensor OnForward(Tensor input) => F.Linear(input, Weight, Bias, Path ?? "");

    public override LayerCost Cost(Shape input, Shape output) => new(output.Numel / Math.Max(output[0], 1) * (long)InFeatures);

    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}";
}
