using System.Globalization;
using Striate.Ops;

namespace Striate.Nn;

/// <summary>Pads with a constant value; negative amounts crop. (torch.nn.ConstantPad2d.)</summary>
public sealed class ConstantPad2d : Pad2d
{
    /// <summary>The same amount on all four sides.</summary>
    public ConstantPad2d(int padding, float value) : this(padding, padding, padding, padding, value) { }

    /// <summary>Columns on the left and right, rows on the top and bottom (PyTorch's order).</summary>
    public ConstantPad2d(int left, int right, int top, int bottom, float value) : base(left, right, top, bottom, PadMode.Constant, value) { }

    protected override string ExtraRepr() => $"padding={Tuple()}, value={Value.ToString(CultureInfo.InvariantCulture)}";
}
