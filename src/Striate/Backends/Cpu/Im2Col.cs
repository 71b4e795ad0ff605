using System.Numerics.Tensors;

namespace Striate.Backends.Cpu;

/// <summary>
/// Lowers one image of a 2-D convolution to the matrix that turns the convolution into a GEMM, and back.
/// </summary>
/// <remarks>
/// Row r = (c * KH + kh) * KW + kw of the matrix holds, for every output position (oh, ow), the input sample
/// x[c, oh * strideH - padTop + kh * dilationH, ow * strideW - padLeft + kw * dilationW], or 0 where that falls
/// outside the input. For one (row, oh) the valid ow form one interval, computed once, so the inner loops carry no
/// bounds tests: with stride 1 the interval is a block copy (or a vector add for the adjoint).
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
                            for (int ow = lo, iw = lo * strideW + offset; ow < hi; ow++, iw += strideW)
                            {
                                d[ow] = src[iw];
                            }
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
                            for (int i = 0, iw = lo * strideW + offset; i < s.Length; i++, iw += strideW)
                            {
                                d[iw] += s[i];
                            }
                        }
                    }
                }
            }
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
