using Striate.Ops;

namespace Striate.Nn;

/// <summary>Pads by wrapping around (the left padding comes from the right edge); each amount at most the size. (torch.nn.CircularPad2d.)</summary>
public sealed class CircularPad2d : Pad2d
{
    /// <summary>The same amount on all four sides.</summary>
    public CircularPad2d(int padding) : this(padding, padding, padding, padding) { }

    /// <summary>Columns on the left and right, rows on the top and bottom (PyTorch's order).</summary>
    public CircularPad2d(int left, int right, int top, int bottom) : base(left, right, top, bottom, PadMode.Circular, 0f) { }
}
