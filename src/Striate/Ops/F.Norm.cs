using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// Batch normalisation over x [N, C], [N, C, L] or [N, C, H, W], per channel C. Training: normalise with
    /// the batch mean and biased variance and move the running statistics by <paramref name="momentum"/>
    /// (running_var takes the unbiased variance; a null momentum keeps a cumulative average using
    /// <paramref name="batchesTracked"/>). Evaluation: normalise with the running statistics.
    /// y = (x - mean) / sqrt(var + eps) * weight + bias.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float? momentum = 0.1f, float eps = 1e-5f, long batchesTracked = 0, string? module = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        string who = Who("batch_norm", "BatchNorm", module);
        if (x.Rank < 2)
            throw new ArgumentException($"{who} expects an input [N, C, ...] of rank 2 to 4, got {x.Shape}.");
        int n = x.Shape[0], c = x.Shape[1], inner = x.Shape.Inner(1);
        foreach (var (t, name) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
            if (t is not null && (t.Rank != 1 || t.Shape[0] != c))
                throw new ArgumentException($"{who} expects {c} channels for {name}, got {t.Shape} (input {x.Shape}).");
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException($"{who}: evaluation mode needs running_mean and running_var.");
        int m = n * inner;
        if (training && m <= 1)
            throw new ArgumentException($"{who}: expected more than 1 value per channel when training, got input {x.Shape}.");

        var stats = Storage.Allocate(3 * c, clear: false); // mean[c], invstd[c], biased variance[c]
        var mean = stats.Span[..c];
        var invstd = stats.Span.Slice(c, c);
        var variance = stats.Span.Slice(2 * c, c);
        if (!training)
        {
            runningMean!.Data.CopyTo(mean);
            for (int ch = 0; ch < c; ch++) invstd[ch] = 1f / MathF.Sqrt(runningVar!.Data[ch] + eps);
        }
        var y = Tensor.Empty(x.Shape);
        B.BatchNormForward(n, c, inner, x.Data, mean, invstd, variance, weight is null ? default : weight.Data, bias is null ? default : bias.Data, eps, training, y.Data);
        if (training && runningMean is not null && runningVar is not null)
        {
            // Running statistics take the unbiased variance, biased * m / (m - 1).
            float f = momentum ?? (float)(1.0 / (batchesTracked + 1));
            for (int ch = 0; ch < c; ch++)
            {
                runningMean.Data[ch] = (1 - f) * runningMean.Data[ch] + f * mean[ch];
                runningVar.Data[ch] = (1 - f) * runningVar.Data[ch] + f * (float)((double)variance[ch] * m / (m - 1));
            }
        }
        if (!Autograd.Needs(x, weight, bias))
        {
            stats.Release();
            return y;
        }
        var inputs = new List<Tensor> { x };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        int wi = weight is null ? -1 : 1, bi = bias is null ? -1 : (weight is null ? 1 : 2);
        return Autograd.Record(y, "batch_norm", inputs.ToArray(), (g, grads) =>
        {
            var dx = x.RequiresGrad ? Tensor.Empty(x.Shape) : null;
            var dw = weight is not null && weight.RequiresGrad ? Tensor.Empty(weight.Shape) : null;
            var db = bias is not null && bias.RequiresGrad ? Tensor.Empty(bias.Shape) : null;
            B.BatchNormBackward(n, c, inner, x.Data, g.Data, stats.Span[..c], stats.Span.Slice(c, c), weight is null ? default : weight.Data,
                training, dx is null ? default : dx.Data, dw is null ? default : dw.Data, db is null ? default : db.Data);
            grads[0] = dx;
            if (wi > 0) grads[wi] = dw;
            if (bi > 0) grads[bi] = db;
        }, stats);
    }

    /// <summary>
    /// Local response normalisation across channels (AlexNet), PyTorch's form:
    /// y_c = x_c / (k + alpha / size * sum of x_j^2 over the window)^beta, the window running from size/2
    /// channels before c to (size-1)/2 after. The paper's alpha equals PyTorch's alpha / size.
    /// </summary>
    public static Tensor LocalResponseNorm(Tensor x, int size, float alpha = 1e-4f, float beta = 0.75f, float k = 1f, string? module = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        string who = Who("local_response_norm", "LocalResponseNorm", module);
        if (x.Rank < 3)
            throw new ArgumentException($"{who} expects an input [N, C, ...] of rank 3 or more, got {x.Shape}.");
        if (size < 1)
            throw new ArgumentException($"{who}: size must be >= 1, got {size}.");
        int n = x.Shape[0], c = x.Shape[1], inner = x.Shape.Inner(1);
        int before = size / 2, after = (size - 1) / 2;
        var denom = Storage.Allocate(x.Numel, clear: false); // D = k + alpha/size * window sum of squares
        var dd = denom.Span;
        var xd = x.Data;
        var y = Tensor.Empty(x.Shape);
        var yd = y.Data;
        float a = alpha / size;
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
            {
                var drow = dd.Slice((i * c + ch) * inner, inner);
                drow.Clear();
                for (int j = Math.Max(0, ch - before); j <= Math.Min(c - 1, ch + after); j++)
                {
                    var xr = xd.Slice((i * c + j) * inner, inner);
                    TensorPrimitives.MultiplyAdd(xr, xr, drow, drow);
                }
                TensorPrimitives.Multiply(drow, a, drow);
                TensorPrimitives.Add(drow, k, drow);
                var yr = yd.Slice((i * c + ch) * inner, inner);
                TensorPrimitives.Pow(drow, -beta, yr);
                TensorPrimitives.Multiply(yr, xd.Slice((i * c + ch) * inner, inner), yr);
            }
        if (!Autograd.Needs(x))
        {
            denom.Release();
            return y;
        }
        return Autograd.Record(y, "local_response_norm", [x], (g, grads) =>
        {
            // dx_j = dy_j * D_j^-beta - 2 a beta x_j * sum over channels i whose window holds j of dy_i * x_i * D_i^(-beta-1)
            var dx = Tensor.Empty(x.Shape);
            var dxd = dx.Data;
            var gd = g.Data;
            var xs = x.Data;
            var ds = denom.Span;
            var t = new float[c * inner];
            for (int i = 0; i < n; i++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    int o = (i * c + ch) * inner;
                    for (int q = 0; q < inner; q++)
                        t[ch * inner + q] = gd[o + q] * xs[o + q] * MathF.Pow(ds[o + q], -beta - 1f);
                }
                for (int j = 0; j < c; j++)
                {
                    int o = (i * c + j) * inner;
                    for (int q = 0; q < inner; q++)
                    {
                        float s = 0;
                        for (int ch = Math.Max(0, j - after); ch <= Math.Min(c - 1, j + before); ch++) s += t[ch * inner + q];
                        dxd[o + q] = gd[o + q] * MathF.Pow(ds[o + q], -beta) - 2f * a * beta * xs[o + q] * s;
                    }
                }
            }
            grads[0] = dx;
        }, denom);
    }
}
