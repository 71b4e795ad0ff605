using System.Globalization;
using Striate.Backends;

namespace Striate.Models;

/// <summary>
/// The output-size arithmetic of one convolution or pooling layer, step by step, as the lecture notes
/// teach it: out = floor((n + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1.
/// </summary>
public static class LayerArithmetic
{
    /// <summary>Explains a convolution over an H x W x C input with <paramref name="filters"/> filters.</summary>
    /// <exception cref="ArgumentException">A size is out of range or the kernel does not fit the padded input.</exception>
    public static LayerExplanation Conv(int height, int width, int channels, int filters, int kernelH, int kernelW,
        int strideH = 1, int strideW = 1, int padTop = 0, int padBottom = 0, int padLeft = 0, int padRight = 0,
        int dilationH = 1, int dilationW = 1, int groups = 1, bool bias = true)
    {
        checked
        {
            Positive(("height", height), ("width", width), ("channels", channels), ("filters", filters), ("kernel", kernelH), ("kernel", kernelW),
                ("stride", strideH), ("stride", strideW), ("dilation", dilationH), ("dilation", dilationW), ("groups", groups));
            if (padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0)
                throw new ArgumentException("explain conv: padding must be >= 0.");
            if (channels % groups != 0 || filters % groups != 0)
                throw new ArgumentException($"explain conv: channels ({channels}) and filters ({filters}) must be divisible by groups ({groups}).");
            var rows = Axis("height", height, kernelH, strideH, padTop, padBottom, dilationH);
            var cols = Axis("width", width, kernelW, strideW, padLeft, padRight, dilationW);
            long weightsPerFilter = (long)(channels / groups) * kernelH * kernelW;
            long parameters = weightsPerFilter * filters + (bias ? filters : 0);
            long outputs = (long)rows.Output * cols.Output * filters;
            var steps = new List<string> { rows.Step, cols.Step };
            steps.Add($"each filter sees {channels / groups} x {kernelH} x {kernelW} = {weightsPerFilter} weights{(bias ? " + 1 bias" : "")}");
            steps.Add($"parameters = {weightsPerFilter} x {filters}{(bias ? $" + {filters}" : "")} = {parameters:N0}");
            steps.Add($"output = {rows.Output} x {cols.Output} x {filters} = {outputs:N0} values");
            long perNeuron = weightsPerFilter + (bias ? 1 : 0);
            steps.Add($"multiply-accumulates = {outputs:N0} x {weightsPerFilter} = {outputs * weightsPerFilter:N0}");
            steps.Add($"connections = {outputs:N0} neurons x {perNeuron} inputs{(bias ? " (bias included)" : "")} = {outputs * perNeuron:N0}");
            AddDropped(steps, rows, cols);
            return new LayerExplanation("conv", rows.Output, cols.Output, filters, parameters, outputs * weightsPerFilter, outputs * perNeuron, outputs,
                rows.Dropped, cols.Dropped, steps);
        }
    }

    /// <summary>Explains a max or average pooling layer (no parameters).</summary>
    public static LayerExplanation Pool(int height, int width, int channels, int kernelH, int kernelW, int strideH, int strideW,
        int padH = 0, int padW = 0, int dilationH = 1, int dilationW = 1, bool ceilMode = false)
    {
        checked
        {
            Positive(("height", height), ("width", width), ("channels", channels), ("kernel", kernelH), ("kernel", kernelW),
                ("stride", strideH), ("stride", strideW), ("dilation", dilationH), ("dilation", dilationW));
            if (padH < 0 || padW < 0 || padH > kernelH / 2 || padW > kernelW / 2)
                throw new ArgumentException($"explain pool: padding must be >= 0 and at most half the kernel, got ({padH}, {padW}).");
            var rows = Axis("height", height, kernelH, strideH, padH, padH, dilationH, ceilMode);
            var cols = Axis("width", width, kernelW, strideW, padW, padW, dilationW, ceilMode);
            long outputs = (long)rows.Output * cols.Output * channels;
            var steps = new List<string> { rows.Step, cols.Step, $"output = {rows.Output} x {cols.Output} x {channels} = {outputs:N0} values; pooling has no parameters" };
            AddDropped(steps, rows, cols);
            return new LayerExplanation("pool", rows.Output, cols.Output, channels, 0, 0, outputs * kernelH * kernelW, outputs, rows.Dropped, cols.Dropped, steps);
        }
    }

    private static void AddDropped(List<string> steps, AxisResult rows, AxisResult cols)
    {
        if (rows.Dropped > 0 || cols.Dropped > 0)
            steps.Add($"the stride does not tile the padded input: the last {rows.Dropped} row(s) and {cols.Dropped} column(s) are never covered and are dropped, as PyTorch does");
    }

    private readonly record struct AxisResult(int Output, int Dropped, string Step);

    private static AxisResult Axis(string name, int n, int k, int s, int before, int after, int d, bool ceil = false)
    {
        checked
        {
            int eff = d * (k - 1) + 1;
            int span = n + before + after - eff;
            if (span < 0)
                throw new ArgumentException($"explain: the kernel ({eff} with dilation) is larger than the padded {name} ({n + before + after}).");
            int output = ceil ? Pool2dGeometry.OutputSize(n, k, s, before, d, true) : Conv2dGeometry.OutputSize(n, k, s, before + after, d);
            int covered = (output - 1) * s + eff;
            int dropped = Math.Max(0, n + before + after - covered);
            string kText = d == 1 ? $"{k}" : $"({d} x ({k} - 1) + 1 = {eff})";
            string exact = ((double)span / s).ToString("0.##", CultureInfo.InvariantCulture);
            string step = $"{name}: ({n} + {before} + {after} - {kText}) / {s} + 1 = {span} / {s} + 1 = {exact} + 1 -> {(ceil ? "ceil" : "floor")} = {output}";
            return new AxisResult(output, ceil ? 0 : dropped, step);
        }
    }

    private static void Positive(params (string Name, int Value)[] values)
    {
        foreach (var (n, v) in values)
            if (v < 1) throw new ArgumentException($"explain: {n} must be >= 1, got {v}.");
    }
}

/// <summary>Receptive fields, depthwise-separable and bottleneck costs, as the lecture notes compute them.</summary>
public static class StackArithmetic
{
    /// <summary>
    /// The receptive field after each layer of a stack of (kernel, stride, dilation) layers (seed 004):
    /// R_k = R_(k-1) + (d_k (F_k - 1)) * prod(S_1..S_(k-1)), starting from R_0 = 1.
    /// </summary>
    public static IReadOnlyList<(long Field, long Jump, string Step)> ReceptiveField(IReadOnlyList<(int Kernel, int Stride, int Dilation)> layers)
    {
        checked
        {
            var result = new List<(long, long, string)>();
            long r = 1, jump = 1;
            for (int i = 0; i < layers.Count; i++)
            {
                var (k, s, d) = layers[i];
                if (k < 1 || s < 1 || d < 1)
                    throw new ArgumentException($"explain receptive-field: layer {i + 1} needs kernel, stride and dilation >= 1, got k{k} s{s} d{d}.");
                long eff = (long)d * (k - 1) + 1;
                long next = r + (eff - 1) * jump;
                string dilated = d == 1 ? "" : $"dilated kernel {d} x ({k} - 1) + 1 = {eff}; ";
                result.Add((next, jump * s, $"layer {i + 1} (kernel {k}, stride {s}, dilation {d}): {dilated}R = {r} + ({eff} - 1) x {jump} = {next}; jump = {jump} x {s} = {jump * s}"));
                r = next;
                jump *= s;
            }
            return result;
        }
    }

    /// <summary>Parameters (no biases) of a depthwise-separable convolution against a full one (seed 004).</summary>
    public static (long Depthwise, long Pointwise, long Full) Depthwise(int channels, int filters, int kernelH, int kernelW)
    {
        checked
        {
            if (channels < 1 || filters < 1 || kernelH < 1 || kernelW < 1)
                throw new ArgumentException("explain depthwise: channels, filters and kernel must be >= 1.");
            return ((long)channels * kernelH * kernelW, (long)channels * filters, (long)channels * filters * kernelH * kernelW);
        }
    }

    /// <summary>
    /// Multiplications of a 'same' k x k convolution from C to F channels on an H x W map, directly and through a
    /// 1x1 reduction to R channels first (seed 003).
    /// </summary>
    public static (long Direct, long Reduce, long Conv) Bottleneck(int height, int width, int channels, int filters, int kernel, int reduce)
    {
        checked
        {
            if (height < 1 || width < 1 || channels < 1 || filters < 1 || kernel < 1 || reduce < 1)
                throw new ArgumentException("explain bottleneck: input, channels, filters, kernel and reduce must be >= 1.");
            long hw = (long)height * width;
            return (hw * filters * channels * kernel * kernel, hw * reduce * channels, hw * filters * reduce * kernel * kernel);
        }
    }
}

/// <summary>The result of <see cref="LayerArithmetic"/>: sizes, counts and the steps that led to them.</summary>
public sealed record LayerExplanation(string Layer, int OutputHeight, int OutputWidth, int OutputChannels, long Parameters,
    long MultiplyAccumulates, long Connections, long OutputValues, int DroppedRows, int DroppedColumns, IReadOnlyList<string> Steps);
