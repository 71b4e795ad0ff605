using Striate.Tensors;

namespace Striate.Detection;

/// <summary>
/// Encodes boxes as offsets from reference boxes and decodes them back, as torchvision's detection <c>BoxCoder</c>:
/// dx = wx (gx - px) / pw, dy = wy (gy - py) / ph, dw = ww log(gw / pw), dh = wh log(gh / ph) with centres and sizes
/// of the (x1, y1, x2, y2) boxes; decoding clips dw and dh at log(1000 / 16) before the exponential. Arithmetic in
/// float64; no gradient (the losses are taken on the codes).
/// </summary>
public sealed class BoxCoder
{
    /// <summary>The largest dw and dh decoded: log(1000 / 16), so that no box grows more than 62.5 times.</summary>
    public static readonly double DefaultClip = Math.Log(1000.0 / 16);

    /// <summary>A coder with weights (wx, wy, ww, wh): Faster R-CNN's box head uses (10, 10, 5, 5), its RPN (1, 1, 1, 1).</summary>
    /// <exception cref="ArgumentException">A weight is not a positive finite number, or the clip is not finite.</exception>
    public BoxCoder(double wx = 1, double wy = 1, double ww = 1, double wh = 1, double? clip = null)
    {
        if (!(wx > 0 && wy > 0 && ww > 0 && wh > 0) || !double.IsFinite(wx + wy + ww + wh))
            throw new ArgumentException($"box coder: the weights must be positive, got ({wx}, {wy}, {ww}, {wh}).");
        Weights = (wx, wy, ww, wh);
        Clip = clip ?? DefaultClip;
        if (!double.IsFinite(Clip)) throw new ArgumentException($"box coder: the clip must be finite, got {Clip}.");
    }

    public (double X, double Y, double W, double H) Weights { get; }
    public double Clip { get; }

    /// <summary>The codes [K, 4] of <paramref name="boxes"/> [K, 4] relative to <paramref name="references"/> [K, 4] (torchvision's encode_single(boxes, references)).</summary>
    public Tensor Encode(Tensor boxes, Tensor references)
    {
        Check(boxes, "boxes");
        Check(references, "reference boxes");
        if (boxes.Shape[0] != references.Shape[0])
            throw new ArgumentException($"box coder: {boxes.Shape[0]} boxes but {references.Shape[0]} reference boxes; expected one each.");
        var (wx, wy, ww, wh) = Weights;
        var g = boxes.Data;
        var p = references.Data;
        var y = Tensor.Empty(boxes.Shape[0], 4);
        for (int i = 0; i < boxes.Shape[0]; i++)
        {
            double pw = (double)p[4 * i + 2] - p[4 * i], ph = (double)p[4 * i + 3] - p[4 * i + 1], px = p[4 * i] + 0.5 * pw, py = p[4 * i + 1] + 0.5 * ph;
            double gw = (double)g[4 * i + 2] - g[4 * i], gh = (double)g[4 * i + 3] - g[4 * i + 1], gx = g[4 * i] + 0.5 * gw, gy = g[4 * i + 1] + 0.5 * gh;
            y.Data[4 * i] = (float)(wx * (gx - px) / pw);
            y.Data[4 * i + 1] = (float)(wy * (gy - py) / ph);
            y.Data[4 * i + 2] = (float)(ww * Math.Log(gw / pw));
            y.Data[4 * i + 3] = (float)(wh * Math.Log(gh / ph));
        }
        return y;
    }

    /// <summary>The boxes [K, 4] that <paramref name="codes"/> [K, 4] describe relative to <paramref name="references"/> [K, 4] (torchvision's decode_single).</summary>
    public Tensor Decode(Tensor codes, Tensor references)
    {
        Check(codes, "codes");
        Check(references, "reference boxes");
        if (codes.Shape[0] != references.Shape[0])
            throw new ArgumentException($"box coder: {codes.Shape[0]} codes but {references.Shape[0]} reference boxes; expected one each.");
        var (wx, wy, ww, wh) = Weights;
        var d = codes.Data;
        var p = references.Data;
        var y = Tensor.Empty(codes.Shape[0], 4);
        for (int i = 0; i < codes.Shape[0]; i++)
        {
            double pw = (double)p[4 * i + 2] - p[4 * i], ph = (double)p[4 * i + 3] - p[4 * i + 1], px = p[4 * i] + 0.5 * pw, py = p[4 * i + 1] + 0.5 * ph;
            double dx = d[4 * i] / wx, dy = d[4 * i + 1] / wy, dw = Math.Min(d[4 * i + 2] / ww, Clip), dh = Math.Min(d[4 * i + 3] / wh, Clip);
            double cx = dx * pw + px, cy = dy * ph + py, hw = 0.5 * Math.Exp(dw) * pw, hh = 0.5 * Math.Exp(dh) * ph;
            y.Data[4 * i] = (float)(cx - hw);
            y.Data[4 * i + 1] = (float)(cy - hh);
            y.Data[4 * i + 2] = (float)(cx + hw);
            y.Data[4 * i + 3] = (float)(cy + hh);
        }
        return y;
    }

    private static void Check(Tensor t, string what)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Rank != 2 || t.Shape[1] != 4) throw new ArgumentException($"box coder: expected {what} [K, 4], got {t.Shape}.");
    }
}
