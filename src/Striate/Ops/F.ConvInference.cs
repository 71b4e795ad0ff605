using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// relu?(conv2d(x, weight, bias) + residual) with the bias, the residual add and the ReLU applied in the
    /// convolution's output step, while each output block is still in cache: one pass over the output instead of
    /// three. Without a gradient to record this is the fused kernel; when one is needed the same value is built from
    /// <see cref="Conv2d"/>, <see cref="Add"/> and <see cref="Relu"/>, so it is safe anywhere.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Conv2d"/>, or the residual does not have the output's shape.</exception>
    public static Tensor Conv2dAddRelu(Tensor x, Tensor weight, Tensor? bias = null, Tensor? residual = null, bool relu = false,
        (int H, int W)? stride = null, Padding2d padding = default, (int H, int W)? dilation = null, int groups = 1, string? module = null) =>
        Conv2dAddReluCached(x, weight, bias, residual, relu, stride, padding, dilation, groups, module, cache: null);

    // The same, with the backend keeping forms derived from weight in cache between calls (InferenceSession).
    internal static Tensor Conv2dAddReluCached(Tensor x, Tensor weight, Tensor? bias, Tensor? residual, bool relu,
        (int H, int W)? stride, Padding2d padding, (int H, int W)? dilation, int groups, string? module, Backends.ConvWeightCache? cache)
    {
        var g = ConvGeometry(x, weight, bias, stride ?? (1, 1), padding, dilation ?? (1, 1), groups, module);
        var shape = new Shape(g.Batch, g.OutChannels, g.OutHeight, g.OutWidth);
        if (residual is not null && residual.Shape != shape)
            throw new ArgumentException($"{Who("conv2d", "Conv2d", module)}: the residual must have the output's shape {shape}, got {residual.Shape}.");
        if (Autograd.Needs(x, weight, bias) || (residual is not null && Autograd.Needs(residual)))
        {
            var z = Conv2d(x, weight, bias, stride, padding, dilation, groups, module);
            if (residual is not null) z = Add(z, residual);
            return relu ? Relu(z) : z;
        }
        var y = Tensor.Empty(shape);
        B.Conv2dForwardFused(g, x.Data, weight.Data, bias is null ? default : bias.Data, residual is null ? default : residual.Data, relu, y.Data, cache);
        return y;
    }

    /// <summary>
    /// max_pool2d(relu?(conv2d(x, weight, bias)), 2) with 2x2 windows at stride 2: LeNet's convolution, activation and
    /// pooling in one pass where the backend has a kernel for the shape (the full-size convolution output is never
    /// written), otherwise the fused convolution followed by <see cref="MaxPool2d"/>. When a gradient is needed the
    /// same value is built from <see cref="Conv2d"/>, <see cref="Relu"/> and <see cref="MaxPool2d"/>.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Conv2d"/> or <see cref="MaxPool2d"/>.</exception>
    public static Tensor Conv2dReluMaxPool2d(Tensor x, Tensor weight, Tensor? bias = null, bool relu = true,
        (int H, int W)? stride = null, Padding2d padding = default, (int H, int W)? dilation = null, int groups = 1, string? module = null) =>
        Conv2dReluMaxPool2dCached(x, weight, bias, relu, stride, padding, dilation, groups, module, cache: null);

    internal static Tensor Conv2dReluMaxPool2dCached(Tensor x, Tensor weight, Tensor? bias, bool relu,
        (int H, int W)? stride, Padding2d padding, (int H, int W)? dilation, int groups, string? module, Backends.ConvWeightCache? cache)
    {
        if (Autograd.Needs(x, weight, bias))
        {
            var z = Conv2d(x, weight, bias, stride, padding, dilation, groups, module);
            return MaxPool2d(relu ? Relu(z) : z, (2, 2), module: module);
        }
        var g = ConvGeometry(x, weight, bias, stride ?? (1, 1), padding, dilation ?? (1, 1), groups, module);
        if (B.CanConv2dForwardPooled(g))
        {
            var y = Tensor.Empty(new Shape(g.Batch, g.OutChannels, g.OutHeight / 2, g.OutWidth / 2));
            B.Conv2dForwardPooled(g, x.Data, weight.Data, bias is null ? default : bias.Data, relu, y.Data);
            return y;
        }
        return MaxPool2d(Conv2dAddReluCached(x, weight, bias, null, relu, stride, padding, dilation, groups, module, cache), (2, 2), module: module);
    }

    /// <summary>
    /// Folds an evaluation-mode batch norm into the convolution before it: returns (weight', bias') with
    /// conv2d(x, weight', bias') = batch_norm(conv2d(x, weight, bias)) using the running statistics, where per output
    /// channel scale = gamma / sqrt(running_var + eps), weight' = weight * scale and bias' = (bias - running_mean) * scale + beta.
    /// The new tensors carry no gradient; the originals are not changed.
    /// </summary>
    /// <exception cref="ArgumentException">The statistics or affine parameters do not have one value per output channel.</exception>
    public static (Tensor Weight, Tensor Bias) FoldBatchNorm(Tensor weight, Tensor? bias, Tensor runningMean, Tensor runningVar,
        Tensor? gamma, Tensor? beta, float eps)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(runningMean);
        ArgumentNullException.ThrowIfNull(runningVar);
        var w = Tensor.Empty(weight.Shape);
        var b = Tensor.Empty(new Shape(weight.Shape[0]));
        FoldBatchNormInto(weight, bias, runningMean, runningVar, gamma, beta, eps, w, b);
        return (w, b);
    }

    // FoldBatchNorm into w (weight's shape) and b ([OC]), which the caller made (InferenceSession keeps them).
    internal static void FoldBatchNormInto(Tensor weight, Tensor? bias, Tensor runningMean, Tensor runningVar,
        Tensor? gamma, Tensor? beta, float eps, Tensor w, Tensor b)
    {
        int oc = weight.Shape[0];
        foreach (var (t, name) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (gamma, "weight"), (beta, "bias"), (bias, "convolution bias") })
            if (t is not null && (t.Rank != 1 || t.Shape[0] != oc))
                throw new ArgumentException($"fold_batch_norm: {name} must be [{oc}] (one value per output channel of weight {weight.Shape}), got {t.Shape}.");
        int per = weight.Numel / Math.Max(oc, 1);
        // The weights are a pass over memory (a 512-channel 3x3 layer: 9 MB read and written), so the output channels
        // are split over the threads.
        var fold = new BatchNormFold(weight, bias, runningMean, runningVar, gamma, beta, eps, w, b, per);
        Threading.Parallelism.ForRanges(oc, per, fold.Run);
    }

    /// <summary>The operands of <see cref="FoldBatchNorm"/> for the channel ranges the threads take.</summary>
    private sealed class BatchNormFold(Tensor weight, Tensor? bias, Tensor mean, Tensor variance, Tensor? gamma, Tensor? beta,
        float eps, Tensor foldedWeight, Tensor foldedBias, int per)
    {
        public void Run(int c0, int c1)
        {
            var src = weight.Data;
            var dst = foldedWeight.Data;
            for (int c = c0; c < c1; c++)
            {
                // The same scale and shift the batch-norm kernel uses in evaluation mode.
                float scale = 1f / MathF.Sqrt(variance.Data[c] + eps) * (gamma is null ? 1f : gamma.Data[c]);
                float shift = (beta is null ? 0f : beta.Data[c]) - mean.Data[c] * scale;
                TensorPrimitives.Multiply(src.Slice(c * per, per), scale, dst.Slice(c * per, per));
                foldedBias.Data[c] = (bias is null ? 0f : bias.Data[c]) * scale + shift;
            }
        }
    }
}
