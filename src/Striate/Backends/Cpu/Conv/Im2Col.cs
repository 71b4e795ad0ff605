using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Striate.Backends.Cpu;

/// <summary>
/// Image-to-column packing for convolution as matrix multiply, and its adjoint. Row r = (c, ki, kj) of the
/// column matrix holds, for every output position, the input pixel that kernel tap (ki, kj) of channel c sees.
/// </summary>
/// <remarks>
/// The group's channels are first copied into a zero-bordered buffer, so every tap reads whole rows with no
/// bounds tests; rows are short (an output row), so they are copied with raw block moves rather than span
/// slicing, whose per-call cost dominated at LeNet sizes.
/// </remarks>
public static unsafe class Im2Col
{
    // image: [C, H, W] of one image; cols: [(C/G)*KH*KW, ldCols] for group g, OH*OW columns used per row
    // (ldCols 0 means OH*OW; a larger stride lets several images share one column matrix side by side).
    // Zero outside the padded input. With a channel range, only the rows of channels [first, first+count) of the
    // group are written (so threads can build one matrix together).
    public static void Pack(in Conv2dGeometry geo, ReadOnlySpan<float> image, int group, Span<float> cols, int ldCols = 0,
        int firstChannel = 0, int channelCount = -1)
    {
        int ld = Validate(geo, group, image.Length, "image", cols.Length, ldCols, "Pack");
        int cpg = geo.InChannelsPerGroup, oh = geo.OutHeight, ow = geo.OutWidth, h = geo.InHeight, w = geo.InWidth;
        var (c0, cn) = ChannelRange(cpg, firstChannel, channelCount);
        int hp = h + geo.PadTop + Math.Max(geo.PadBottom, 0), wp = w + geo.PadLeft + Math.Max(geo.PadRight, 0);
        // Taps may reach past the bottom/right edge only by the padding; the buffer covers that.
        hp = Math.Max(hp, (oh - 1) * geo.StrideH + (geo.KernelHeight - 1) * geo.DilationH + 1);
        wp = Math.Max(wp, (ow - 1) * geo.StrideW + (geo.KernelWidth - 1) * geo.DilationW + 1);
        // Without padding every tap already lies inside the image: read it in place, no bordered copy.
        bool inPlace = hp == h && wp == w;
        float[]? padded = inPlace ? null : ArrayPool<float>.Shared.Rent(Math.Max(1, cn * hp * wp));
        try
        {
            fixed (float* src0 = image, dst0 = cols, buffer = padded)
            {
                float* first = src0 + (long)(group * cpg + c0) * h * w;
                float* pad0 = inPlace ? first : buffer;
                if (!inPlace)
                {
                    new Span<float>(pad0, cn * hp * wp).Clear();
                    for (int c = 0; c < cn; c++)
                    {
                        float* plane = first + (long)c * h * w;
                        float* pplane = pad0 + (long)c * hp * wp;
                        for (int y = 0; y < h; y++)
                            Unsafe.CopyBlockUnaligned(pplane + (long)(y + geo.PadTop) * wp + geo.PadLeft, plane + (long)y * w, (uint)(w * sizeof(float)));
                    }
                }
                CopyTaps(geo, pad0, cn, hp, wp, dst0 + (long)c0 * geo.KernelHeight * geo.KernelWidth * ld, ld, oh);
            }
        }
        finally
        {
            if (padded is not null) ArrayPool<float>.Shared.Return(padded);
        }
    }

    // image: [C, H, W] of one image, one group; cols: [C*KH*KW, ld] <- the columns of output rows [firstRow,
    // firstRow + rowCount) (rowCount*OW used per row). Only the input rows those outputs read are copied into a
    // zero-bordered buffer, so a band of a large image is built in cache without touching the rest.
    internal static void PackRows(in Conv2dGeometry geo, ReadOnlySpan<float> image, Span<float> cols, int ld, int firstRow, int rowCount)
    {
        int c = geo.InChannels, h = geo.InHeight, w = geo.InWidth, oh = geo.OutHeight, ow = geo.OutWidth;
        if (geo.Groups != 1)
            throw new ArgumentException($"Im2Col.PackRows: one group expected, found {geo.Groups}.", nameof(geo));
        if (firstRow < 0 || rowCount < 1 || firstRow + rowCount > oh)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"Im2Col.PackRows: output rows [{firstRow}, {firstRow + rowCount}) are not within the {oh} rows.");
        if (ld < rowCount * ow)
            throw new ArgumentOutOfRangeException(nameof(ld), ld, $"Im2Col.PackRows: the column stride must be at least {rowCount * ow}.");
        if (image.Length < (long)c * h * w)
            throw new ArgumentException($"Im2Col.PackRows: the image needs {(long)c * h * w} values, got {image.Length}.", nameof(image));
        if (cols.Length < (long)(geo.ColRows - 1) * ld + rowCount * ow)
            throw new ArgumentException($"Im2Col.PackRows: the columns need {(long)(geo.ColRows - 1) * ld + rowCount * ow} values, got {cols.Length}.", nameof(cols));
        int wp = Math.Max(w + geo.PadLeft + Math.Max(geo.PadRight, 0), (ow - 1) * geo.StrideW + (geo.KernelWidth - 1) * geo.DilationW + 1);
        // Padded rows [top, top + rows) are the ones the band's taps read.
        int top = firstRow * geo.StrideH, rows = (rowCount - 1) * geo.StrideH + (geo.KernelHeight - 1) * geo.DilationH + 1;
        float[] padded = ArrayPool<float>.Shared.Rent(c * rows * wp);
        try
        {
            fixed (float* src0 = image, dst0 = cols, pad0 = padded)
            {
                new Span<float>(pad0, c * rows * wp).Clear();
                for (int ch = 0; ch < c; ch++)
                    for (int r = 0; r < rows; r++)
                    {
                        int y = top + r - geo.PadTop;
                        if (y >= 0 && y < h)
                            Unsafe.CopyBlockUnaligned(pad0 + ((long)ch * rows + r) * wp + geo.PadLeft, src0 + ((long)ch * h + y) * w, (uint)(w * sizeof(float)));
                    }
                CopyTaps(geo, pad0, c, rows, wp, dst0, ld, rowCount);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
        }
    }

    // pad0: channels zero-bordered planes of planeRows x wp, the first row the one output row 0 of the band reads at
    // tap row 0; dst: their column rows, ld apart, each receiving rowCount output rows of OW.
    private static void CopyTaps(in Conv2dGeometry geo, float* pad0, int channels, int planeRows, int wp, float* dst, int ld, int rowCount)
    {
        int ow = geo.OutWidth, rowBytes = ow * sizeof(float);
        float* rowStart = dst;
        for (int c = 0; c < channels; c++)
            for (int ki = 0; ki < geo.KernelHeight; ki++)
                for (int kj = 0; kj < geo.KernelWidth; kj++, rowStart += ld)
                {
                    float* tap = pad0 + (long)c * planeRows * wp + (long)ki * geo.DilationH * wp + kj * geo.DilationW;
                    float* d = rowStart;
                    for (int y = 0; y < rowCount; y++, d += ow)
                    {
                        float* s = tap + (long)y * geo.StrideH * wp;
                        if (geo.StrideW == 1)
                            Unsafe.CopyBlockUnaligned(d, s, (uint)rowBytes);
                        else if (geo.StrideW == 2)
                            CopyEven(d, s, ow, wp - kj * geo.DilationW);
                        else
                            for (int x = 0; x < ow; x++) d[x] = s[x * geo.StrideW];
                    }
                }
    }

    private static (int First, int Count) ChannelRange(int channels, int first, int count)
    {
        int n = count < 0 ? channels - first : count;
        if (first < 0 || n < 0 || first + n > channels)
            throw new ArgumentOutOfRangeException(nameof(first), $"Im2Col: channels [{first}, {first + n}) are not within the group's {channels}.");
        return (first, n);
    }

    // The adjoint of Pack: accumulates (+=) cols [(C/G)*KH*KW, ldCols] back into dImage [C, H, W] for that group's channels
    // (or, with a channel range, for channels [first, first+count) of the group only).
    public static void Unpack(in Conv2dGeometry geo, ReadOnlySpan<float> cols, int group, Span<float> dImage, int ldCols = 0,
        int firstChannel = 0, int channelCount = -1)
    {
        int ld = Validate(geo, group, dImage.Length, "dImage", cols.Length, ldCols, "Unpack");
        int cpg = geo.InChannelsPerGroup, oh = geo.OutHeight, ow = geo.OutWidth, h = geo.InHeight, w = geo.InWidth;
        var (c0, cn) = ChannelRange(cpg, firstChannel, channelCount);
        int hp = Math.Max(h + geo.PadTop + Math.Max(geo.PadBottom, 0), (oh - 1) * geo.StrideH + (geo.KernelHeight - 1) * geo.DilationH + 1);
        int wp = Math.Max(w + geo.PadLeft + Math.Max(geo.PadRight, 0), (ow - 1) * geo.StrideW + (geo.KernelWidth - 1) * geo.DilationW + 1);
        float[] padded = ArrayPool<float>.Shared.Rent(Math.Max(1, cn * hp * wp));
        try
        {
            fixed (float* src0 = cols, dst0 = dImage, pad0 = padded)
            {
                var pad = new Span<float>(pad0, cn * hp * wp);
                pad.Clear();
                float* rowStart = src0 + (long)c0 * geo.KernelHeight * geo.KernelWidth * ld;
                for (int c = 0; c < cn; c++)
                    for (int ki = 0; ki < geo.KernelHeight; ki++)
                        for (int kj = 0; kj < geo.KernelWidth; kj++, rowStart += ld)
                        {
                            float* tap = pad0 + (long)c * hp * wp + (long)ki * geo.DilationH * wp + kj * geo.DilationW;
                            float* src = rowStart;
                            for (int y = 0; y < oh; y++, src += ow)
                            {
                                float* d = tap + (long)y * geo.StrideH * wp;
                                if (geo.StrideW == 1)
                                {
                                    AddRow(d, src, ow);
                                }
                                else if (geo.StrideW == 2)
                                {
                                    AddEven(d, src, ow, wp - kj * geo.DilationW);
                                }
                                else
                                {
                                    for (int x = 0; x < ow; x++) d[x * geo.StrideW] += src[x];
                                }
                            }
                        }
                // Only the interior maps back to the image; what fell on the padding is dropped.
                for (int c = 0; c < cn; c++)
                {
                    float* plane = dst0 + (long)(group * cpg + c0 + c) * h * w;
                    float* pplane = pad0 + (long)c * hp * wp;
                    for (int y = 0; y < h; y++)
                        AddRow(plane + (long)y * w, pplane + (long)(y + geo.PadTop) * wp + geo.PadLeft, w);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
        }
    }

    // dst[x] = src[2x] for x < n, where src has `available` readable floats: eight at a time by loading sixteen and
    // keeping the even ones (stride-2 layers such as a ResNet stem), then one at a time.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyEven(float* dst, float* src, int n, int available)
    {
        int x = 0;
        if (Avx2.IsSupported)
        {
            var evens = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            for (; x + 8 <= n && 2 * x + 16 <= available; x += 8)
            {
                var lo = Avx2.PermuteVar8x32(Vector256.Load(src + 2 * x), evens);
                var hi = Avx2.PermuteVar8x32(Vector256.Load(src + 2 * x + 8), evens);
                Vector256.Create(lo.GetLower(), hi.GetLower()).Store(dst + x);
            }
        }
        for (; x < n; x++) dst[x] = src[2 * x];
    }

    // dst[2x] += src[x] for x < n, where dst has `available` writable floats: eight at a time by interleaving src with
    // zeros and adding sixteen (stride-2 layers), then one at a time.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddEven(float* dst, float* src, int n, int available)
    {
        int x = 0;
        if (Avx.IsSupported)
        {
            for (; x + 8 <= n && 2 * x + 16 <= available; x += 8)
            {
                var s = Vector256.Load(src + x);
                var low = Avx.UnpackLow(s, Vector256<float>.Zero);
                var high = Avx.UnpackHigh(s, Vector256<float>.Zero);
                float* d = dst + 2 * x;
                Vector256.Store(Vector256.Load(d) + Avx.Permute2x128(low, high, 0x20), d);
                Vector256.Store(Vector256.Load(d + 8) + Avx.Permute2x128(low, high, 0x31), d + 8);
            }
        }
        for (; x < n; x++) dst[2 * x] += src[x];
    }

    // dst[0..n) += src[0..n). The rows are short (an output row: 10 floats in LeNet's second layer), where a library
    // call's fixed cost outweighs the work: a plain vector loop with a scalar tail.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(float* dst, float* src, int n)
    {
        int x = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; x <= n - 8; x += 8)
                Vector256.Store(Vector256.Load(dst + x) + Vector256.Load(src + x), dst + x);
        for (; x < n; x++) dst[x] += src[x];
    }

    /// <summary>Checks the geometry and lengths; returns the column matrix's row stride.</summary>
    private static int Validate(in Conv2dGeometry geo, int group, int imageLength, string imageName, int colsLength, int ldCols, string what)
    {
        if (geo.Groups < 1 || geo.InChannels % geo.Groups != 0 || geo.StrideH < 1 || geo.StrideW < 1 || geo.DilationH < 1 || geo.DilationW < 1
            || geo.KernelHeight < 1 || geo.KernelWidth < 1 || geo.OutHeight < 1 || geo.OutWidth < 1 || geo.PadTop < 0 || geo.PadLeft < 0)
            throw new ArgumentException($"Im2Col.{what}: invalid geometry {geo}.", nameof(geo));
        if (group < 0 || group >= geo.Groups)
            throw new ArgumentOutOfRangeException(nameof(group), $"Im2Col.{what}: group {group} is not in [0, {geo.Groups}).");
        long image = (long)geo.InChannels * geo.InHeight * geo.InWidth;
        int ld = ldCols == 0 ? geo.ColCols : ldCols;
        if (ld < geo.ColCols)
            throw new ArgumentOutOfRangeException(nameof(ldCols), ldCols, $"Im2Col.{what}: the column stride must be at least OH*OW = {geo.ColCols}.");
        long cols = (long)(geo.ColRows - 1) * ld + geo.ColCols;
        if (imageLength < image)
            throw new ArgumentException($"Im2Col.{what}: the image needs {image} values, got {imageLength}.", imageName);
        if (colsLength < cols)
            throw new ArgumentException($"Im2Col.{what}: the columns need {cols} values, got {colsLength}.", "cols");
        return ld;
    }
}
