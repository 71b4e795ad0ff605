using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Striate.Backends.Cpu;

/// <summary>
/// Lowers one image of a 2-D convolution to the matrix that turns the convolution into a GEMM, and back.
/// </summary>
/// <remarks>
/// Row r = (c * KH + kh) * KW + kw of the matrix holds, for every output position (oh, ow), the input sample
/// x[c, oh * strideH - padTop + kh * dilationH, ow * strideW - padLeft + kw * dilationW], or 0 where that falls
/// outside the input. For one (row, oh) the valid ow form one interval, computed once, so the inner loops carry no
/// bounds tests: with stride 1 the interval is a block copy (or a vector add for the adjoint), with stride 2 a
/// vector permute, and with unit strides and "same" width a whole row of the matrix is a single copy.
/// </remarks>
public static class Im2Col
{
    // x: [C, H, W] of one image; cols: [(C/G)*KH*KW, OutH*OutW] for group g (channels g*C/G .. (g+1)*C/G-1). Zero outside the padded input.
    /// <summary>Writes the im2col matrix of <paramref name="group"/>'s channels of one image into <paramref name="cols"/>.</summary>
    /// <param name="geo">The convolution's shape.</param>
    /// <param name="image">One image, [C, H, W].</param>
    /// <param name="group">The channel group, 0 .. Groups-1.</param>
    /// <param name="cols">The matrix, [(C/G) * KH * KW, OutH * OutW]; every element is written.</param>
    /// <exception cref="ArgumentException">The geometry is invalid or a span is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="group"/> is not a group of the geometry.</exception>
    public static void Pack(in Conv2dGeometry geo, ReadOnlySpan<float> image, int group, Span<float> cols)
    {
        Validate(in geo, image.Length, group, cols.Length, nameof(image), nameof(cols));
        int height = geo.InHeight, width = geo.InWidth;
        int outHeight = geo.OutHeight, outWidth = geo.OutWidth;
        int plane = height * width;
        int colCols = outHeight * outWidth;
        int strideW = geo.StrideW;

        // With unit strides and "same" width, consecutive output rows read consecutive input rows at the same
        // stride, so a whole (c, kh, kw) row of the matrix is one block copy plus zeroing its padding columns.
        bool contiguous = geo.StrideH == 1 && strideW == 1 && outWidth == width;
        int row = 0;
        for (int ch = 0; ch < geo.InChannelsPerGroup; ch++)
        {
            ReadOnlySpan<float> x = image.Slice((group * geo.InChannelsPerGroup + ch) * plane, plane);
            for (int kh = 0; kh < geo.KernelHeight; kh++)
            {
                for (int kw = 0; kw < geo.KernelWidth; kw++, row++)
                {
                    Span<float> dst = cols.Slice(row * colCols, colCols);
                    int offset = kw * geo.DilationW - geo.PadLeft;
                    (int lo, int hi) = ValidOutputs(offset, strideW, width, outWidth);
                    if (contiguous)
                    {
                        PackContiguous(x, dst, kh * geo.DilationH - geo.PadTop, offset, lo, hi, height, width);
                        continue;
                    }

                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        Span<float> d = dst.Slice(oh * outWidth, outWidth);
                        int ih = oh * geo.StrideH - geo.PadTop + kh * geo.DilationH;
                        if ((uint)ih >= (uint)height || lo == hi)
                        {
                            d.Clear();
                            continue;
                        }

                        d[..lo].Clear();
                        d[hi..].Clear();
                        ReadOnlySpan<float> src = x.Slice(ih * width, width);
                        if (strideW == 1)
                        {
                            src.Slice(lo + offset, hi - lo).CopyTo(d[lo..hi]);
                        }
                        else
                        {
                            Gather(src.Slice(lo * strideW + offset, (hi - lo - 1) * strideW + 1), strideW, d[lo..hi]);
                        }
                    }
                }
            }
        }
    }

    // the adjoint: accumulates (+=) cols back into dImage [C, H, W] for that group's channels.
    /// <summary>
    /// Adds the im2col matrix <paramref name="cols"/> back into <paramref name="dImage"/> (the adjoint of
    /// <see cref="Pack"/>): each element is added to the input sample it was copied from; padding entries are dropped.
    /// </summary>
    /// <param name="geo">The convolution's shape.</param>
    /// <param name="cols">The matrix, [(C/G) * KH * KW, OutH * OutW].</param>
    /// <param name="group">The channel group, 0 .. Groups-1.</param>
    /// <param name="dImage">One image's gradient, [C, H, W]; only <paramref name="group"/>'s channels change.</param>
    /// <exception cref="ArgumentException">The geometry is invalid or a span is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="group"/> is not a group of the geometry.</exception>
    public static void Unpack(in Conv2dGeometry geo, ReadOnlySpan<float> cols, int group, Span<float> dImage)
    {
        Validate(in geo, dImage.Length, group, cols.Length, nameof(dImage), nameof(cols));
        int height = geo.InHeight, width = geo.InWidth;
        int outHeight = geo.OutHeight, outWidth = geo.OutWidth;
        int plane = height * width;
        int colCols = outHeight * outWidth;
        int strideW = geo.StrideW;
        int row = 0;
        for (int ch = 0; ch < geo.InChannelsPerGroup; ch++)
        {
            Span<float> dx = dImage.Slice((group * geo.InChannelsPerGroup + ch) * plane, plane);
            for (int kh = 0; kh < geo.KernelHeight; kh++)
            {
                for (int kw = 0; kw < geo.KernelWidth; kw++, row++)
                {
                    ReadOnlySpan<float> src = cols.Slice(row * colCols, colCols);
                    int offset = kw * geo.DilationW - geo.PadLeft;
                    (int lo, int hi) = ValidOutputs(offset, strideW, width, outWidth);
                    if (lo == hi)
                    {
                        continue;
                    }

                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        int ih = oh * geo.StrideH - geo.PadTop + kh * geo.DilationH;
                        if ((uint)ih >= (uint)height)
                        {
                            continue;
                        }

                        ReadOnlySpan<float> s = src.Slice(oh * outWidth + lo, hi - lo);
                        Span<float> d = dx.Slice(ih * width, width);
                        if (strideW == 1)
                        {
                            Span<float> target = d.Slice(lo + offset, hi - lo);
                            TensorPrimitives.Add(target, s, target);
                        }
                        else
                        {
                            ScatterAdd(s, d.Slice(lo * strideW + offset, (hi - lo - 1) * strideW + 1), strideW);
                        }
                    }
                }
            }
        }
    }

    // src: [(n - 1) * stride + 1]; dst: [n]. dst[i] = src[i * stride].
    private static void Gather(ReadOnlySpan<float> src, int stride, Span<float> dst)
    {
        // The slices were sized by the caller, so indexing through refs needs no per-element bounds checks.
        ref float s = ref MemoryMarshal.GetReference(src);
        ref float d = ref MemoryMarshal.GetReference(dst);
        int i = 0;
        if (stride == 2 && Avx512F.IsSupported)
        {
            // Stride 2 (the common downsampling case): the even lanes of two vectors, 16 outputs per permute.
            Vector512<int> evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            for (; i + 16 <= dst.Length && 2 * i + 32 <= src.Length; i += 16)
            {
                Vector512<float> low = Vector512.LoadUnsafe(ref s, (nuint)(2 * i));
                Vector512<float> high = Vector512.LoadUnsafe(ref s, (nuint)(2 * i + 16));
                Avx512F.PermuteVar16x32x2(low, evens, high).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < dst.Length; i++)
        {
            Unsafe.Add(ref d, i) = Unsafe.Add(ref s, i * stride);
        }
    }

    // src: [n]; dst: [(n - 1) * stride + 1]. dst[i * stride] += src[i].
    private static void ScatterAdd(ReadOnlySpan<float> src, Span<float> dst, int stride)
    {
        ref float s = ref MemoryMarshal.GetReference(src);
        ref float d = ref MemoryMarshal.GetReference(dst);
        for (int i = 0; i < src.Length; i++)
        {
            Unsafe.Add(ref d, i * stride) += Unsafe.Add(ref s, i);
        }
    }

    // x: [H, W] one channel; dst: [OutH, OutW] one matrix row, OutW == W, unit strides. dst[oh, ow] = x[oh + rowOffset, ow + offset] or 0.
    private static void PackContiguous(
        ReadOnlySpan<float> x, Span<float> dst, int rowOffset, int offset, int lo, int hi, int height, int width)
    {
        int outHeight = dst.Length / width;
        int first = Math.Clamp(-rowOffset, 0, outHeight);
        int last = Math.Clamp(height - rowOffset, first, outHeight);
        dst[..(first * width)].Clear();
        dst[(last * width)..].Clear();
        if (first == last || lo == hi)
        {
            dst.Slice(first * width, (last - first) * width).Clear();
            return;
        }

        // One copy spans the valid rows; where a row's window hangs over the input's edge it picks up samples
        // of the neighbouring row, which the loop below overwrites with the padding zeros.
        int start = first * width + lo;
        int length = (last - first - 1) * width + hi - lo;
        x.Slice((first + rowOffset) * width + lo + offset, length).CopyTo(dst.Slice(start, length));
        for (int oh = first; oh < last; oh++)
        {
            Span<float> d = dst.Slice(oh * width, width);
            d[..lo].Clear();
            d[hi..].Clear();
        }
    }

    /// <summary>The output columns [lo, hi) whose input column ow * stride + offset lies in [0, width).</summary>
    private static (int Lo, int Hi) ValidOutputs(int offset, int stride, int width, int outWidth)
    {
        int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int hi = width - 1 - offset < 0 ? 0 : (width - 1 - offset) / stride + 1;
        lo = Math.Min(lo, outWidth);
        hi = Math.Clamp(hi, lo, outWidth);
        return (lo, hi);
    }

    private static void Validate(in Conv2dGeometry geo, int imageLength, int group, int colsLength, string imageName, string colsName)
    {
        if (geo.InChannels < 1 || geo.InHeight < 1 || geo.InWidth < 1 || geo.KernelHeight < 1 || geo.KernelWidth < 1 ||
            geo.StrideH < 1 || geo.StrideW < 1 || geo.DilationH < 1 || geo.DilationW < 1 ||
            geo.PadTop < 0 || geo.PadBottom < 0 || geo.PadLeft < 0 || geo.PadRight < 0 ||
            geo.Groups < 1 || geo.InChannels % geo.Groups != 0 || geo.OutHeight < 1 || geo.OutWidth < 1)
        {
            throw new ArgumentException($"The convolution geometry {geo} is invalid.", nameof(geo));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(group);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(group, geo.Groups);

        long imageNeeded = (long)geo.InChannels * geo.InHeight * geo.InWidth;
        if (imageLength < imageNeeded)
        {
            throw new ArgumentException(
                $"A [{geo.InChannels}, {geo.InHeight}, {geo.InWidth}] image needs {imageNeeded} elements, but '{imageName}' has {imageLength}.",
                imageName);
        }

        long colsNeeded = (long)geo.ColRows * geo.ColCols;
        if (colsLength < colsNeeded)
        {
            throw new ArgumentException(
                $"A [{geo.ColRows}, {geo.ColCols}] im2col matrix needs {colsNeeded} elements, but '{colsName}' has {colsLength}.",
                colsName);
        }
    }
}
