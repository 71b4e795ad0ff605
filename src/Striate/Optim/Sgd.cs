using Striate.Tensors;

namespace Striate.Optim;

/// <summary>
/// Stochastic gradient descent, torch.optim.SGD's rule: g = grad + wd * w; with momentum,
/// b = g on the first step, else b = momentum * b + (1 - dampening) * g; g = g + momentum * b (Nesterov) or b;
/// w -= lr * g.
/// </summary>
public sealed class Sgd : Optimizer
{
    public Sgd(IEnumerable<Tensor> parameters, float lr, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : this([new ParamGroup(parameters, lr, weightDecay)], momentum, dampening, nesterov)
    {
    }

    public Sgd(IEnumerable<ParamGroup> groups, float momentum = 0f, float dampening = 0f, bool nesterov = false)
        : base(groups, "SGD")
    {
        if (!(momentum >= 0)) throw new ArgumentException($"SGD: momentum must be >= 0, got {momentum}.");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("SGD: Nesterov momentum requires a momentum > 0 and zero dampening.");
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
    }

    public float Momentum { get; }
    public float Dampening { get; }
    public bool Nesterov { get; }

    protected override void Update(ParamGroup group, Tensor parameter, Span<float> w, ReadOnlySpan<float> grad)
    {
        float lr = group.Lr, wd = group.WeightDecay;
        bool first = false;
        Span<float> buf = Momentum != 0 ? State(parameter, "momentum_buffer", out first).Data : default;
        for (int i = 0; i < w.Length; i++)
        {
            float g = grad[i];
            if (wd != 0) g += wd * w[i];
            if (Momentum != 0)
            {
                float b = first ? g : Momentum * buf[i] + (1 - Dampening) * g;
                buf[i] = b;
                g = Nesterov ? g + Momentum * b : b;
            }
            w[i] -= lr * g;
        }
    }
}
