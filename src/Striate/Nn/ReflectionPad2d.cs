using Striate.Ops;

namespace Striate.Nn;

/// <summary>Pads with the mirror image of the border, without repeating the edge row or column; each amount must be smaller than the size it mirrors. (torch.nn.ReflectionPad2d.)</summary>
public sealed class ReflectionPad2d : Pad2d
{
    /// <summary>The same amount on all four sides.</summary>
    public ReflectionPad2d(int padding) : this(padding, padding, padding, padding) { }

    /// <summary>Columns on the left and right, rows on the top and bottom (PyTorch's order).</summary>
    public ReflectionPad2d(int left, int right, int top, int bottom) : base(left, right, top, bottom, PadMode.Reflect, 0f) { }
}
