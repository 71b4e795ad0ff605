using System.Globalization;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// nn.Upsample: resizes images [N, C, H, W] to a fixed size or by scale factors with <see cref="F.Interpolate(Tensor, int, int, InterpolationMode, bool)"/>
/// (nearest, nearest-exact or bilinear, with or without aligned corners). No parameters.
/// </summary>
public sealed class Upsample : Module
{
    /// <summary>To a fixed output size.</summary>
    public Upsample(int height, int width, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
    {
        if (height < 1 || width < 1) throw new ArgumentException($"Upsample: expected an output size of at least 1x1, got {height}x{width}.");
        Size = (height, width);
        Mode = mode;
        AlignCorners = alignCorners;
        Check();
    }

    /// <summary>By scale factors (the output is floor(H * scale) x floor(W * scale)).</summary>
    public Upsample(double scaleFactor, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
    {
        if (!(scaleFactor > 0) || double.IsInfinity(scaleFactor))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Upsample: expected a positive finite scale factor, got {scaleFactor}."));
        ScaleFactor = scaleFactor;
        Mode = mode;
        AlignCorners = alignCorners;
        Check();
    }

    public (int Height, int Width)? Size { get; }
    public double? ScaleFactor { get; }
    public InterpolationMode Mode { get; }
    public bool AlignCorners { get; }

    private void Check()
    {
        if (AlignCorners && Mode != InterpolationMode.Bilinear)
            throw new ArgumentException($"Upsample: alignCorners applies to bilinear interpolation only, not {Mode}.");
    }

    public override LayerCost Cost(Shape input, Shape output) => new(Mode == InterpolationMode.Bilinear ? 2L * output.Numel : 0);

    protected override Tensor OnForward(Tensor input) => Size is var (h, w)
        ? F.Interpolate(input, h, w, Mode, AlignCorners)
        : F.Interpolate(input, ScaleFactor!.Value, ScaleFactor.Value, Mode, AlignCorners);

    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture,
        $"{(Size is var (h, w) ? $"size=({h}, {w})" : $"scale_factor={ScaleFactor}")}, mode='{ModeName(Mode)}'{(Mode == InterpolationMode.Bilinear ? $", align_corners={AlignCorners}" : "")}");

    /// <summary>PyTorch's name of a mode: nearest, nearest-exact or bilinear.</summary>
    public static string ModeName(InterpolationMode mode) => mode switch
    {
        InterpolationMode.Nearest => "nearest",
        InterpolationMode.NearestExact => "nearest-exact",
        _ => "bilinear",
    };
}
