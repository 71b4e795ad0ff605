namespace Striate.Bench;

/// <summary>
/// Convolutions as plain float64 loops, obviously right and slow: the reference the libtorch check compares with.
/// Stride 1, no dilation, no groups; symmetric zero padding (ph rows above and below, pw columns left and right).
/// </summary>
public static class NaiveConv
{
    // x [N, C, H, W], w [O, C, KH, KW] -> y [N, O, H + 2ph - KH + 1, W + 2pw - KW + 1]
    public static double[] Forward(double[] x, int[] xs, double[] w, int[] ws, int ph, int pw)
    {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], kh = ws[2], kw = ws[3];
        Check(x, xs, w, ws, c);
        int oh = h + 2 * ph - kh + 1, ow = wd + 2 * pw - kw + 1;
        var y = new double[n * o * oh * ow];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double s = 0;
                        for (int ic = 0; ic < c; ic++)
                            for (int a = 0; a < kh; a++)
                            {
                                int r = i + a - ph;
                                if (r < 0 || r >= h) continue;
                                for (int q = 0; q < kw; q++)
                                {
                                    int col = j + q - pw;
                                    if (col < 0 || col >= wd) continue;
                                    s += x[((b * c + ic) * h + r) * wd + col] * w[((oc * c + ic) * kh + a) * kw + q];
                                }
                            }
                        y[((b * o + oc) * oh + i) * ow + j] = s;
                    }
        return y;
    }

    // The gradient of sum(gy * Forward(x, w)) with respect to x [N, C, H, W], for gy [N, O, OH, OW]. With ph = pw = 0
    // this is also conv_transpose2d(gy, w) at stride 1 (w read as [Cin, Cout, KH, KW] of the transposed convolution).
    public static double[] InputGradient(double[] gy, int[] xs, double[] w, int[] ws, int ph, int pw)
    {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], kh = ws[2], kw = ws[3];
        if (ws[1] != c) throw new ArgumentException($"The weight has {ws[1]} input channels, the input {c}.");
        int oh = h + 2 * ph - kh + 1, ow = wd + 2 * pw - kw + 1;
        if (gy.Length != n * o * oh * ow) throw new ArgumentException($"gy holds {gy.Length} values, not {n * o * oh * ow}.");
        var gx = new double[n * c * h * wd];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double g = gy[((b * o + oc) * oh + i) * ow + j];
                        for (int ic = 0; ic < c; ic++)
                            for (int a = 0; a < kh; a++)
                            {
                                int r = i + a - ph;
                                if (r < 0 || r >= h) continue;
                                for (int q = 0; q < kw; q++)
                                {
                                    int col = j + q - pw;
                                    if (col < 0 || col >= wd) continue;
                                    gx[((b * c + ic) * h + r) * wd + col] += g * w[((oc * c + ic) * kh + a) * kw + q];
                                }
                            }
                    }
        return gx;
    }

    // The gradient of sum(gy * Forward(x, w)) with respect to w [O, C, KH, KW].
    public static double[] WeightGradient(double[] x, int[] xs, double[] gy, int[] ws, int ph, int pw)
    {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], kh = ws[2], kw = ws[3];
        int oh = h + 2 * ph - kh + 1, ow = wd + 2 * pw - kw + 1;
        if (x.Length != n * c * h * wd || gy.Length != n * o * oh * ow)
            throw new ArgumentException("x or gy does not match the shapes given.");
        var gw = new double[o * c * kh * kw];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double g = gy[((b * o + oc) * oh + i) * ow + j];
                        for (int ic = 0; ic < c; ic++)
                            for (int a = 0; a < kh; a++)
                            {
                                int r = i + a - ph;
                                if (r < 0 || r >= h) continue;
                                for (int q = 0; q < kw; q++)
                                {
                                    int col = j + q - pw;
                                    if (col < 0 || col >= wd) continue;
                                    gw[((oc * c + ic) * kh + a) * kw + q] += g * x[((b * c + ic) * h + r) * wd + col];
                                }
                            }
                    }
        return gw;
    }

    private static void Check(double[] x, int[] xs, double[] w, int[] ws, int c)
    {
        if (xs.Length != 4 || ws.Length != 4) throw new ArgumentException("x and w must be 4-D.");
        if (ws[1] != c) throw new ArgumentException($"The weight has {ws[1]} input channels, the input {c}.");
        if (x.Length != xs[0] * xs[1] * xs[2] * xs[3]) throw new ArgumentException($"x holds {x.Length} values, not its shape's.");
        if (w.Length != ws[0] * ws[1] * ws[2] * ws[3]) throw new ArgumentException($"w holds {w.Length} values, not its shape's.");
    }
}
