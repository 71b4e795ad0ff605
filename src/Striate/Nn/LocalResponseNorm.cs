using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>Local response normalisation across channels (AlexNet), in PyTorch's convention (alpha is divided by size).</summary>
public sealed class LocalResponseNorm : Module
{
    public LocalResponseNorm(int size, float alpha = 1e-4f, float beta = 0.75f, float k = 1f)
    {
        if (size < 1) throw new ArgumentException($"LocalResponseNorm: size must be >= 1, got {size}.");
        Size = size;
        Alpha = alpha;
        Beta = beta;
        K = k;
    }

    public int Size { get; }
    public float Alpha { get; }
    public float Beta { get; }
    public float K { get; }

    protected override Tensor OnForward(Tensor input) => F.LocalResponseNorm(input, Size, Alpha, Beta, K, Path ?? "");

    protected override string ExtraRepr() => $"{Size}, alpha={Alpha}, beta={Beta}, k={K}";
}
