namespace Striate.Tensors;

/// <summary>
/// Switches for the define-by-run autograd: <c>using (Autograd.NoGrad()) { ... }</c> runs ops without
/// recording a graph (evaluation, optimizer updates).
/// </summary>
public static class Autograd
{
    [ThreadStatic] private static int t_noGradDepth;

    /// <summary>True when ops record graph nodes on this thread.</summary>
    public static bool IsEnabled => t_noGradDepth == 0;

    /// <summary>Disables graph recording on this thread until the returned scope is disposed.</summary>
    public static NoGradScope NoGrad()
    {
        t_noGradDepth++;
        return new NoGradScope(true);
    }

    /// <summary>Ends one <see cref="NoGrad"/> level when disposed.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        private readonly bool _active;

        internal NoGradScope(bool active) => _active = active;

        public void Dispose()
        {
            if (_active) t_noGradDepth--;
        }
    }

    /// <summary>True if any of the tensors requires a gradient and recording is on.</summary>
    internal static bool Needs(Tensor a) => IsEnabled && a.RequiresGrad;

    internal static bool Needs(Tensor a, Tensor? b) => IsEnabled && (a.RequiresGrad || (b?.RequiresGrad ?? false));

    internal static bool Needs(Tensor a, Tensor? b, Tensor? c) =>
        IsEnabled && (a.RequiresGrad || (b?.RequiresGrad ?? false) || (c?.RequiresGrad ?? false));

    /// <summary>Records <paramref name="output"/> as produced by <paramref name="op"/> from <paramref name="inputs"/>.</summary>
    internal static Tensor Record(Tensor output, string op, Tensor[] inputs, Node.BackwardFn backward, params Storage[]? workspaces) =>
        Record(output, op, inputs, backward, null, workspaces);

    /// <summary>As <see cref="Record(Tensor, string, Tensor[], Node.BackwardFn, Storage[])"/>, with a hook run when the node is released.</summary>
    internal static Tensor Record(Tensor output, string op, Tensor[] inputs, Node.BackwardFn backward, Action? onRelease, params Storage[]? workspaces)
    {
        output.GradFn = new Node(op, inputs, backward, workspaces is { Length: > 0 } ? workspaces : null, onRelease);
        output.RequiresGrad = true;
        return output;
    }

    [ThreadStatic] private static List<Tensor>? t_order;
    [ThreadStatic] private static Stack<(Tensor, int)>? t_stack;
    private static int s_stamp;

    /// <summary>Reverse-mode sweep from <paramref name="root"/> seeded with <paramref name="gradient"/>.</summary>
    internal static void Backward(Tensor root, Tensor gradient)
    {
        var order = t_order ??= new List<Tensor>();
        var stack = t_stack ??= new Stack<(Tensor, int)>();
        order.Clear();
        int stamp = Interlocked.Increment(ref s_stamp);

        // Iterative depth-first post-order: a node is listed after every node that feeds it.
        stack.Push((root, 0));
        root.GradFn!.VisitStamp = stamp;
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn!.Inputs;
            if (t.GradFn.Released)
                t.GradFn.Run(gradient, Span<Tensor?>.Empty); // throws the "already released" error
            bool descended = false;
            for (int i = next; i < inputs.Length; i++)
            {
                var child = inputs[i];
                if (child.GradFn is { } n && n.VisitStamp != stamp)
                {
                    n.VisitStamp = stamp;
                    stack.Push((t, i + 1));
                    stack.Push((child, 0));
                    descended = true;
                    break;
                }
            }
            if (!descended) order.Add(t);
        }

        root.PendingGrad = gradient;
        using var _ = NoGrad();
        var grads = new Tensor?[8];
        var sweep = t_sweep ??= new GradientRelease();
        sweep.Begin();
        for (int k = order.Count - 1; k >= 0; k--)
        {
            var t = order[k];
            var node = t.GradFn!;
            var g = t.PendingGrad;
            t.PendingGrad = null;
            if (g is null)
            {
                node.Release();
                continue;
            }
            sweep.Consumed(g);
            var inputs = node.Inputs;
            if (grads.Length < inputs.Length) grads = new Tensor?[inputs.Length];
            var span = grads.AsSpan(0, inputs.Length);
            span.Clear();
            node.Run(g, span);
            node.Release();
            for (int i = 0; i < inputs.Length; i++)
            {
                var gi = span[i];
                var x = inputs[i];
                if (gi is null || !x.RequiresGrad) continue;
                if (!gi.Shape.Equals(x.Shape))
                    throw new InvalidOperationException($"Backward of '{node.Op}': gradient for input {i} has shape {gi.Shape}, expected {x.Shape}.");
                if (x.GradFn is null)
                {
                    x.AccumulateGrad(gi); // copies
                    sweep.Dead(gi);
                }
                else if (x.PendingGrad is null)
                {
                    x.PendingGrad = sweep.Pending(gi);
                }
                else
                {
                    var old = x.PendingGrad;
                    x.PendingGrad = sweep.Pending(old.AddNoGrad(gi));
                    sweep.Consumed(old);
                    sweep.Dead(gi);
                }
            }
            span.Clear();
            sweep.ReleaseDead();
        }
        sweep.End();
        order.Clear();
    }

    [ThreadStatic] private static GradientRelease? t_sweep;

    /// <summary>
    /// Frees intermediate gradients during a backward sweep once no pending gradient uses their memory, so later
    /// steps of the sweep reuse it from the pool instead of the step's peak holding every gradient at once (as
    /// libtorch frees them). Only storage allocated after the sweep began is freed: never the seed gradient, a
    /// forward tensor or anything made outside the sweep. Views count through their storage.
    /// </summary>
    private sealed class GradientRelease
    {
        private readonly Dictionary<Storage, int> _pending = new(ReferenceEqualityComparer.Instance);
        private readonly List<Storage> _dead = new();
        private long _bornAfter;

        public void Begin()
        {
            _pending.Clear();
            _dead.Clear();
            _bornAfter = Storage.LastSerial;
        }

        public void End()
        {
            _pending.Clear();
            _dead.Clear();
        }

        public Tensor Pending(Tensor g)
        {
            var s = g.Storage;
            _pending[s] = _pending.GetValueOrDefault(s) + 1;
            return g;
        }

        /// <summary>A pending gradient has been taken from its slot: used by a node, or summed into a new one.</summary>
        public void Consumed(Tensor g)
        {
            var s = g.Storage;
            if (_pending.TryGetValue(s, out int n))
            {
                if (n <= 1) _pending.Remove(s);
                else _pending[s] = n - 1;
            }
            _dead.Add(s);
        }

        /// <summary>A gradient no slot took (copied into a leaf, or summed).</summary>
        public void Dead(Tensor g) => _dead.Add(g.Storage);

        public void ReleaseDead()
        {
            foreach (var s in _dead)
                if (s.Serial > _bornAfter && !_pending.ContainsKey(s))
                    s.Release();
            _dead.Clear();
        }
    }
}
