using System.Globalization;
using System.Text;

namespace Striate.Tensors;

/// <summary>
/// A float32, contiguous, row-major (NCHW for images) n-dimensional array that can record the ops applied
/// to it and compute gradients by reverse-mode automatic differentiation.
/// </summary>
public sealed partial class Tensor
{
    internal Tensor(Storage storage, Shape shape)
    {
        if (storage.Length < shape.Numel)
            throw new ArgumentException($"Storage of {storage.Length} floats cannot hold shape {shape}.");
        Storage = storage;
        Shape = shape;
    }

    internal Storage Storage { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public Shape Shape { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>Number of elements.</summary>
    public int Numel => Shape.Numel;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => Shape[Shape.Axis(dim, "Size")];

    /// <summary>
    /// True if gradients flow to this tensor. Set it on a leaf (a parameter or an input) before the forward
    /// pass; op outputs derive it from their inputs.
    /// </summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The accumulated gradient of a leaf after <see cref="Backward()"/>; null before the first.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The graph node that produced this tensor; null for a leaf.</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>True for tensors made by the user rather than by a recorded op.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>An optional name used in error messages (parameters carry their state-dict key).</summary>
    public string? Name { get; set; }

    internal Tensor? PendingGrad { get; set; }

    /// <summary>The elements in row-major order, viewed without copying. Writing through it bypasses autograd.</summary>
    public Span<float> Data => Storage.Span[..Numel];

    /// <summary>Copies the elements out in row-major order.</summary>
    public float[] ToArray() => Data.ToArray();

    /// <summary>The value of a one-element tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor has more than one element.</exception>
    public float Item()
    {
        if (Numel != 1)
            throw new InvalidOperationException($"Item: the tensor must have exactly one element, got shape {Shape} ({Numel} elements).");
        return Data[0];
    }

    /// <summary>The element at a full multi-index.</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get => Data[FlatIndex(index)];
        set => Data[FlatIndex(index)] = value;
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Indexer: expected {Rank} indices for shape {Shape}, got {index.Length}.");
        int flat = 0;
        for (int i = 0; i < index.Length; i++)
        {
            int k = index[i] < 0 ? index[i] + Shape[i] : index[i];
            if (k < 0 || k >= Shape[i])
                throw new IndexOutOfRangeException($"Indexer: index {index[i]} is out of range for dimension {i} of size {Shape[i]}.");
            flat = flat * Shape[i] + k;
        }
        return flat;
    }

    /// <summary>
    /// Computes the gradient of this one-element tensor (usually a loss) with respect to every leaf that
    /// requires it, adding into their <see cref="Grad"/>, and releases the graph.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not a scalar, no graph, or the graph was already released.</exception>
    public void Backward()
    {
        if (Numel != 1)
            throw new InvalidOperationException($"Backward: the tensor must have one element (a loss) when no gradient is given, got shape {Shape}. Pass the output gradient to Backward(gradient).");
        Tensor seed;
        using (Autograd.NoGrad()) seed = Full(Shape, 1f);
        Backward(seed);
    }

    /// <summary>Backpropagates <paramref name="gradient"/> (same shape as this tensor) through the graph.</summary>
    public void Backward(Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        if (!gradient.Shape.Equals(Shape))
            throw new ArgumentException($"Backward: gradient shape {gradient.Shape} does not match the tensor's shape {Shape}.");
        if (GradFn is null)
        {
            if (!RequiresGrad)
                throw new InvalidOperationException("Backward: this tensor does not require grad and has no graph (was it computed under NoGrad, or from inputs that do not require grad?).");
            AccumulateGrad(gradient);
            return;
        }
        Autograd.Backward(this, gradient);
    }

    /// <summary>Adds <paramref name="g"/> into this leaf's gradient, allocating it (outside any scope) on first use.</summary>
    internal void AccumulateGrad(Tensor g)
    {
        if (Grad is null)
        {
            Grad = new Tensor(Storage.Persistent(Numel), Shape);
            g.Data.CopyTo(Grad.Data);
        }
        else
        {
            TensorPrimitives.Add(Grad.Data, g.Data, Grad.Data);
        }
    }

    /// <summary>Sets the gradient to zero in place (keeping its memory), or to null with <paramref name="setToNull"/>.</summary>
    public void ZeroGrad(bool setToNull = false)
    {
        if (setToNull) Grad = null;
        else Grad?.Data.Clear();
    }

    /// <summary>A tensor sharing this one's memory but cut from the graph (no gradient flows through it).</summary>
    public Tensor Detach() => new(Storage, Shape);

    /// <summary>Elementwise sum of two same-shaped tensors, not recorded (used to accumulate gradients).</summary>
    internal Tensor AddNoGrad(Tensor other)
    {
        var r = Empty(Shape);
        TensorPrimitives.Add(Data, other.Data, r.Data);
        return r;
    }

    public override string ToString()
    {
        var sb = new StringBuilder("Tensor").Append(Shape.ToString());
        if (RequiresGrad) sb.Append(GradFn is null ? " requires_grad" : $" grad_fn={GradFn.Op}");
        if (Storage.IsReleased) return sb.Append(" (released)").ToString();
        sb.Append(' ').Append('[');
        var d = Data;
        int show = Math.Min(d.Length, 8);
        for (int i = 0; i < show; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(d[i].ToString("G6", CultureInfo.InvariantCulture));
        }
        if (d.Length > show) sb.Append(", ...");
        return sb.Append(']').ToString();
    }
}
