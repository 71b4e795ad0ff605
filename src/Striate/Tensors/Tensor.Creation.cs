namespace Striate.Tensors;

public sealed partial class Tensor
{
    /// <summary>An uninitialised tensor (pooled inside a <see cref="TensorScope"/>).</summary>
    public static Tensor Empty(Shape shape) => new(Storage.Allocate(shape.Numel, clear: false), shape);

    /// <inheritdoc cref="Empty(Shape)"/>
    public static Tensor Empty(params int[] shape) => Empty(new Shape(shape));

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(Shape shape) => new(Storage.Allocate(shape.Numel, clear: true), shape);

    /// <inheritdoc cref="Zeros(Shape)"/>
    public static Tensor Zeros(params int[] shape) => Zeros(new Shape(shape));

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(new Shape(shape), 1f);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, float value)
    {
        var t = Empty(shape);
        t.Data.Fill(value);
        return t;
    }

    /// <inheritdoc cref="Full(Shape, float)"/>
    public static Tensor Full(int[] shape, float value) => Full(new Shape(shape), value);

    /// <summary>A one-element tensor of rank 0.</summary>
    public static Tensor Scalar(float value) => Full(new Shape(), value);

    /// <summary>The values start, start + step, ... below end (1-D), as torch.arange.</summary>
    /// <exception cref="ArgumentException">step is zero or has the wrong sign.</exception>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0 || (end - start) * step < 0)
            throw new ArgumentException($"Arange: step {step} cannot go from {start} to {end}.");
        int n = (int)Math.Ceiling((end - start) / step);
        var t = Empty(n);
        for (int i = 0; i < n; i++) t.Data[i] = start + i * step;
        return t;
    }

    /// <inheritdoc cref="Arange(float, float, float)"/>
    public static Tensor Arange(int end) => Arange(0, end);

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    /// <exception cref="ArgumentException">The element counts differ.</exception>
    public static Tensor FromArray(ReadOnlySpan<float> data, params int[] shape)
    {
        var s = new Shape(shape);
        if (s.Numel != data.Length)
            throw new ArgumentException($"FromArray: shape {s} holds {s.Numel} elements but {data.Length} values were given.");
        var t = Empty(s);
        data.CopyTo(t.Data);
        return t;
    }

    /// <summary>A 2-D tensor from a rectangular jagged array.</summary>
    public static Tensor FromRows(float[][] rows)
    {
        int r = rows.Length, c = r == 0 ? 0 : rows[0].Length;
        var t = Empty(r, c);
        for (int i = 0; i < r; i++)
        {
            if (rows[i].Length != c)
                throw new ArgumentException($"FromRows: row {i} has {rows[i].Length} values, expected {c} like row 0.");
            rows[i].CopyTo(t.Data.Slice(i * c, c));
        }
        return t;
    }

    /// <summary>Uniform values in [low, high) from a seeded generator.</summary>
    public static Tensor Uniform(Generator generator, float low, float high, params int[] shape)
    {
        var t = Empty(shape);
        generator.FillUniform(t.Data, low, high);
        return t;
    }

    /// <summary>Normal values from a seeded generator.</summary>
    public static Tensor Normal(Generator generator, float mean, float std, params int[] shape)
    {
        var t = Empty(shape);
        generator.FillNormal(t.Data, mean, std);
        return t;
    }

    /// <summary>Uniform values in [0, 1).</summary>
    public static Tensor Rand(Generator generator, params int[] shape) => Uniform(generator, 0f, 1f, shape);

    /// <summary>Standard normal values.</summary>
    public static Tensor Randn(Generator generator, params int[] shape) => Normal(generator, 0f, 1f, shape);

    /// <summary>A persistent (never pooled) tensor, for parameters, buffers and optimizer state.</summary>
    public static Tensor Persistent(Shape shape) => new(Storage.Persistent(shape.Numel), shape);

    /// <summary>A persistent copy of this tensor's values, outside any scope and any graph.</summary>
    public Tensor Clone()
    {
        var t = Persistent(Shape);
        Data.CopyTo(t.Data);
        return t;
    }

    /// <summary>Wraps <paramref name="data"/> without copying; the tensor owns the array from then on.</summary>
    public static Tensor Wrap(float[] data, params int[] shape)
    {
        var s = new Shape(shape);
        if (s.Numel != data.Length)
            throw new ArgumentException($"Wrap: shape {s} holds {s.Numel} elements but the array has {data.Length}.");
        return new Tensor(Storage.Wrap(data), s);
    }
}
