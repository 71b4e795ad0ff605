namespace Striate.Ops;

/// <summary>
/// Zero padding of a 2-D convolution: explicit per side, symmetric, or the modes <c>same</c> (output size
/// equals input size at stride 1; an odd total puts the extra row and column at the bottom and right, as
/// PyTorch does) and <c>valid</c> (no padding).
/// </summary>
public readonly record struct Padding2d(int Top, int Bottom, int Left, int Right, PaddingMode Mode = PaddingMode.Explicit)
{
    /// <summary>The same padding on every side.</summary>
    public static Padding2d All(int p) => new(p, p, p, p);

    /// <summary>padH rows above and below, padW columns left and right.</summary>
    public static Padding2d Symmetric(int padH, int padW) => new(padH, padH, padW, padW);

    /// <summary>No padding.</summary>
    public static Padding2d Valid => new(0, 0, 0, 0, PaddingMode.Valid);

    /// <summary>Output as large as the input (stride 1 only).</summary>
    public static Padding2d Same => new(0, 0, 0, 0, PaddingMode.Same);

    public static implicit operator Padding2d(int p) => All(p);

    /// <summary>Parses "same", "valid", "p", "h,w" or "top,bottom,left,right".</summary>
    /// <exception cref="FormatException">The text is none of those.</exception>
    public static Padding2d Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "same") return Same;
        if (t == "valid") return Valid;
        var parts = t.Split(',', StringSplitOptions.TrimEntries);
        var v = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out v[i]) || v[i] < 0)
                throw new FormatException($"Padding '{text}': expected same, valid, P, H,W or TOP,BOTTOM,LEFT,RIGHT with non-negative integers.");
        return v.Length switch
        {
            1 => All(v[0]),
            2 => Symmetric(v[0], v[1]),
            4 => new Padding2d(v[0], v[1], v[2], v[3]),
            _ => throw new FormatException($"Padding '{text}': expected 1, 2 or 4 numbers, got {v.Length}."),
        };
    }

    /// <summary>The explicit per-side padding for a kernel of the given size and dilation.</summary>
    public (int Top, int Bottom, int Left, int Right) Resolve(int kernelH, int kernelW, int dilationH, int dilationW)
    {
        if (Mode == PaddingMode.Valid) return (0, 0, 0, 0);
        if (Mode == PaddingMode.Same)
        {
            int th = dilationH * (kernelH - 1), tw = dilationW * (kernelW - 1);
            return (th / 2, th - th / 2, tw / 2, tw - tw / 2);
        }
        return (Top, Bottom, Left, Right);
    }

    public override string ToString() => Mode switch
    {
        PaddingMode.Same => "same",
        PaddingMode.Valid => "valid",
        _ when Top == Bottom && Left == Right && Top == Left => Top.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ when Top == Bottom && Left == Right => $"({Top}, {Left})",
        _ => $"({Top}, {Bottom}, {Left}, {Right})",
    };
}

/// <summary>How a <see cref="Padding2d"/> is given.</summary>
public enum PaddingMode
{
    Explicit,
    Same,
    Valid,
}
