namespace Striate.Ops;

/// <summary>How <see cref="F.Pad"/> fills the border (torch.nn.functional.pad's modes).</summary>
public enum PadMode
{
    /// <summary>A constant value (0 unless given); negative padding crops.</summary>
    Constant,

    /// <summary>The mirror image without repeating the edge: [a b c d] padded by 2 on the left is [c b a b c d].</summary>
    Reflect,

    /// <summary>The edge value repeated: [a b c d] padded by 2 on the left is [a a a b c d].</summary>
    Replicate,

    /// <summary>Wrapped around: [a b c d] padded by 2 on the left is [c d a b c d].</summary>
    Circular,
}
