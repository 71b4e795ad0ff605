using Striate.Tensors;
using TorchSharp;
using TT = TorchSharp.torch.Tensor;

namespace Striate.Oracle.Tests.Ops;

/// <summary>
/// One row of an op table: input shapes, the Striate call and the libtorch call that should compute the same.
/// <see cref="Check"/> draws the inputs (uniform, seeded by the name), runs both, and compares the output, the
/// inputs the op updates in place (<see cref="Mutated"/>) and, for loss = sum(y * G) with a random G, the
/// gradient of every input not listed in <see cref="NoGrad"/>.
/// </summary>
public sealed record OpOracle(string Name, int[][] Shapes, Func<Tensor[], Tensor> Striate, Func<TT[], TT> Torch)
{
    /// <summary>The default input range.</summary>
    public (float Low, float High) Range { get; init; } = (-1f, 1f);

    /// <summary>Per-input ranges overriding <see cref="Range"/> (a divisor kept away from zero, a variance above it).</summary>
    public IReadOnlyDictionary<int, (float Low, float High)> Ranges { get; init; } = new Dictionary<int, (float, float)>();

    /// <summary>Inputs whose gradient is not compared (and not requested from libtorch).</summary>
    public int[] NoGrad { get; init; } = [];

    /// <summary>Inputs the op updates in place; their values after the call are compared.</summary>
    public int[] Mutated { get; init; } = [];

    /// <summary>Tolerance of <see cref="OracleAssert.Close"/> for every comparison of this case.</summary>
    public double RelTol { get; init; } = 1e-4;

    public static OpOracle Case(string name, int[][] shapes, Func<Tensor[], Tensor> striate, Func<TT[], TT> torch) =>
        new(name, shapes, striate, torch);

    /// <summary>This case with input <paramref name="index"/> drawn from [low, high).</summary>
    public OpOracle In(int index, float low, float high) =>
        this with { Ranges = new Dictionary<int, (float, float)>(Ranges) { [index] = (low, high) } };

    public override string ToString() => Name;

    /// <summary>The case names of a table, for [MemberData]; the names must be unique.</summary>
    public static TheoryData<string> Names(IReadOnlyList<OpOracle> table)
    {
        var data = new TheoryData<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in table)
        {
            if (!seen.Add(c.Name)) throw new InvalidOperationException($"Two cases are named '{c.Name}'.");
            data.Add(c.Name);
        }
        return data;
    }

    /// <summary>Runs the case of <paramref name="table"/> named <paramref name="name"/>.</summary>
    public static void Check(IReadOnlyList<OpOracle> table, string name) => table.Single(c => c.Name == name).Check();

    /// <summary>A seed that depends only on the text (string.GetHashCode changes between runs).</summary>
    public static ulong Seed(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (char ch in text) h = (h ^ ch) * 1099511628211UL;
        return h;
    }

    public void Check()
    {
        var gen = new Generator(Seed(Name));
        var xs = new Tensor[Shapes.Length];
        var data = new float[Shapes.Length][];
        for (int i = 0; i < xs.Length; i++)
        {
            var (low, high) = Ranges.TryGetValue(i, out var r) ? r : Range;
            xs[i] = Tensor.Uniform(gen, low, high, Shapes[i]);
            xs[i].RequiresGrad = !NoGrad.Contains(i);
            data[i] = xs[i].ToArray();
        }
        bool anyGrad = xs.Any(x => x.RequiresGrad);

        var y = Striate(xs);
        float[] yValues = y.ToArray();
        int[] yShape = y.Shape.ToArray();
        var upstream = Tensor.Uniform(gen, -1f, 1f, yShape);
        if (anyGrad) y.Backward(upstream);

        using var scope = torch.NewDisposeScope();
        var ts = new TT[xs.Length];
        for (int i = 0; i < ts.Length; i++)
            ts[i] = TorchInterop.ToTensor(data[i], Shapes[i], requiresGrad: xs[i].RequiresGrad);
        var ty = Torch(ts);
        (float[] expected, int[] expectedShape) = TorchInterop.FromTensor(ty);

        Assert.True(expectedShape.SequenceEqual(yShape),
            $"{Name}: output shape {TorchInterop.Format(yShape)}, libtorch gives {TorchInterop.Format(expectedShape)}.");
        OracleAssert.Close(expected, yValues, RelTol, $"{Name}: output");
        foreach (int i in Mutated)
            OracleAssert.Close(TorchInterop.ToArray(ts[i]), xs[i].ToArray(), RelTol, $"{Name}: input {i} after the call");
        if (!anyGrad) return;

        ty.backward([TorchInterop.ToTensor(upstream.ToArray(), yShape)]);
        for (int i = 0; i < xs.Length; i++)
        {
            if (!xs[i].RequiresGrad) continue;
            // An input the output does not depend on keeps no gradient in either library: compare as zeros.
            float[] want = ts[i].grad is { } tg ? TorchInterop.ToArray(tg) : new float[data[i].Length];
            float[] got = xs[i].Grad?.ToArray() ?? new float[data[i].Length];
            OracleAssert.Close(want, got, RelTol, $"{Name}: gradient of input {i}");
        }
    }
}
