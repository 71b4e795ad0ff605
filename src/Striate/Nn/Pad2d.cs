using System.Globalization;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// The padding layers of images (C, H, W) or batches (N, C, H, W): <see cref="ZeroPad2d"/>, <see cref="ConstantPad2d"/>,
/// <see cref="ReflectionPad2d"/>, <see cref="ReplicationPad2d"/> and <see cref="CircularPad2d"/>, each
/// <see cref="F.Pad"/> of the last two dimensions with (left, right, top, bottom): H becomes H + top + bottom and W
/// becomes W + left + right. No parameters.
/// </summary>
public abstract class Pad2d : Module
{
    private protected Pad2d(int left, int right, int top, int bottom, PadMode mode, float value)
    {
        if (mode != PadMode.Constant && (left < 0 || right < 0 || top < 0 || bottom < 0))
            throw new ArgumentException($"{GetType().Name}: padding must be >= 0, got ({left}, {right}, {top}, {bottom}).");
        if (!float.IsFinite(value))
            throw new ArgumentException($"{GetType().Name}: the fill value must be finite, got {value.ToString(CultureInfo.InvariantCulture)}.");
        Padding = (left, right, top, bottom);
        Mode = mode;
        Value = value;
    }

    /// <summary>Columns added on the left and right, rows on the top and bottom (negative amounts crop, constant modes only).</summary>
    public (int Left, int Right, int Top, int Bottom) Padding { get; }

    /// <summary>How the border is filled.</summary>
    public PadMode Mode { get; }

    /// <summary>The fill of constant padding (0 for the other modes).</summary>
    public float Value { get; }

    protected override Tensor OnForward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string who = string.IsNullOrEmpty(Path) ? GetType().Name : $"{GetType().Name} '{Path}'";
        if (input.Rank is not (3 or 4))
            throw new ArgumentException($"{who} expects an image [C, H, W] or a batch [N, C, H, W], got {input.Shape}.");
        var (l, r, t, b) = Padding;
        return F.PadNamed(input, [l, r, t, b], Mode, Value, who);
    }

    private protected string Tuple() => $"({Padding.Left}, {Padding.Right}, {Padding.Top}, {Padding.Bottom})";

    protected override string ExtraRepr() => Tuple();
}
