using System.Buffers;
using Striate.Backends;
using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// 2-D max pooling of x [N, C, H, W]. stride defaults to the kernel; padding is implicit -infinity and at
    /// most half the (dilated) kernel; ceil mode keeps a last partial window that starts inside the input or the
    /// left padding. The position of each maximum is kept for backward.
    /// </summary>
    public static Tensor MaxPool2d(Tensor x, (int H, int W) kernel, (int H, int W)? stride = null, (int H, int W)? padding = null,
        (int H, int W)? dilation = null, bool ceilMode = false, string? module = null)
    {
        var g = PoolGeometry("max_pool2d", "MaxPool2d", module, x, kernel, stride, padding, dilation ?? (1, 1), ceilMode, true);
        var y = Tensor.Empty(new Shape(g.Batch, g.Channels, g.OutHeight, g.OutWidth));
        int[] argmax = ArrayPool<int>.Shared.Rent(y.Numel);
        B.MaxPool2dForward(g, x.Data, y.Data, argmax);
        if (!Autograd.Needs(x))
        {
            ArrayPool<int>.Shared.Return(argmax);
            return y;
        }
        return Autograd.Record(y, "max_pool2d", [x], (dy, grads) =>
        {
            var dx = Tensor.Empty(x.Shape);
            B.MaxPool2dBackward(g, dy.Data, argmax, dx.Data);
            grads[0] = dx;
        }, () => ArrayPool<int>.Shared.Return(argmax));
    }

    /// <summary>
    /// 2-D average pooling of x [N, C, H, W]. With <paramref name="countIncludePad"/> the divisor counts the
    /// zero padding (but never the part of a ceil-mode window beyond the padded input).
    /// </summary>
    public static Tensor AvgPool2d(Tensor x, (int H, int W) kernel, (int H, int W)? stride = null, (int H, int W)? padding = null,
        bool ceilMode = false, bool countIncludePad = true, string? module = null)
    {
        if (OpTrace.Active is { } trace)
            return trace.Op("avg_pool2d", [x], () => AvgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad, module),
                new AvgPoolDetails(kernel, stride ?? kernel, padding ?? (0, 0), ceilMode, countIncludePad));
        var g = PoolGeometry("avg_pool2d", "AvgPool2d", module, x, kernel, stride, padding, (1, 1), ceilMode, countIncludePad);
        var y = Tensor.Empty(new Shape(g.Batch, g.Channels, g.OutHeight, g.OutWidth));
        B.AvgPool2dForward(g, x.Data, y.Data);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "avg_pool2d", [x], (dy, grads) =>
        {
            var dx = Tensor.Empty(x.Shape);
            B.AvgPool2dBackward(g, dy.Data, dx.Data);
            grads[0] = dx;
        });
    }

    /// <summary>Average pooling to a fixed output size; cell i covers [floor(i*H/OH), ceil((i+1)*H/OH)).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, (int H, int W) outputSize, string? module = null)
    {
        if (OpTrace.Active is { } trace) return trace.Op("adaptive_avg_pool2d", [x], () => AdaptiveAvgPool2d(x, outputSize, module), outputSize);
        string who = Who("adaptive_avg_pool2d", "AdaptiveAvgPool2d", module);
        if (x.Rank != 4)
            throw new ArgumentException($"{who} expects a 4-D input [N, C, H, W], got {x.Shape}.");
        if (outputSize.H < 1 || outputSize.W < 1)
            throw new ArgumentException($"{who}: output size must be >= 1, got ({outputSize.H}, {outputSize.W}).");
        if (x.Shape[2] < 1 || x.Shape[3] < 1)
            throw new ArgumentException($"{who}: input {x.Shape} has an empty plane.");
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3], oh = outputSize.H, ow = outputSize.W;
        var y = Tensor.Empty(new Shape(x.Shape[0], x.Shape[1], oh, ow));
        B.AdaptiveAvgPool2dForward(planes, h, w, oh, ow, x.Data, y.Data);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "adaptive_avg_pool2d", [x], (dy, grads) =>
        {
            var dx = Tensor.Empty(x.Shape);
            B.AdaptiveAvgPool2dBackward(planes, h, w, oh, ow, dy.Data, dx.Data);
            grads[0] = dx;
        });
    }

    /// <summary>Global average pooling: [N, C, H, W] to [N, C, 1, 1].</summary>
    public static Tensor GlobalAvgPool2d(Tensor x, string? module = null) => AdaptiveAvgPool2d(x, (1, 1), module);

    private static Pool2dGeometry PoolGeometry(string op, string layer, string? module, Tensor x, (int H, int W) kernel,
        (int H, int W)? stride, (int H, int W)? padding, (int H, int W) dilation, bool ceilMode, bool countIncludePad)
    {
        ArgumentNullException.ThrowIfNull(x);
        string who = Who(op, layer, module);
        if (x.Rank != 4)
            throw new ArgumentException($"{who} expects a 4-D input [N, C, H, W], got {x.Shape}.");
        var s = stride ?? kernel;
        var p = padding ?? (0, 0);
        if (kernel.H < 1 || kernel.W < 1)
            throw new ArgumentException($"{who}: kernel size must be >= 1, got ({kernel.H}, {kernel.W}).");
        if (s.H < 1 || s.W < 1)
            throw new ArgumentException($"{who}: stride must be >= 1, got ({s.H}, {s.W}).");
        if (dilation.H < 1 || dilation.W < 1)
            throw new ArgumentException($"{who}: dilation must be >= 1, got ({dilation.H}, {dilation.W}).");
        int effH = dilation.H * (kernel.H - 1) + 1, effW = dilation.W * (kernel.W - 1) + 1;
        if (p.H < 0 || p.W < 0 || p.H > kernel.H / 2 || p.W > kernel.W / 2)
            throw new ArgumentException($"{who}: padding ({p.H}, {p.W}) must be >= 0 and at most half the kernel ({kernel.H}, {kernel.W}).");
        var g = new Pool2dGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], kernel.H, kernel.W, s.H, s.W, p.H, p.W,
            dilation.H, dilation.W, ceilMode, countIncludePad);
        if (g.OutHeight < 1 || g.OutWidth < 1)
            throw new ArgumentException($"{who}: the window ({effH}x{effW}) is larger than the padded input " +
                $"({x.Shape[2] + 2 * p.H}x{x.Shape[3] + 2 * p.W}) for input {x.Shape}.");
        return g;
    }
}
