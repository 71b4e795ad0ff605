using System.Runtime.CompilerServices;

namespace Striate.Backends.Cpu;

/// <summary>
/// A zero-bordered copy of one input plane for the direct convolution kernels: the plane placed at (top, left) of
/// a [Rows, Cols] buffer large enough for every window of the geometry, zeros elsewhere.
/// </summary>
internal readonly unsafe struct Padded
{
    private readonly int _h, _w, _top, _left;

    public Padded(in Conv2dGeometry g)
    {
        _h = g.InHeight;
        _w = g.InWidth;
        _top = g.PadTop;
        _left = g.PadLeft;
        Rows = Math.Max(g.InHeight + g.PadTop, (g.OutHeight - 1) * g.StrideH + (g.KernelHeight - 1) * g.DilationH + 1);
        Cols = Math.Max(g.InWidth + g.PadLeft, (g.OutWidth - 1) * g.StrideW + (g.KernelWidth - 1) * g.DilationW + 1);
    }

    public int Rows { get; }

    public int Cols { get; }

    public int Length => Rows * Cols;

    // dst [Rows, Cols] <- the plane [H, W] placed at (top, left), zeros elsewhere.
    public void Fill(float* dst, float* plane)
    {
        new Span<float>(dst, Length).Clear();
        for (int y = 0; y < _h; y++)
            Unsafe.CopyBlockUnaligned(dst + (long)(y + _top) * Cols + _left, plane + (long)y * _w, (uint)(_w * sizeof(float)));
    }

    // plane [H, W] <- the interior of src [Rows, Cols]; what fell on the border is dropped.
    public void Extract(float* src, float* plane)
    {
        for (int y = 0; y < _h; y++)
            Unsafe.CopyBlockUnaligned(plane + (long)y * _w, src + (long)(y + _top) * Cols + _left, (uint)(_w * sizeof(float)));
    }
}
