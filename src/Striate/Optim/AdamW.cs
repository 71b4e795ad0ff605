using Striate.Tensors;

namespace Striate.Optim;

/// <summary>Adam with decoupled weight decay (torch.optim.AdamW; default weight decay 0.01).</summary>
public sealed class AdamW : Adam
{
    public AdamW(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
        float weightDecay = 1e-2f, bool amsgrad = false)
        : base([new ParamGroup(parameters, lr, weightDecay)], beta1, beta2, eps, amsgrad, decoupled: true)
    {
    }

    public AdamW(IEnumerable<ParamGroup> groups, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, bool amsgrad = false)
        : base(groups, beta1, beta2, eps, amsgrad, decoupled: true)
    {
    }
}
