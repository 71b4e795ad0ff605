using Striate.Tensors;
using TorchSharp;
using ScalarType = TorchSharp.torch.ScalarType;
using TT = TorchSharp.torch.Tensor;

namespace Striate.Oracle.Tests.Ops;

/// <summary>
/// One row of an op table: input shapes, the Striate call and the libtorch call that should compute the same.
/// <see cref="Check"/> draws the inputs (uniform, seeded by the name), runs Striate in float32 and libtorch in
/// float64 on the same values, and asserts that the output, the inputs the op updates in place
/// (<see cref="Mutated"/>) and, for loss = sum(y * G) with a random G, the gradient of every input not listed in
/// <see cref="NoGrad"/> agree. libtorch then runs again in float32; where that disagrees with its float64 result the
/// case is reported (<see cref="Float32Report"/>), not failed.
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

    /// <summary>
    /// Asserts Striate against libtorch float64; then, unless <paramref name="float32"/> is false, records libtorch
    /// float32's disagreement with float64 in <paramref name="report"/> (the run's report unless given).
    /// </summary>
    public void Check(bool float32 = true, Float32Report? report = null)
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
        var upstream = Tensor.Uniform(gen, -1f, 1f, yShape).ToArray();
        if (anyGrad) y.Backward(Tensor.FromArray(upstream, yShape));

        var reference = RunTorch(data, upstream, ScalarType.Float64);
        if (float32)
        {
            var f32 = RunTorch(data, upstream, ScalarType.Float32);
            var parts = new List<(string, float[], float[])>();
            if (f32.Shape.SequenceEqual(reference.Shape)) parts.Add(("output", reference.Output, f32.Output));
            foreach (int i in Mutated) parts.Add(($"input {i} after the call", reference.Mutated[i]!, f32.Mutated[i]!));
            for (int i = 0; i < xs.Length; i++)
                if (reference.Grads[i] is { } g64 && f32.Grads[i] is { } g32) parts.Add(($"gradient of input {i}", g64, g32));
            (report ?? Float32Report.Run).Record(Name, RelTol, [.. parts]);
        }

        Assert.True(reference.Shape.SequenceEqual(yShape),
            $"{Name}: output shape {TorchInterop.Format(yShape)}, libtorch gives {TorchInterop.Format(reference.Shape)}.");
        OracleAssert.Close(reference.Output, yValues, RelTol, $"{Name}: output");
        foreach (int i in Mutated)
            OracleAssert.Close(reference.Mutated[i]!, xs[i].ToArray(), RelTol, $"{Name}: input {i} after the call");
        for (int i = 0; i < xs.Length; i++)
        {
            if (!xs[i].RequiresGrad) continue;
            float[] got = xs[i].Grad?.ToArray() ?? new float[data[i].Length];
            OracleAssert.Close(reference.Grads[i]!, got, RelTol, $"{Name}: gradient of input {i}");
        }
    }

    private sealed record TorchResult(float[] Output, int[] Shape, float[]?[] Mutated, float[]?[] Grads);

    // libtorch's output, in-place-updated inputs and input gradients (for upstream G) in the given precision.
    private TorchResult RunTorch(float[][] data, float[] upstream, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var ts = new TT[data.Length];
        for (int i = 0; i < ts.Length; i++)
            ts[i] = TorchInterop.ToTensor(data[i], Shapes[i], requiresGrad: !NoGrad.Contains(i), dtype);
        var ty = Torch(ts);
        TorchInterop.RequireDType(ty, dtype, $"the output of '{Name}'");
        var (output, shape) = TorchInterop.FromTensor(ty);
        var mutated = new float[]?[data.Length];
        foreach (int i in Mutated) mutated[i] = TorchInterop.ToArray(ts[i]);
        var grads = new float[]?[data.Length];
        // With an output shape other than Striate's the shape assertion fails; no gradient is taken then.
        if (ts.Any(t => t.requires_grad) && output.Length == upstream.Length)
        {
            ty.backward([TorchInterop.ToTensor(upstream, shape, dtype: dtype)]);
            for (int i = 0; i < ts.Length; i++)
            {
                if (!ts[i].requires_grad) continue;
                // An input the output does not depend on keeps no gradient in either library: compare as zeros.
                grads[i] = ts[i].grad is { } tg ? TorchInterop.ToArray(tg) : new float[data[i].Length];
            }
        }
        return new TorchResult(output, shape, mutated, grads);
    }
}
