using System.Globalization;

namespace Striate.Backends.Cpu;

/// <summary>
/// The length checks at the entry of every public kernel: the kernels index with raw pointers inside, so a buffer
/// shorter than its geometry says is refused first, with a message naming the kernel, the buffer and both lengths.
/// Nothing is formatted unless a check fails (a training step must not allocate).
/// </summary>
internal static class KernelSpans
{
    /// <summary>Refuses a buffer of <paramref name="length"/> values where <paramref name="needed"/> are read or
    /// written; <paramref name="layout"/> names its dimensions ("[N, C, H, W]").</summary>
    public static void Require(int length, long needed, string kernel, string buffer, string layout)
    {
        if (length < needed) throw Short(length, needed, kernel, buffer, layout);
    }

    /// <summary>As <see cref="Require(int, long, string, string, string)"/>, naming the geometry in the message.</summary>
    public static void Require<TGeometry>(int length, long needed, string kernel, string buffer, string layout, in TGeometry geometry)
        where TGeometry : struct
    {
        if (length < needed) throw Short(length, needed, kernel, buffer, $"{layout} of {geometry}");
    }

    /// <summary>As <see cref="Require(int, long, string, string, string)"/>, but an empty buffer (an input the call goes without) passes.</summary>
    public static void Optional(int length, long needed, string kernel, string buffer, string layout)
    {
        if (length != 0 && length < needed) throw Short(length, needed, kernel, buffer, layout);
    }

    /// <summary>The buffers of a convolution: input, weight and output; bias [OC] and residual (the output's shape) when given.</summary>
    public static void Conv(in Conv2dGeometry g, string kernel, int x, int w, int y, int bias = 0, int residual = 0)
    {
        Require(x, g.InputLength, kernel, "x", "[N, C, H, W]", g);
        Require(w, g.WeightLength, kernel, "w", "[OC, C/G, KH, KW]", g);
        Require(y, g.OutputLength, kernel, "y", "[N, OC, OH, OW]", g);
        if (bias != 0) Require(bias, g.OutChannels, kernel, "bias", "[OC]", g);
        if (residual != 0) Require(residual, g.OutputLength, kernel, "residual", "[N, OC, OH, OW]", g);
    }

    private static ArgumentException Short(int length, long needed, string kernel, string buffer, string layout) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{kernel}: {buffer} holds {length} values, {needed} needed ({layout})."), buffer);
}
