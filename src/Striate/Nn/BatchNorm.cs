using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// Batch normalisation over channel dimension 1: learnable weight and bias, running mean and variance
/// buffers (and num_batches_tracked), PyTorch's update rules. Use <see cref="BatchNorm1d"/> or <see cref="BatchNorm2d"/>.
/// </summary>
public abstract class BatchNorm : Module
{
    protected BatchNorm(int numFeatures, float eps, float? momentum, bool affine, bool trackRunningStats)
    {
        if (numFeatures < 1)
            throw new ArgumentException($"{GetType().Name}: num_features must be >= 1, got {numFeatures}.");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Weight = RegisterParameter("weight", affine ? Tensor.Persistent(new Shape(numFeatures)) : null);
        Bias = RegisterParameter("bias", affine ? Tensor.Persistent(new Shape(numFeatures)) : null);
        if (Weight is not null) Init.Ones(Weight);
        RunningMean = RegisterBuffer("running_mean", trackRunningStats ? Tensor.Persistent(new Shape(numFeatures)) : null);
        RunningVar = RegisterBuffer("running_var", trackRunningStats ? Tensor.Persistent(new Shape(numFeatures)) : null);
        if (RunningVar is not null) Init.Ones(RunningVar);
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", trackRunningStats ? Tensor.Persistent(new Shape()) : null);
    }

    public int NumFeatures { get; }
    public float Eps { get; }
    public float? Momentum { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }
    public Tensor? RunningMean { get; }
    public Tensor? RunningVar { get; }

    /// <summary>A one-element buffer counting training batches (an integer in PyTorch's state dict).</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>
    /// When true, the layer normalises with its running statistics and leaves them unchanged even in training
    /// mode, as in evaluation: a frozen layer. Use it when the layer's parameters are frozen for fine-tuning, so
    /// the frozen features stay the ones the layer was trained with (Keras's behaviour for a non-trainable
    /// BatchNormalization layer; PyTorch users get it by calling eval() on those layers). Gradients still flow
    /// to the input. False by default; <see cref="Module.Train(bool)"/> does not change it.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set to true on a layer that tracks no running statistics.</exception>
    public bool UseRunningStats
    {
        get => _useRunningStats;
        set
        {
            if (value && RunningMean is null)
                throw new InvalidOperationException($"{GetType().Name}{(Path is null ? "" : $" '{Path}'")} tracks no running statistics, so it cannot normalise with them.");
            _useRunningStats = value;
        }
    }

    private bool _useRunningStats;

    /// <summary>The input ranks this layer accepts.</summary>
    protected abstract bool AcceptsRank(int rank);

    protected abstract string ExpectedInput { get; }

    protected override Tensor OnForward(Tensor input)
    {
        string who = Path is null ? GetType().Name : $"{GetType().Name} '{Path}'";
        if (!AcceptsRank(input.Rank))
            throw new ArgumentException($"{who} expects {ExpectedInput}, got {input.Shape}.");
        if (input.Shape[1] != NumFeatures)
            throw new ArgumentException($"{who} expects {NumFeatures} channels, got {input.Shape[1]} (input {input.Shape}).");
        bool useBatch = (IsTraining && !_useRunningStats) || RunningMean is null;
        long tracked = NumBatchesTracked is null ? 0 : (long)NumBatchesTracked.Data[0];
        var y = F.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, useBatch, Momentum, Eps, tracked, Path ?? "");
        if (useBatch && IsTraining && NumBatchesTracked is not null) NumBatchesTracked.Data[0] += 1;
        return y;
    }

    protected override string ExtraRepr() => $"{NumFeatures}, eps={Eps}, momentum={(Momentum is null ? "None" : Momentum.ToString())}, affine={(Weight is not null ? "True" : "False")}";
}
