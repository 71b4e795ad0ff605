namespace Striate.Tests.Support;

/// <summary>
/// Plain float64 references, written to be obviously right rather than fast: the twins the fast kernels
/// are checked against. Layouts are row-major NCHW like the library's.
/// </summary>
public static class Ref
{
    // x [N, C, H, W], w [OC, C/G, KH, KW], b [OC] or null -> y [N, OC, OH, OW]
    public static double[] Conv2d(double[] x, int[] xs, double[] w, int[] ws, double[]? b, int sh, int sw,
        int pt, int pb, int pl, int pr, int dh, int dw, int groups, out int[] ys)
    {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], oc = ws[0], cpg = ws[1], kh = ws[2], kw = ws[3];
        int oh = (h + pt + pb - dh * (kh - 1) - 1) / sh + 1, ow = (wd + pl + pr - dw * (kw - 1) - 1) / sw + 1;
        ys = [n, oc, oh, ow];
        var y = new double[n * oc * oh * ow];
        int ocg = oc / groups;
        for (int i = 0; i < n; i++)
            for (int o = 0; o < oc; o++)
            {
                int g = o / ocg;
                for (int r = 0; r < oh; r++)
                    for (int q = 0; q < ow; q++)
                    {
                        double s = b?[o] ?? 0;
                        for (int ci = 0; ci < cpg; ci++)
                            for (int u = 0; u < kh; u++)
                                for (int v = 0; v < kw; v++)
                                {
                                    int iy = r * sh - pt + u * dh, ix = q * sw - pl + v * dw;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                    s += x[((i * c + g * cpg + ci) * h + iy) * wd + ix] * w[((o * cpg + ci) * kh + u) * kw + v];
                                }
                        y[((i * oc + o) * oh + r) * ow + q] = s;
                    }
            }
        return y;
    }

    // x [N, Cin, H, W], w [Cin, Cout/G, KH, KW] -> y [N, Cout, OH, OW] by scattering each input times the kernel.
    public static double[] ConvTranspose2d(double[] x, int[] xs, double[] w, int[] ws, double[]? b, int sh, int sw, int ph, int pw,
        int oph, int opw, int dh, int dw, int groups, out int[] ys)
    {
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], coutPg = ws[1], kh = ws[2], kw = ws[3];
        int cout = coutPg * groups, cinPg = cin / groups;
        int oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1, ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
        ys = [n, cout, oh, ow];
        var y = new double[n * cout * oh * ow];
        for (int i = 0; i < n; i++)
            for (int ci = 0; ci < cin; ci++)
            {
                int g = ci / cinPg;
                for (int r = 0; r < h; r++)
                    for (int q = 0; q < wd; q++)
                        for (int co = 0; co < coutPg; co++)
                            for (int u = 0; u < kh; u++)
                                for (int v = 0; v < kw; v++)
                                {
                                    int oy = r * sh - ph + u * dh, ox = q * sw - pw + v * dw;
                                    if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                                    y[((i * cout + g * coutPg + co) * oh + oy) * ow + ox] +=
                                        x[((i * cin + ci) * h + r) * wd + q] * w[((ci * coutPg + co) * kh + u) * kw + v];
                                }
            }
        if (b is not null)
            for (int i = 0; i < n; i++)
                for (int co = 0; co < cout; co++)
                    for (int k = 0; k < oh * ow; k++) y[(i * cout + co) * oh * ow + k] += b[co];
        return y;
    }

    public static int PoolOut(int n, int k, int s, int p, int d, bool ceil)
    {
        double span = n + 2 * p - d * (k - 1) - 1;
        int o = (int)(ceil ? Math.Ceiling(span / s) : Math.Floor(span / s)) + 1;
        if (ceil && (o - 1) * s >= n + p) o--;
        return o;
    }

    // x [P, H, W] -> max over each window (padding never wins).
    public static double[] MaxPool(double[] x, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, bool ceil, out int oh, out int ow)
    {
        oh = PoolOut(h, kh, sh, ph, dh, ceil);
        ow = PoolOut(w, kw, sw, pw, dw, ceil);
        var y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++)
            for (int r = 0; r < oh; r++)
                for (int q = 0; q < ow; q++)
                {
                    double m = double.NegativeInfinity;
                    for (int u = 0; u < kh; u++)
                        for (int v = 0; v < kw; v++)
                        {
                            int iy = r * sh - ph + u * dh, ix = q * sw - pw + v * dw;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            m = Math.Max(m, x[(p * h + iy) * w + ix]);
                        }
                    y[(p * oh + r) * ow + q] = m;
                }
        return y;
    }

    // PyTorch's rule: the divisor is the window clipped to the padded input (countIncludePad) or to the input.
    public static double[] AvgPool(double[] x, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, bool ceil, bool countPad, out int oh, out int ow)
    {
        oh = PoolOut(h, kh, sh, ph, 1, ceil);
        ow = PoolOut(w, kw, sw, pw, 1, ceil);
        var y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++)
            for (int r = 0; r < oh; r++)
                for (int q = 0; q < ow; q++)
                {
                    double s = 0;
                    int inside = 0, padded = 0;
                    for (int u = 0; u < kh; u++)
                        for (int v = 0; v < kw; v++)
                        {
                            int iy = r * sh - ph + u, ix = q * sw - pw + v;
                            bool inPadded = iy < h + ph && ix < w + pw;
                            if (inPadded) padded++;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            inside++;
                            s += x[(p * h + iy) * w + ix];
                        }
                    y[(p * oh + r) * ow + q] = s / (countPad ? padded : inside);
                }
        return y;
    }

    public static double[] AdaptiveAvg(double[] x, int planes, int h, int w, int oh, int ow)
    {
        var y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++)
            for (int r = 0; r < oh; r++)
                for (int q = 0; q < ow; q++)
                {
                    int h0 = (int)Math.Floor((double)r * h / oh), h1 = (int)Math.Ceiling((double)(r + 1) * h / oh);
                    int w0 = (int)Math.Floor((double)q * w / ow), w1 = (int)Math.Ceiling((double)(q + 1) * w / ow);
                    double s = 0;
                    for (int i = h0; i < h1; i++)
                        for (int j = w0; j < w1; j++) s += x[(p * h + i) * w + j];
                    y[(p * oh + r) * ow + q] = s / ((h1 - h0) * (w1 - w0));
                }
        return y;
    }

    public static double[] Softmax(double[] x, int rows, int cols, bool log)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (int j = 0; j < cols; j++) m = Math.Max(m, x[r * cols + j]);
            for (int j = 0; j < cols; j++) s += Math.Exp(x[r * cols + j] - m);
            for (int j = 0; j < cols; j++)
                y[r * cols + j] = log ? x[r * cols + j] - m - Math.Log(s) : Math.Exp(x[r * cols + j] - m) / s;
        }
        return y;
    }

    // Training-mode batch norm over [N, C, inner].
    public static double[] BatchNorm(double[] x, int n, int c, int inner, double[]? gamma, double[]? beta, double eps)
    {
        var y = new double[x.Length];
        for (int ch = 0; ch < c; ch++)
        {
            double mean = 0, v = 0;
            int m = n * inner;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < inner; k++) mean += x[(i * c + ch) * inner + k];
            mean /= m;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < inner; k++) v += Math.Pow(x[(i * c + ch) * inner + k] - mean, 2);
            v /= m;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < inner; k++)
                {
                    int o = (i * c + ch) * inner + k;
                    y[o] = (x[o] - mean) / Math.Sqrt(v + eps) * (gamma?[ch] ?? 1) + (beta?[ch] ?? 0);
                }
        }
        return y;
    }

    public static double[] Lrn(double[] x, int n, int c, int inner, int size, double alpha, double beta, double k)
    {
        var y = new double[x.Length];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int q = 0; q < inner; q++)
                {
                    double s = 0;
                    for (int j = ch - size / 2; j <= ch + (size - 1) / 2; j++)
                        if (j >= 0 && j < c) s += Math.Pow(x[(i * c + j) * inner + q], 2);
                    y[(i * c + ch) * inner + q] = x[(i * c + ch) * inner + q] / Math.Pow(k + alpha / size * s, beta);
                }
        return y;
    }

    // PyTorch's cross-entropy with class weights, label smoothing and ignore_index; mean over the target weights.
    public static double CrossEntropy(double[] z, int n, int c, int[] t, double[]? w, double eps, int reduction, int ignore = -100)
    {
        var lp = Softmax(z, n, c, log: true);
        double total = 0, denom = 0;
        for (int i = 0; i < n; i++)
        {
            if (t[i] == ignore) continue;
            double wy = w?[t[i]] ?? 1;
            double li = (1 - eps) * wy * -lp[i * c + t[i]];
            for (int j = 0; j < c; j++) li += eps / c * (w?[j] ?? 1) * -lp[i * c + j];
            total += li;
            denom += wy;
        }
        return reduction == 2 ? total : total / denom;
    }
}
