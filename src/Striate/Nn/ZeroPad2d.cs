using Striate.Ops;

namespace Striate.Nn;

/// <summary>Pads with zeros. (torch.nn.ZeroPad2d.)</summary>
public sealed class ZeroPad2d : Pad2d
{
    /// <summary>The same amount on all four sides.</summary>
    public ZeroPad2d(int padding) : this(padding, padding, padding, padding) { }

    /// <summary>Columns on the left and right, rows on the top and bottom (PyTorch's order).</summary>
    public ZeroPad2d(int left, int right, int top, int bottom) : base(left, right, top, bottom, PadMode.Constant, 0f) { }
}
