using Striate.Ops;

namespace Striate.Nn;

/// <summary>Pads by repeating the edge rows and columns. (torch.nn.ReplicationPad2d.)</summary>
public sealed class ReplicationPad2d : Pad2d
{
    /// <summary>The same amount on all four sides.</summary>
    public ReplicationPad2d(int padding) : this(padding, padding, padding, padding) { }

    /// <summary>Columns on the left and right, rows on the top and bottom (PyTorch's order).</summary>
    public ReplicationPad2d(int left, int right, int top, int bottom) : base(left, right, top, bottom, PadMode.Replicate, 0f) { }
}
