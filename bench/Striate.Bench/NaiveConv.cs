namespace Striate.Bench;

/// <summary>
/// A convolution as plain float64 loops, obviously right and slow: the reference the libtorch check compares with.
/// Stride 1, no dilation, no groups; symmetric zero padding (ph rows above and below, pw columns left and right).
/// One loop nest visits every (output, input, weight) triple once and accumulates the output and both gradients.
/// </summary>
public static class NaiveConv
{
    // x [N, C, H, W], w [O, C, KH, KW], gy [N, O, OH, OW] with OH = H + 2ph - KH + 1, OW = W + 2pw - KW + 1:
    // Y = conv(x, w); Gx and Gw the gradients of sum(gy * Y) with respect to x and w.
    public static (double[] Y, double[] Gx, double[] Gw) Compute(double[] x, int[] xs, double[] w, int[] ws, double[] gy, int ph, int pw)
    {
        if (xs.Length != 4 || ws.Length != 4) throw new ArgumentException("x and w must be 4-D.");
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], kh = ws[2], kw = ws[3];
        if (ws[1] != c) throw new ArgumentException($"The weight has {ws[1]} input channels, the input {c}.");
        int oh = h + 2 * ph - kh + 1, ow = wd + 2 * pw - kw + 1;
        if (x.Length != n * c * h * wd) throw new ArgumentException($"x holds {x.Length} values, not {n * c * h * wd}.");
        if (w.Length != o * c * kh * kw) throw new ArgumentException($"w holds {w.Length} values, not {o * c * kh * kw}.");
        if (gy.Length != n * o * oh * ow) throw new ArgumentException($"gy holds {gy.Length} values, not {n * o * oh * ow}.");
        var y = new double[gy.Length];
        var gx = new double[x.Length];
        var gw = new double[w.Length];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int yi = ((b * o + oc) * oh + i) * ow + j;
                        for (int ic = 0; ic < c; ic++)
                            for (int a = 0; a < kh; a++)
                            {
                                int r = i + a - ph;
                                if (r < 0 || r >= h) continue;
                                for (int q = 0; q < kw; q++)
                                {
                                    int col = j + q - pw;
                                    if (col < 0 || col >= wd) continue;
                                    int xi = ((b * c + ic) * h + r) * wd + col, wi = ((oc * c + ic) * kh + a) * kw + q;
                                    y[yi] += x[xi] * w[wi];
                                    gx[xi] += gy[yi] * w[wi];
                                    gw[wi] += gy[yi] * x[xi];
                                }
                            }
                    }
        return (y, gx, gw);
    }

    // conv_transpose2d(z, w) at stride 1 without padding, for z [N, Cin, H, W] and w [Cin, Cout, KH, KW]: the input
    // gradient of a convolution whose weight is w (read as [out = Cin, in = Cout, KH, KW]) evaluated at gy = z.
    public static double[] Transposed(double[] z, int[] zs, double[] w, int[] ws)
    {
        int[] outShape = [zs[0], ws[1], zs[2] + ws[2] - 1, zs[3] + ws[3] - 1];
        var zeros = new double[outShape[0] * outShape[1] * outShape[2] * outShape[3]];
        return Compute(zeros, outShape, w, ws, z, 0, 0).Gx;
    }
}
