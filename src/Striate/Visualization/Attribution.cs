using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Visualization;

/// <summary>
/// Why a network chose a class, as maps over the input (all for one image [1, C, H, W], the model in evaluation mode).
/// The class score is the logit minus the mean logit (see <see cref="InputGradient"/>). The methods:
/// the saliency of Simonyan, Vedaldi and Zisserman ("Deep inside convolutional networks", 2014), guided
/// backpropagation (Springenberg et al., 2015), the deconvnet of Zeiler and Fergus (2014), Grad-CAM (Selvaraju et
/// al., 2017) and occlusion sensitivity (Zeiler and Fergus, 2014).
/// </summary>
public static class Attribution
{
    /// <summary>
    /// d score / d input [C, H, W], score = logit[class] - mean(logits) (softmax is blind to a shift shared by all
    /// logits, so that part of a raw logit explains nothing; with many classes this is nearly the raw logit), with ReLUs backpropagating by <paramref name="mode"/> (the gradient for
    /// <see cref="ReluGradientMode.Standard"/>); the class is the predicted one when <paramref name="classIndex"/> is null.
    /// </summary>
    public static InputMap InputGradient(Module model, Tensor input, int? classIndex = null, ReluGradientMode mode = ReluGradientMode.Standard)
    {
        CheckInput(input);
        using var scope = TensorScope.Begin();
        using var frozen = new FrozenParameters(model);
        using var relu = F.ReluGradient(mode);
        var x = input.Clone();
        x.RequiresGrad = true;
        var logits = model.Call(x);
        int cls = PickClass(logits, classIndex);
        logits.Backward(ScoreGradient(logits.Shape, cls));
        return new InputMap(x.Grad!.ToArray(), input.Shape[1], input.Shape[2], input.Shape[3], cls, Probability(logits, cls));
    }

    /// <summary>
    /// Projects one activation of <paramref name="layer"/> back to the input, as Zeiler and Fergus show what a feature
    /// map responds to: the strongest activation of channel <paramref name="channel"/> (by default the channel whose
    /// strongest activation is the largest) is kept, every other one set to zero, and the signal is passed down with
    /// ReLUs following <paramref name="mode"/> (<see cref="ReluGradientMode.Deconvnet"/> for their deconvnet). The map
    /// is non-zero only inside that unit's receptive field. <see cref="InputMap.ClassIndex"/> holds the channel.
    /// </summary>
    /// <exception cref="ArgumentException">The layer's output is not a feature map, the layer is unused, or the channel is out of range.</exception>
    public static InputMap ProjectActivation(Module model, Module layer, Tensor input, int? channel = null, ReluGradientMode mode = ReluGradientMode.Deconvnet)
    {
        CheckInput(input);
        using var scope = TensorScope.Begin();
        using var frozen = new FrozenParameters(model);
        using var relu = F.ReluGradient(mode);
        var x = input.Clone();
        x.RequiresGrad = true;
        var (_, activation) = LayerCapture.Run(model, layer, x);
        if (activation.Rank != 4)
            throw new ArgumentException($"projecting an activation needs a layer with feature maps [1, K, h, w]; '{layer.Path}' gives {activation.Shape}.");
        int k = activation.Shape[1], hw = activation.Shape[2] * activation.Shape[3];
        int Strongest(int c) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(activation.Data.Slice(c * hw, hw));
        var a = activation.Data;
        int ch;
        if (channel is int given)
        {
            if (given < 0 || given >= k) throw new ArgumentException($"channel {given} is out of range: layer '{layer.Path}' has {k} channels (0 to {k - 1}).");
            ch = given;
        }
        else
        {
            ch = 0;
            for (int c = 1; c < k; c++)
                if (a[c * hw + Strongest(c)] > a[ch * hw + Strongest(ch)]) ch = c;
        }
        int at = ch * hw + Strongest(ch);
        var seed = Tensor.Zeros(activation.Shape);
        seed.Data[at] = a[at];
        if (activation.GradFn is null) throw new ArgumentException($"layer '{layer.Path}' does not depend on the input.");
        activation.Backward(seed);
        return new InputMap(x.Grad?.ToArray() ?? new float[input.Numel], input.Shape[1], input.Shape[2], input.Shape[3], ch, a[at]);
    }

    /// <summary>
    /// Grad-CAM at <paramref name="layer"/> (usually the last convolution block): relu(sum_k a_k A_k) with
    /// a_k the spatial mean of d score / d A_k, a map of the layer's size [h, w].
    /// </summary>
    /// <exception cref="ArgumentException">The layer's output is not a feature map [1, K, h, w] or the layer is not used.</exception>
    public static InputMap GradCam(Module model, Module layer, Tensor input, int? classIndex = null)
    {
        CheckInput(input);
        using var scope = TensorScope.Begin();
        using var frozen = new FrozenParameters(model);
        // Cut the graph at the layer: its output becomes a leaf that collects d score / d A.
        var (logits, activation) = LayerCapture.Run(model, layer, input, y =>
        {
            var leaf = y.Detach();
            leaf.RequiresGrad = true;
            return leaf;
        });
        if (activation.Rank != 4)
            throw new ArgumentException($"Grad-CAM needs a layer with feature maps [1, K, h, w]; '{layer.Path}' gives {activation.Shape}.");
        int cls = PickClass(logits, classIndex);
        logits.Backward(ScoreGradient(logits.Shape, cls));
        int k = activation.Shape[1], h = activation.Shape[2], w = activation.Shape[3], hw = h * w;
        var a = activation.Data;
        var g = activation.Grad!.Data;
        var cam = new float[hw];
        for (int c = 0; c < k; c++)
        {
            float alpha = 0;
            for (int i = 0; i < hw; i++) alpha += g[c * hw + i];
            alpha /= hw;
            for (int i = 0; i < hw; i++) cam[i] += alpha * a[c * hw + i];
        }
        for (int i = 0; i < hw; i++) cam[i] = Math.Max(cam[i], 0);
        return new InputMap(cam, 1, h, w, cls, Probability(logits, cls));
    }

    /// <summary>
    /// Occlusion sensitivity: a <paramref name="patch"/> x <paramref name="patch"/> square of zeros (the data set's
    /// mean after normalisation) slides with <paramref name="stride"/>; each pixel's value is the mean drop in the
    /// class probability over the positions that covered it.
    /// </summary>
    public static InputMap Occlusion(Module model, Tensor input, int? classIndex = null, int patch = 7, int stride = 2)
    {
        CheckInput(input);
        int c = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        if (patch < 1 || stride < 1) throw new ArgumentException($"Occlusion: patch and stride must be >= 1, got {patch} and {stride}.");
        patch = Math.Min(patch, Math.Min(h, w));
        var ys = Positions(h, patch, stride);
        var xs = Positions(w, patch, stride);
        using var scope = TensorScope.Begin();
        using var _ = Autograd.NoGrad();
        var baseLogits = model.Call(input);
        int cls = PickClass(baseLogits, classIndex);
        float p0 = Probability(baseLogits, cls);
        var drop = new float[h * w];
        var count = new float[h * w];
        int n = ys.Count * xs.Count, size = c * h * w, chunk = 64;
        for (int start = 0; start < n; start += chunk)
        {
            int m = Math.Min(chunk, n - start);
            var batch = Tensor.Empty(m, c, h, w);
            for (int b = 0; b < m; b++)
            {
                input.Data.CopyTo(batch.Data.Slice(b * size, size));
                int y0 = ys[(start + b) / xs.Count], x0 = xs[(start + b) % xs.Count];
                for (int ch = 0; ch < c; ch++)
                    for (int y = y0; y < y0 + patch; y++)
                        batch.Data.Slice(b * size + (ch * h + y) * w + x0, patch).Clear();
            }
            var probs = F.Softmax(model.Call(batch), 1);
            int classes = probs.Shape[1];
            for (int b = 0; b < m; b++)
            {
                float d = p0 - probs.Data[b * classes + cls];
                int y0 = ys[(start + b) / xs.Count], x0 = xs[(start + b) % xs.Count];
                for (int y = y0; y < y0 + patch; y++)
                    for (int x = x0; x < x0 + patch; x++)
                    {
                        drop[y * w + x] += d;
                        count[y * w + x]++;
                    }
            }
        }
        for (int i = 0; i < drop.Length; i++) drop[i] = count[i] > 0 ? drop[i] / count[i] : 0;
        return new InputMap(drop, 1, h, w, cls, p0);
    }

    private static List<int> Positions(int size, int patch, int stride)
    {
        var p = new List<int>();
        for (int s = 0; s + patch <= size; s += stride) p.Add(s);
        if (p[^1] + patch < size) p.Add(size - patch);
        return p;
    }

    private static void CheckInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Shape[0] != 1)
            throw new ArgumentException($"Attribution: expected one image [1, C, H, W], got {input.Shape}.");
    }

    private static int PickClass(Tensor logits, int? classIndex)
    {
        if (logits.Rank != 2) throw new ArgumentException($"Attribution: the model must output class scores [1, K], got {logits.Shape}.");
        int k = logits.Shape[1];
        if (classIndex is int c)
        {
            if (c < 0 || c >= k) throw new ArgumentException($"class {c} is out of range: the model has {k} classes (0 to {k - 1}).");
            return c;
        }
        return System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Data);
    }

    private static float Probability(Tensor logits, int cls)
    {
        var d = logits.Data;
        float max = System.Numerics.Tensors.TensorPrimitives.Max(d);
        double sum = 0;
        foreach (float v in d) sum += Math.Exp(v - max);
        return (float)(Math.Exp(d[cls] - max) / sum);
    }

    // d score / d logits for score = logit[cls] - mean(logits): softmax ignores a shift shared by every logit, so
    // that part of a raw logit explains nothing (with two classes it can be most of it); with many classes this is
    // close to the raw logit.
    private static Tensor ScoreGradient(Shape shape, int cls)
    {
        var t = Tensor.Full(shape, -1f / shape[1]);
        t.Data[cls] += 1;
        return t;
    }
}
