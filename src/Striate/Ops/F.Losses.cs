using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// Cross-entropy from logits [N, C] and class indices [N], fused with log-softmax. With class weights w and
    /// label smoothing e: loss_i = (1 - e) * w[y_i] * -log p[i, y_i] + e / C * sum_c w[c] * -log p[i, c]; the mean
    /// divides by the sum of w[y_i] over counted samples (PyTorch). Targets equal to <paramref name="ignoreIndex"/>
    /// add neither loss nor weight.
    /// </summary>
    /// <remarks>
    /// Logits [N, C, H, W] with one target per pixel (N*H*W, in N, H, W order) give the per-pixel loss of
    /// segmentation, as PyTorch's F.cross_entropy does for [N, C, d1, d2]: the mean is over the counted pixels of the
    /// whole batch (weighted), and <see cref="Reduction.None"/> gives [N, H, W].
    /// </remarks>
    /// <exception cref="ArgumentException">Shapes disagree or a target is out of range.</exception>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets, Tensor? weight = null, Reduction reduction = Reduction.Mean,
        float labelSmoothing = 0f, int ignoreIndex = -100)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank == 4)
        {
            // Each pixel a row of class scores: [N, C, H, W] -> [N, H, W, C] -> [N*H*W, C].
            int pn = logits.Shape[0], pc = logits.Shape[1], ph = logits.Shape[2], pw = logits.Shape[3];
            if (targets.Length != pn * ph * pw)
                throw new ArgumentException($"cross_entropy: expected {pn * ph * pw} targets (one per pixel of input {logits.Shape}, in N, H, W order), got {targets.Length}.");
            var rows = Reshape(Permute(logits, 0, 2, 3, 1), pn * ph * pw, pc);
            var loss = CrossEntropy(rows, targets, weight, reduction, labelSmoothing, ignoreIndex);
            return reduction == Reduction.None ? Reshape(loss, pn, ph, pw) : loss;
        }
        var (n, c) = CheckClassification("cross_entropy", logits, targets, weight, ignoreIndex);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentException($"cross_entropy: label_smoothing must be in [0, 1], got {labelSmoothing}.");
        var t = targets.ToArray();
        var logp = Storage.Allocate(n * c, clear: false);
        B.Softmax(n, c, logits.Data, logp.Span, log: true);
        var lp = logp.Span;
        var wd = weight is null ? Span<float>.Empty : weight.Data;
        var perSample = new float[n];
        double denom = 0, total = 0;
        double wsumAll = 0;
        if (labelSmoothing > 0)
            for (int j = 0; j < c; j++) wsumAll += wd.IsEmpty ? 1 : wd[j];
        for (int i = 0; i < n; i++)
        {
            if (t[i] == ignoreIndex) continue;
            double wy = wd.IsEmpty ? 1 : wd[t[i]];
            double li = (1 - labelSmoothing) * wy * -lp[i * c + t[i]];
            if (labelSmoothing > 0)
            {
                double s = 0;
                for (int j = 0; j < c; j++) s += (wd.IsEmpty ? 1 : wd[j]) * -lp[i * c + j];
                li += labelSmoothing / c * s;
            }
            perSample[i] = (float)li;
            total += li;
            denom += wy;
        }
        var y = ReduceLoss(perSample, reduction, total, denom);
        if (!Autograd.Needs(logits))
        {
            logp.Release();
            return y;
        }
        return Autograd.Record(y, "cross_entropy", [logits], (g, grads) =>
        {
            // d loss_i / d z_ic = softmax_ic * sum_j a_ij - a_ic, with a the target mixture (weights included).
            var dz = Tensor.Empty(logits.Shape);
            var d = dz.Data;
            var l = logp.Span;
            var w = weight is null ? Span<float>.Empty : weight.Data;
            for (int i = 0; i < n; i++)
            {
                var row = d.Slice(i * c, c);
                if (t[i] == ignoreIndex)
                {
                    row.Clear();
                    continue;
                }
                float scale = SampleScale(g, reduction, i, denom);
                double wy = w.IsEmpty ? 1 : w[t[i]];
                double asum = (1 - labelSmoothing) * wy + labelSmoothing / c * wsumAll;
                for (int j = 0; j < c; j++)
                {
                    double a = labelSmoothing / c * (w.IsEmpty ? 1 : w[j]);
                    if (j == t[i]) a += (1 - labelSmoothing) * wy;
                    row[j] = (float)((Math.Exp(l[i * c + j]) * asum - a) * scale);
                }
            }
            grads[0] = dz;
        }, logp);
    }

    /// <summary>
    /// Cross-entropy from logits and a target of class probabilities of the same shape: [N, C], [N, C, d1, ...] (the
    /// class dimension second, as PyTorch's) or [C] for one sample. With class weights w and label smoothing e the
    /// target first becomes t' = (1 - e) t + e / C, and loss_s = -sum_c w_c t'_sc log softmax(x_s)_c for each sample
    /// s (each of N * d1 * ... positions); the mean divides by that count, not by a sum of weights (PyTorch's
    /// definition for probability targets, unlike class indices). Gradients reach the logits and the target (and the
    /// weights, when they require one). The target's rows need not sum to 1; PyTorch does not check either.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ, the weights are not [C], or label smoothing is outside [0, 1].</exception>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean,
        float labelSmoothing = 0f)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        if (logits.Rank == 0)
            throw new ArgumentException($"cross_entropy expects logits [N, C], [N, C, d1, ...] or [C], got a scalar {logits.Shape}.");
        if (!logits.Shape.Equals(target.Shape))
            throw new ArgumentException($"cross_entropy: a target of class probabilities must have the logits' shape {logits.Shape}, got {target.Shape} " +
                "(class indices are given as an int span instead).");
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentException($"cross_entropy: label_smoothing must be in [0, 1], got {labelSmoothing}.");
        int classDim = logits.Rank == 1 ? 0 : 1, c = logits.Shape[classDim];
        if (weight is not null && (weight.Rank != 1 || weight.Shape[0] != c))
            throw new ArgumentException($"cross_entropy: class weights must be [{c}], got {weight.Shape}.");
        var t = labelSmoothing > 0 ? AddScalar(MulScalar(target, 1 - labelSmoothing), labelSmoothing / c) : target;
        var terms = Mul(LogSoftmax(logits, classDim), t);
        if (weight is not null)
        {
            // [C] broadcast along the class dimension: [C, 1, ..., 1] for the dimensions after it.
            var dims = new int[logits.Rank - classDim];
            Array.Fill(dims, 1);
            dims[0] = c;
            terms = Mul(terms, Reshape(weight, dims));
        }
        var perSample = Neg(Sum(terms, classDim));
        return reduction switch
        {
            Reduction.None => perSample,
            Reduction.Sum => Sum(perSample),
            _ => Mean(perSample),
        };
    }

    /// <summary>
    /// Negative log-likelihood of log-probabilities [N, C] at class indices [N]: loss_i = -w[y_i] * x[i, y_i];
    /// the mean divides by the sum of w[y_i].
    /// </summary>
    public static Tensor NllLoss(Tensor logProbs, ReadOnlySpan<int> targets, Tensor? weight = null, Reduction reduction = Reduction.Mean, int ignoreIndex = -100)
    {
        var (n, c) = CheckClassification("nll_loss", logProbs, targets, weight, ignoreIndex);
        var t = targets.ToArray();
        var perSample = new float[n];
        double total = 0, denom = 0;
        var xd = logProbs.Data;
        for (int i = 0; i < n; i++)
        {
            if (t[i] == ignoreIndex) continue;
            float wy = weight is null ? 1 : weight.Data[t[i]];
            perSample[i] = -wy * xd[i * c + t[i]];
            total += perSample[i];
            denom += wy;
        }
        var y = ReduceLoss(perSample, reduction, total, denom);
        if (!Autograd.Needs(logProbs)) return y;
        return Autograd.Record(y, "nll_loss", [logProbs], (g, grads) =>
        {
            var dx = Tensor.Zeros(logProbs.Shape);
            for (int i = 0; i < n; i++)
            {
                if (t[i] == ignoreIndex) continue;
                float wy = weight is null ? 1 : weight.Data[t[i]];
                dx.Data[i * c + t[i]] = -wy * SampleScale(g, reduction, i, denom);
            }
            grads[0] = dx;
        });
    }

    /// <summary>Mean squared error (x - y)^2, reduced; gradients flow to both arguments.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.Shape.Equals(target.Shape))
            throw new ArgumentException($"mse_loss: input {input.Shape} and target {target.Shape} must have the same shape.");
        var sq = Square(Sub(input, target));
        return reduction switch
        {
            Reduction.None => sq,
            Reduction.Sum => Sum(sq),
            _ => Mean(sq),
        };
    }

    /// <summary>
    /// Binary cross-entropy on logits, computed stably: loss = (1 - y) * x + (1 + (pw - 1) * y) * log(1 + e^-x),
    /// with an optional per-element weight and positive-class weight pw (broadcast over the last dimension).
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Tensor? weight = null, Tensor? posWeight = null,
        Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        if (!logits.Shape.Equals(target.Shape))
            throw new ArgumentException($"binary_cross_entropy_with_logits: input {logits.Shape} and target {target.Shape} must have the same shape.");
        // softplus(-x) = log(1 + e^-x) = max(-x, 0) + log(1 + e^-|x|)
        var negX = Neg(logits);
        var softplusNegX = Add(Relu(negX), Log(AddScalar(Exp(Neg(Abs(logits))), 1f)));
        Tensor coeff = posWeight is null ? Tensor.Full(target.Shape, 1f) : AddScalar(Mul(AddScalar(posWeight, -1f), target), 1f);
        var loss = Add(Mul(AddScalar(Neg(target), 1f), logits), Mul(coeff, softplusNegX));
        if (weight is not null) loss = Mul(loss, weight);
        return reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => Sum(loss),
            _ => Mean(loss),
        };
    }

    private static (int N, int C) CheckClassification(string op, Tensor x, ReadOnlySpan<int> targets, Tensor? weight, int ignoreIndex)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 2)
            throw new ArgumentException($"{op} expects input [N, C] (one row of class scores per sample){(op == "cross_entropy" ? " or [N, C, H, W] (one per pixel)" : "")}, got {x.Shape}.");
        int n = x.Shape[0], c = x.Shape[1];
        if (targets.Length != n)
            throw new ArgumentException($"{op}: expected {n} targets (one per row of input {x.Shape}), got {targets.Length}.");
        if (weight is not null && (weight.Rank != 1 || weight.Shape[0] != c))
            throw new ArgumentException($"{op}: class weights must be [{c}], got {weight.Shape}.");
        for (int i = 0; i < n; i++)
            if (targets[i] != ignoreIndex && (targets[i] < 0 || targets[i] >= c))
                throw new ArgumentException($"{op}: target {targets[i]} at position {i} is out of range for {c} classes.");
        return (n, c);
    }

    private static Tensor ReduceLoss(float[] perSample, Reduction reduction, double total, double denom)
    {
        switch (reduction)
        {
            case Reduction.None:
                return Tensor.FromArray(perSample, perSample.Length);
            case Reduction.Sum:
                return Tensor.Scalar((float)total);
            default:
                // An all-ignored batch gives NaN, as PyTorch does (0 / 0).
                return Tensor.Scalar((float)(total / denom));
        }
    }

    private static float SampleScale(Tensor g, Reduction reduction, int i, double denom) => reduction switch
    {
        Reduction.None => g.Data[i],
        Reduction.Sum => g.Data[0],
        _ => (float)(g.Data[0] / denom),
    };
}
