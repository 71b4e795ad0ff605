using System.Buffers;
using Striate.Threading;

namespace Striate.Backends.Cpu;

public static unsafe partial class ConvKernels
{
    /// <summary>Most columns in one band of output rows: B's rows are then read in place by the GEMM.</summary>
    private const int BandColumns = 1024;

    /// <summary>
    /// Whether the forward pass runs in bands of output rows: one-group, non-pointwise layers whose image gives more
    /// columns than <see cref="BandColumns"/> (ResNet's and VGG's first layers at 224x224: 12,544 and 50,176). The
    /// whole image's column matrix (7 and 5 MB there) went through memory three times, written by im2col, packed by
    /// the GEMM and read back; a band of at most 1,024 columns is built in cache and read in place.
    /// </summary>
    private static bool Banded(in Conv2dGeometry g) =>
        g.Groups == 1 && !IsPointwise(g) && g.ColCols > BandColumns && g.OutWidth <= BandColumns;

    // x: [N, C, H, W]; w: [OC, C, KH, KW]; bias: [OC] or empty; residual: [N, OC, OH, OW] or empty; y: [N, OC, OH, OW].
    // Work items are (image, band) pairs spread over the threads, each with a single-threaded GEMM writing its rows of
    // y in place (ldc = OH*OW); columns are independent, so the result equals the unbanded one bit for bit.
    private static void ForwardBands(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, bool relu, Span<float> y)
    {
        var geo = g;
        int perBand = Math.Max(1, BandColumns / g.OutWidth);
        int bands = (g.OutHeight + perBand - 1) / perBand;
        // A few more bands when that makes the (image, band) items a multiple of the thread count: one image of
        // ResNet-18's stem is 13 bands of 9 rows, one thread doing 7 while the other did 6; 14 of 8 split evenly.
        int threads = Parallelism.Threads;
        for (int more = bands; more < Math.Min(g.OutHeight, 2 * bands); more++)
            if ((long)g.Batch * more % threads == 0)
            {
                bands = more;
                break;
            }
        // Rows spread evenly over the bands, so the last is not a sliver.
        int rows = (g.OutHeight + bands - 1) / bands;
        bands = (g.OutHeight + rows - 1) / rows;
        int items = g.Batch * bands, parts = Math.Min(Parallelism.Threads, items);
        int k = g.ColRows, hw = g.ColCols, oc = g.OutChannels;
        fixed (float* px = x, pw = w, pb = bias, pr = residual, py = y)
        {
            nint ax = (nint)px, aw = (nint)pw, ab = (nint)pb, ar = (nint)pr, ay = (nint)py;
            int biasLength = bias.Length, residualLength = residual.Length, xLength = x.Length, yLength = y.Length;
            Parallelism.For(parts, parts, part =>
            {
                float[] cols = ArrayPool<float>.Shared.Rent(k * rows * geo.OutWidth);
                try
                {
                    var xs = new ReadOnlySpan<float>((void*)ax, xLength);
                    var ws = new ReadOnlySpan<float>((void*)aw, oc * k);
                    var bs = new ReadOnlySpan<float>((void*)ab, biasLength);
                    var rs = new ReadOnlySpan<float>((void*)ar, residualLength);
                    var ys = new Span<float>((void*)ay, yLength);
                    for (int item = (int)((long)part * items / parts), end = (int)((long)(part + 1) * items / parts); item < end; item++)
                    {
                        int n = item / bands, y0 = item % bands * rows, count = Math.Min(rows, geo.OutHeight - y0), columns = count * geo.OutWidth;
                        Im2Col.PackRows(geo, xs.Slice(n * InPlane(geo), InPlane(geo)), cols, columns, y0, count);
                        int at = n * OutPlane(geo) + y0 * geo.OutWidth;
                        Gemm.Sgemm(Gemm.DefaultKernel, 1, false, false, oc, columns, k, 1f, ws, k, cols, columns, 0f,
                            ys.Slice(at, (oc - 1) * hw + columns), hw);
                        for (int o = 0; o < oc; o++)
                        {
                            var band = ys.Slice(at + o * hw, columns);
                            Epilogue(band, bs.IsEmpty ? 0f : bs[o], rs.IsEmpty ? default : rs.Slice(at + o * hw, columns), relu, band);
                        }
                    }
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(cols);
                }
            });
        }
    }
}
