using Striate.Backends;
using Striate.Tensors;

namespace Striate.Ops;

/// <summary>
/// The differentiable operations, in the manner of torch.nn.functional. Each validates its inputs (messages
/// name the op, what it expected and what it got), calls the backend, and records a graph node when a
/// gradient is needed. Each op's backward lives beside its forward.
/// </summary>
public static partial class F
{
    private static IBackend B => Backend.Current;

    /// <summary>How messages name the caller: the op ("conv2d"), the layer ("Conv2d") or the layer at its path ("Conv2d 'features.3'").</summary>
    internal static string Who(string op, string layer, string? module) =>
        module is null ? op : module.Length == 0 ? layer : $"{layer} '{module}'";

    /// <summary>Element strides of a contiguous tensor of <paramref name="shape"/>.</summary>
    internal static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /// <summary>The broadcast shape of two shapes (NumPy rules), or an error naming the op.</summary>
    internal static Shape BroadcastShape(Shape a, Shape b, string op)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Rank) >= 0 ? a[i - (rank - a.Rank)] : 1;
            int db = i - (rank - b.Rank) >= 0 ? b[i - (rank - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {a} and {b} cannot be broadcast together (dimension {i}: {da} vs {db}).");
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    /// <summary>Strides that read a tensor of <paramref name="input"/> shape as if it had <paramref name="output"/> shape.</summary>
    internal static int[] BroadcastStrides(Shape input, Shape output)
    {
        var s = new int[output.Rank];
        var own = ContiguousStrides(input.Dims);
        int lead = output.Rank - input.Rank;
        for (int i = 0; i < input.Rank; i++)
            s[lead + i] = input[i] == 1 && output[lead + i] != 1 ? 0 : own[i];
        return s;
    }

    /// <summary>Sums a gradient of the broadcast shape down to <paramref name="target"/>.</summary>
    internal static Tensor SumTo(Tensor g, Shape target)
    {
        if (g.Shape.Equals(target)) return g;
        var r = Tensor.Zeros(target);
        B.SumInto(g.Data, g.Shape.Dims, r.Data, BroadcastStrides(target, g.Shape));
        return r;
    }
}
