namespace Striate.Tensors;

/// <summary>
/// A region whose op outputs and workspaces return to the <see cref="BufferPool"/> when it ends. The Trainer
/// wraps each step in one; a custom loop writes <c>using var scope = TensorScope.Begin();</c>. A tensor that
/// must outlive the scope is passed to <see cref="Keep"/>. Scopes nest per thread; tensors made outside any
/// scope are ordinary garbage-collected objects.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? t_current;
    [ThreadStatic] private static Stack<TensorScope>? t_free;

    private readonly List<Storage> _owned = new();
    private TensorScope? _parent;
    private bool _active;

    private TensorScope() { }

    internal static TensorScope? Current => t_current;

    /// <summary>Opens a scope on this thread; dispose it to recycle what was allocated inside.</summary>
    public static TensorScope Begin()
    {
        var free = t_free ??= new Stack<TensorScope>();
        var s = free.Count > 0 ? free.Pop() : new TensorScope();
        s._parent = t_current;
        s._active = true;
        t_current = s;
        return s;
    }

    /// <summary>Lets <paramref name="tensor"/> (and any tensor sharing its memory) outlive this scope.</summary>
    /// <returns>The same tensor, for chaining.</returns>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var storage = tensor.Storage;
        if (!ReferenceEquals(storage.Owner, this)) return tensor; // not ours: made outside, or already kept
        if (_parent is { } p)
        {
            storage.Owner = p; // the enclosing scope reclaims it instead
            p._owned.Add(storage);
        }
        else
        {
            storage.Owner = null;
            storage.MarkKept();
        }
        return tensor;
    }

    internal void Register(Storage s)
    {
        s.Owner = this;
        _owned.Add(s);
    }

    /// <summary>Ends the scope: every storage it owns that was not kept goes back to the pool.</summary>
    /// <exception cref="InvalidOperationException">An inner scope on this thread is still open.</exception>
    public void Dispose()
    {
        if (!_active) return;
        if (!ReferenceEquals(t_current, this))
            throw new InvalidOperationException("TensorScope: scopes must end in the reverse order they began (an inner scope is still open).");
        var parent = _parent;
        foreach (var s in _owned)
        {
            if (ReferenceEquals(s.Owner, this))
                s.Release();
        }
        _owned.Clear();
        _active = false;
        t_current = parent;
        _parent = null;
        (t_free ??= new Stack<TensorScope>()).Push(this);
    }
}
