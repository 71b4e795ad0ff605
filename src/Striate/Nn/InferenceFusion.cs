using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// Inference-time fusion, a pass over the module tree rather than a branch in each model's Forward: a convolution,
/// the evaluation-mode batch norm after it, a residual add and a ReLU run as one convolution call
/// (<see cref="F.Conv2dAddRelu"/>) with the batch norm folded into its weights and bias (<see cref="F.FoldBatchNorm"/>).
/// <see cref="Module.Call"/> runs a module's fused form, where its type has one (<see cref="Register{T}"/>: Sequential
/// and Conv2d here, the zoo's blocks in Models.ModelFusion), only when nothing can observe the difference: evaluation
/// mode, no <see cref="ForwardTrace"/> (a trace records every layer, as summaries and feature-map pictures need) and
/// no gradient to record. The result equals the layer-by-layer one up to float rounding. A module's OnForward runs
/// layer by layer; the call (Forward, Call) is the entry point that fuses.
/// </summary>
public static class InferenceFusion
{
    // The fused forms by module type; each returns null where it does not apply.
    private static readonly ConcurrentDictionary<Type, Func<Module, Tensor, Tensor?>> s_fused = new();

    static InferenceFusion()
    {
        Register<Sequential>((s, x) => RunSequence(s.Layers, x));
        // Inside an InferenceSession the convolution runs with the session's kept forms of its weights.
        Register<Conv2d>((conv, x) => InferenceSession.Current is null ? null : ConvBn(conv, null, x));
    }

    /// <summary>
    /// Registers the fused form of modules of exactly type <typeparamref name="T"/>: what its OnForward computes, planned
    /// for inference; it returns null to leave the call to OnForward.
    /// </summary>
    public static void Register<T>(Func<T, Tensor, Tensor?> fused) where T : Module
    {
        ArgumentNullException.ThrowIfNull(fused);
        s_fused[typeof(T)] = (m, x) => fused((T)m, x);
    }

    /// <summary>The fused form of <paramref name="module"/>'s OnForward on <paramref name="input"/>, when fusion applies and its type has one.</summary>
    internal static bool TryRun(Module module, Tensor input, [NotNullWhen(true)] out Tensor? output)
    {
        output = null;
        if (module.IsTraining || !s_fused.TryGetValue(module.GetType(), out var fused) || !Applies(module, input)) return false;
        output = fused(module, input);
        return output is not null;
    }

    /// <summary>
    /// Whether <paramref name="owner"/>'s layers may be fused for this input: evaluation mode, no trace, and no
    /// gradient would be recorded (gradients off, or neither the input nor any parameter requires one).
    /// </summary>
    public static bool Applies(Module owner, Tensor input)
    {
        if (owner.IsTraining || ForwardTrace.Current is not null) return false;
        if (!Autograd.IsEnabled) return true;
        if (input.RequiresGrad) return false;
        foreach (var p in owner.Parameters())
            if (p.RequiresGrad) return false;
        return true;
    }

    /// <summary>Whether <paramref name="bn"/> can be folded into <paramref name="conv"/>: evaluation mode with running statistics and matching channels.</summary>
    public static bool CanFold(Conv2d conv, BatchNorm2d bn) =>
        !bn.IsTraining && bn.RunningMean is not null && bn.RunningVar is not null && bn.NumFeatures == conv.OutChannels;

    /// <summary>relu?(bn(conv(x)) + residual) as one convolution; <paramref name="bn"/> and <paramref name="residual"/> may be null.</summary>
    public static Tensor ConvBn(Conv2d conv, BatchNorm2d? bn, Tensor x, Tensor? residual = null, bool relu = false) =>
        ConvBn(conv, bn, x, residual, relu, pool: false);

    /// <summary>Whether <paramref name="pool"/> is the plain 2x2, stride-2 max pooling a convolution can take into its output step.</summary>
    public static bool CanFuse(MaxPool2d pool) =>
        pool.KernelSize == new Size2(2, 2) && pool.Stride == new Size2(2, 2) && pool.Padding == new Size2(0, 0) &&
        pool.Dilation == new Size2(1, 1) && !pool.CeilMode;

    // pool: a 2x2 / 2 max pooling follows (relu? before it), run with the convolution where the backend can.
    private static Tensor ConvBn(Conv2d conv, BatchNorm2d? bn, Tensor x, Tensor? residual, bool relu, bool pool)
    {
        ArgumentNullException.ThrowIfNull(conv);
        if (bn is not null && !CanFold(conv, bn))
        {
            // Not foldable (training-mode statistics, or a channel mismatch the layer itself will report): run it as it stands.
            var y = bn.Call(conv.Call(x));
            if (residual is not null) y = F.Add(y, residual);
            y = relu ? F.Relu(y) : y;
            return pool ? F.MaxPool2d(y, (2, 2)) : y;
        }
        var (w, b, cache) = Weights(conv, bn);
        if (pool && residual is null)
            return F.Conv2dReluMaxPool2dCached(x, w, b, relu, conv.Stride, conv.Padding, conv.Dilation, conv.Groups, conv.Path ?? "", cache);
        var z = F.Conv2dAddReluCached(x, w, b, residual, relu, conv.Stride, conv.Padding, conv.Dilation, conv.Groups, conv.Path ?? "", cache);
        return pool ? F.MaxPool2d(z, (2, 2)) : z;
    }

    /// <summary>
    /// The weights to run <paramref name="conv"/> (and the foldable <paramref name="bn"/> after it, or null) with: those an
    /// <see cref="InferenceSession"/> on this thread keeps, or else the batch norm folded now (or the layer's own tensors).
    /// </summary>
    internal static (Tensor Weight, Tensor? Bias, Backends.ConvWeightCache? Cache) Weights(Conv2d conv, BatchNorm? bn)
    {
        if (InferenceSession.Current is { } session) return session.Prepare(conv, bn);
        if (bn is null) return (conv.Weight, conv.Bias, null);
        var (w, b) = F.FoldBatchNorm(conv.Weight, conv.Bias, bn.RunningMean!, bn.RunningVar!, bn.Weight, bn.Bias, bn.Eps);
        return (w, b, null);
    }

    /// <summary>
    /// Runs <paramref name="layers"/> in order, fusing every Conv2d [BatchNorm2d] [ReLU] [MaxPool2d 2x2/2] run into one call; other
    /// layers run as they are. The caller has checked <see cref="Applies"/>.
    /// </summary>
    public static Tensor RunSequence(IReadOnlyList<Module> layers, Tensor input)
    {
        var x = input;
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is Conv2d conv)
            {
                int j = i + 1;
                var bn = j < layers.Count && layers[j] is BatchNorm2d b && CanFold(conv, b) ? b : null;
                if (bn is not null) j++;
                bool relu = j < layers.Count && layers[j] is ReLU;
                if (relu) j++;
                bool pool = j < layers.Count && layers[j] is MaxPool2d mp && CanFuse(mp);
                if (pool) j++;
                if (bn is not null || relu || pool)
                {
                    x = ConvBn(conv, bn, x, null, relu, pool);
                    i = j - 1;
                    continue;
                }
            }
            x = layers[i].Call(x);
        }
        return x;
    }
}
