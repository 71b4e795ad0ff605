using Striate.Tensors;

namespace Striate.Optim;

/// <summary>
/// Adam (Kingma and Ba, 2015) with torch.optim.Adam's exact rule, and AdamW (Loshchilov and Hutter, 2019) when
/// <see cref="Decoupled"/>: Adam adds wd * w to the gradient; AdamW first shrinks w *= 1 - lr * wd. Then
/// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps),
/// with v replaced by its running maximum under AMSGrad.
/// </summary>
public class Adam : Optimizer
{
    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
        float weightDecay = 0f, bool amsgrad = false)
        : this([new ParamGroup(parameters, lr, weightDecay)], beta1, beta2, eps, amsgrad, decoupled: false)
    {
    }

    public Adam(IEnumerable<ParamGroup> groups, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, bool amsgrad = false, bool decoupled = false)
        : base(groups, decoupled ? "AdamW" : "Adam")
    {
        string name = decoupled ? "AdamW" : "Adam";
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentException($"{name}: beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"{name}: beta2 must be in [0, 1), got {beta2}.");
        if (!(eps >= 0)) throw new ArgumentException($"{name}: eps must be >= 0, got {eps}.");
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        Amsgrad = amsgrad;
        Decoupled = decoupled;
    }

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Eps { get; }
    public bool Amsgrad { get; }

    /// <summary>True for AdamW's decoupled weight decay.</summary>
    public bool Decoupled { get; }

    protected override void Update(ParamGroup group, Tensor parameter, Span<float> w, ReadOnlySpan<float> grad)
    {
        var stepT = State(parameter, "step", out _);
        float step = stepT.Data[0] += 1;
        var m = State(parameter, "exp_avg", out _).Data;
        var v = State(parameter, "exp_avg_sq", out _).Data;
        var vmax = Amsgrad ? State(parameter, "max_exp_avg_sq", out _).Data : default;
        float lr = group.Lr, wd = group.WeightDecay;
        // The corrections are computed in double, as PyTorch does with Python floats.
        double bc1 = 1.0 - Math.Pow(Beta1, step);
        float bc2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(Beta2, step));
        float stepSize = (float)(lr / bc1);
        for (int i = 0; i < w.Length; i++)
        {
            float g = grad[i];
            if (wd != 0)
            {
                if (Decoupled) w[i] *= 1f - lr * wd;
                else g += wd * w[i];
            }
            m[i] += (g - m[i]) * (1f - Beta1); // torch's lerp
            v[i] = v[i] * Beta2 + (1f - Beta2) * g * g;
            float vv = v[i];
            if (Amsgrad)
            {
                vmax[i] = MathF.Max(vmax[i], vv);
                vv = vmax[i];
            }
            float denom = MathF.Sqrt(vv) / bc2Sqrt + Eps;
            w[i] -= stepSize * (m[i] / denom);
        }
    }
}
