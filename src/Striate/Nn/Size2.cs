namespace Striate.Nn;

/// <summary>A height and width pair that converts from one int (both the same) or a tuple, as PyTorch's int-or-pair arguments.</summary>
public readonly record struct Size2(int H, int W)
{
    public static implicit operator Size2(int v) => new(v, v);

    public static implicit operator Size2((int H, int W) v) => new(v.H, v.W);

    public static implicit operator (int H, int W)(Size2 s) => (s.H, s.W);

    public override string ToString() => $"({H}, {W})";
}
