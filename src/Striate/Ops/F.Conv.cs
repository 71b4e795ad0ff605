using Striate.Backends;
using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// 2-D convolution (cross-correlation) of x [N, C, H, W] with weight [OC, C/groups, KH, KW] and optional
    /// bias [OC]: out = floor((n + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1 per axis.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes, channels, groups, stride, dilation or padding are invalid.</exception>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, (int H, int W)? stride = null,
        Padding2d padding = default, (int H, int W)? dilation = null, int groups = 1, string? module = null)
    {
        var g = ConvGeometry(x, weight, bias, stride ?? (1, 1), padding, dilation ?? (1, 1), groups, module);
        var y = Tensor.Empty(new Shape(g.Batch, g.OutChannels, g.OutHeight, g.OutWidth));
        B.Conv2dForward(g, x.Data, weight.Data, bias is null ? default : bias.Data, y.Data);
        if (!Autograd.Needs(x, weight, bias)) return y;
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Autograd.Record(y, "conv2d", inputs, (dy, grads) =>
        {
            if (x.RequiresGrad)
            {
                var dx = Tensor.Empty(x.Shape);
                B.Conv2dBackwardData(g, dy.Data, weight.Data, dx.Data);
                grads[0] = dx;
            }
            bool needW = weight.RequiresGrad, needB = bias is not null && bias.RequiresGrad;
            if (needW || needB)
            {
                var dw = Tensor.Empty(weight.Shape);
                var db = needB ? Tensor.Empty(bias!.Shape) : null;
                B.Conv2dBackwardWeight(g, x.Data, dy.Data, dw.Data, db is null ? default : db.Data);
                if (needW) grads[1] = dw;
                if (needB) grads[2] = db;
            }
        });
    }

    /// <summary>Builds and validates the geometry of a convolution; messages name the op or module.</summary>
    internal static Conv2dGeometry ConvGeometry(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, Padding2d padding,
        (int H, int W) dilation, int groups, string? module)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        string who = Who("conv2d", "Conv2d", module);
        if (x.Rank != 4)
            throw new ArgumentException($"{who} expects a 4-D input [N, C, H, W], got {x.Shape}.");
        if (weight.Rank != 4)
            throw new ArgumentException($"{who}: weight must be 4-D [out_channels, in_channels/groups, KH, KW], got {weight.Shape}.");
        CheckConvHyper(who, stride, dilation, groups);
        if (padding.Mode == PaddingMode.Same && (stride.H != 1 || stride.W != 1))
            throw new ArgumentException($"{who}: padding 'same' needs stride 1, got stride ({stride.H}, {stride.W}).");
        if (padding.Top < 0 || padding.Bottom < 0 || padding.Left < 0 || padding.Right < 0)
            throw new ArgumentException($"{who}: padding must be >= 0, got {padding}.");
        int oc = weight.Shape[0], cpg = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3];
        int c = x.Shape[1];
        if (oc % groups != 0)
            throw new ArgumentException($"{who}: out_channels ({oc}) must be divisible by groups ({groups}).");
        if (cpg * groups != c)
            throw new ArgumentException($"{who} expects {cpg * groups} input channels, got {c} (input {x.Shape}, weight {weight.Shape}, groups {groups}).");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != oc))
            throw new ArgumentException($"{who}: bias must be [{oc}], got {bias.Shape}.");
        var (pt, pb, pl, pr) = padding.Resolve(kh, kw, dilation.H, dilation.W);
        var g = new Conv2dGeometry(x.Shape[0], c, x.Shape[2], x.Shape[3], oc, kh, kw, stride.H, stride.W, pt, pb, pl, pr, dilation.H, dilation.W, groups);
        int effH = dilation.H * (kh - 1) + 1, effW = dilation.W * (kw - 1) + 1;
        if (g.OutHeight < 1 || g.OutWidth < 1)
            throw new ArgumentException($"{who}: the kernel ({effH}x{effW} with dilation) is larger than the padded input " +
                $"({x.Shape[2] + pt + pb}x{x.Shape[3] + pl + pr}) for input {x.Shape}.");
        return g;
    }

    private static void CheckConvHyper(string who, (int H, int W) stride, (int H, int W) dilation, int groups)
    {
        if (stride.H < 1 || stride.W < 1)
            throw new ArgumentException($"{who}: stride must be >= 1, got ({stride.H}, {stride.W}).");
        if (dilation.H < 1 || dilation.W < 1)
            throw new ArgumentException($"{who}: dilation must be >= 1, got ({dilation.H}, {dilation.W}).");
        if (groups < 1)
            throw new ArgumentException($"{who}: groups must be >= 1, got {groups}.");
    }

    /// <summary>
    /// Transposed 2-D convolution (the adjoint of <see cref="Conv2d"/>): x [N, Cin, H, W], weight
    /// [Cin, Cout/groups, KH, KW], bias [Cout]; out = (n - 1) * stride - 2 * pad + dilation * (k - 1) + outputPadding + 1.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias = null, (int H, int W)? stride = null,
        (int H, int W)? padding = null, (int H, int W)? outputPadding = null, (int H, int W)? dilation = null, int groups = 1, string? module = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        string who = Who("conv_transpose2d", "ConvTranspose2d", module);
        var s = stride ?? (1, 1);
        var p = padding ?? (0, 0);
        var op = outputPadding ?? (0, 0);
        var d = dilation ?? (1, 1);
        if (x.Rank != 4)
            throw new ArgumentException($"{who} expects a 4-D input [N, C, H, W], got {x.Shape}.");
        if (weight.Rank != 4)
            throw new ArgumentException($"{who}: weight must be 4-D [in_channels, out_channels/groups, KH, KW], got {weight.Shape}.");
        CheckConvHyper(who, s, d, groups);
        if (p.H < 0 || p.W < 0)
            throw new ArgumentException($"{who}: padding must be >= 0, got ({p.H}, {p.W}).");
        if (op.H < 0 || op.W < 0 || (op.H >= s.H && op.H >= d.H) || (op.W >= s.W && op.W >= d.W))
            throw new ArgumentException($"{who}: output_padding ({op.H}, {op.W}) must be smaller than either stride ({s.H}, {s.W}) or dilation ({d.H}, {d.W}).");
        int cin = weight.Shape[0], coutPg = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3];
        if (x.Shape[1] != cin)
            throw new ArgumentException($"{who} expects {cin} input channels, got {x.Shape[1]} (input {x.Shape}, weight {weight.Shape}).");
        if (cin % groups != 0)
            throw new ArgumentException($"{who}: in_channels ({cin}) must be divisible by groups ({groups}).");
        int cout = coutPg * groups;
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != cout))
            throw new ArgumentException($"{who}: bias must be [{cout}], got {bias.Shape}.");
        int oh = (x.Shape[2] - 1) * s.H - 2 * p.H + d.H * (kh - 1) + op.H + 1;
        int ow = (x.Shape[3] - 1) * s.W - 2 * p.W + d.W * (kw - 1) + op.W + 1;
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"{who}: the output would be {oh}x{ow} for input {x.Shape}; reduce the padding.");
        // The convolution whose backward-data is this op: its input is our output, its output is our input.
        // Output padding adds rows and columns at the bottom and right only, so that convolution pads those
        // sides by padding - outputPadding (negative trims what no window reaches): its output is then exactly
        // x's size for any stride, also when outputPadding >= stride (allowed below dilation).
        var g = new Conv2dGeometry(x.Shape[0], cout, oh, ow, cin, kh, kw, s.H, s.W, p.H, p.H - op.H, p.W, p.W - op.W, d.H, d.W, groups);
        var y = Tensor.Empty(new Shape(x.Shape[0], cout, oh, ow));
        B.Conv2dBackwardData(g, x.Data, weight.Data, y.Data);
        if (bias is not null)
        {
            int hw = oh * ow;
            for (int n = 0; n < x.Shape[0]; n++)
                for (int c = 0; c < cout; c++)
                {
                    var plane = y.Data.Slice((n * cout + c) * hw, hw);
                    TensorPrimitives.Add(plane, bias.Data[c], plane);
                }
        }
        if (!Autograd.Needs(x, weight, bias)) return y;
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Autograd.Record(y, "conv_transpose2d", inputs, (dy, grads) =>
        {
            if (x.RequiresGrad)
            {
                var dx = Tensor.Empty(x.Shape);
                B.Conv2dForward(g, dy.Data, weight.Data, default, dx.Data);
                grads[0] = dx;
            }
            if (weight.RequiresGrad)
            {
                var dw = Tensor.Empty(weight.Shape);
                B.Conv2dBackwardWeight(g, dy.Data, x.Data, dw.Data, default);
                grads[1] = dw;
            }
            if (bias is not null && bias.RequiresGrad)
            {
                var db = Tensor.Zeros(bias.Shape);
                int hw = oh * ow;
                for (int n = 0; n < x.Shape[0]; n++)
                    for (int c = 0; c < cout; c++)
                        db.Data[c] += TensorPrimitives.Sum(dy.Data.Slice((n * cout + c) * hw, hw));
                grads[2] = db;
            }
        });
    }
}
