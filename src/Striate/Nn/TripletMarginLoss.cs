using System.Globalization;
using System.Text;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// PyTorch's triplet margin loss as an object (torch.nn.TripletMarginLoss): max(||a - p + eps||_p - ||a - n + eps||_p
/// + margin, 0) per triplet, the plain p-norm distance (not FaceNet's squared one, which is
/// <see cref="F.TripletLoss(Tensor, Tensor, Tensor, float)"/>); see <see cref="F.TripletMarginLoss"/>. Not a
/// <see cref="Module"/>: it takes three inputs and holds no parameters.
/// </summary>
public sealed class TripletMarginLoss
{
    /// <summary>PyTorch's defaults: margin 1, the Euclidean norm, eps 1e-6, no swap, the mean.</summary>
    /// <exception cref="ArgumentException">p is not positive, or margin or eps is not finite.</exception>
    public TripletMarginLoss(float margin = 1f, float p = 2f, float eps = 1e-6f, bool swap = false, Reduction reduction = Reduction.Mean)
    {
        F.CheckTripletMargin(nameof(TripletMarginLoss), margin, p, eps);
        Margin = margin;
        P = p;
        Eps = eps;
        Swap = swap;
        Reduction = reduction;
    }

    public float Margin { get; }
    public float P { get; }
    public float Eps { get; }
    public bool Swap { get; }
    public Reduction Reduction { get; }

    /// <summary>The loss of triplets [N, D] (or one triplet [D]).</summary>
    public Tensor Forward(Tensor anchor, Tensor positive, Tensor negative) =>
        F.TripletMarginLoss(anchor, positive, negative, Margin, P, Eps, Swap, Reduction);

    /// <summary>"TripletMarginLoss()" with the settings that differ from the defaults, e.g. "TripletMarginLoss(margin=0.2, swap=True)".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        string F(float v) => v.ToString(CultureInfo.InvariantCulture);
        if (Margin != 1f) parts.Add($"margin={F(Margin)}");
        if (P != 2f) parts.Add($"p={F(P)}");
        if (Eps != 1e-6f) parts.Add($"eps={F(Eps)}");
        if (Swap) parts.Add("swap=True");
        if (Reduction != Reduction.Mean) parts.Add($"reduction='{Reduction.ToString().ToLowerInvariant()}'");
        return new StringBuilder("TripletMarginLoss(").AppendJoin(", ", parts).Append(')').ToString();
    }
}
