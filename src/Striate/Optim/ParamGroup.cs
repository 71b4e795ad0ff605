using Striate.Tensors;

namespace Striate.Optim;

/// <summary>Parameters that share hyper-parameters (a learning rate of their own for fine-tuning, say).</summary>
public sealed class ParamGroup
{
    public ParamGroup(IEnumerable<Tensor> parameters, float lr, float weightDecay = 0f)
    {
        Parameters = parameters.ToList();
        Lr = lr;
        WeightDecay = weightDecay;
    }

    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The learning rate; schedules change it between steps.</summary>
    public float Lr { get; set; }

    public float WeightDecay { get; set; }
}
