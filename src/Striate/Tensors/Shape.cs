using System.Collections;
using System.Text;

namespace Striate.Tensors;

/// <summary>
/// The dimensions of a tensor, outermost first (NCHW for images). Immutable; equality is by value.
/// </summary>
public sealed class Shape : IReadOnlyList<int>, IEquatable<Shape>
{
    private readonly int[] _dims;

    /// <summary>Creates a shape; every dimension must be zero or positive and the element count must fit in an int.</summary>
    /// <exception cref="ArgumentException">A dimension is negative or the element count overflows.</exception>
    public Shape(params ReadOnlySpan<int> dims)
    {
        _dims = dims.ToArray();
        long n = 1;
        foreach (int d in _dims)
        {
            if (d < 0)
                throw new ArgumentException($"Shape {Format(_dims)}: dimensions must be >= 0, got {d}.");
            n *= d;
            if (n > int.MaxValue)
                throw new ArgumentException($"Shape {Format(_dims)} has more than {int.MaxValue} elements.");
        }
        Numel = (int)n;
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <summary>Product of the dimensions (1 for a scalar shape).</summary>
    public int Numel { get; }

    public int Count => _dims.Length;

    public int this[int index] => _dims[index < 0 ? index + _dims.Length : index];

    /// <summary>The dimensions as a span, without copying.</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Resolves a possibly negative dimension index (-1 is the last) and checks its range.</summary>
    public int Axis(int dim, string op)
    {
        int r = dim < 0 ? dim + Rank : dim;
        if (r < 0 || r >= Rank)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} is out of range for a tensor of rank {Rank} (shape {this}).");
        return r;
    }

    /// <summary>Product of the dimensions before <paramref name="axis"/>.</summary>
    public int Outer(int axis)
    {
        int n = 1;
        for (int i = 0; i < axis; i++) n *= _dims[i];
        return n;
    }

    /// <summary>Product of the dimensions after <paramref name="axis"/>.</summary>
    public int Inner(int axis)
    {
        int n = 1;
        for (int i = axis + 1; i < _dims.Length; i++) n *= _dims[i];
        return n;
    }

    /// <summary>A copy with dimension <paramref name="axis"/> replaced.</summary>
    public Shape With(int axis, int size)
    {
        var d = (int[])_dims.Clone();
        d[axis] = size;
        return new Shape(d);
    }

    public int[] ToArray() => (int[])_dims.Clone();

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)_dims).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _dims.GetEnumerator();

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    public static bool operator ==(Shape? a, Shape? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(Shape? a, Shape? b) => !(a == b);

    /// <summary>Formats as PyTorch does in messages: [8, 3, 32, 32].</summary>
    public override string ToString() => Format(_dims);

    public static string Format(ReadOnlySpan<int> dims)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < dims.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(dims[i]);
        }
        return sb.Append(']').ToString();
    }
}
