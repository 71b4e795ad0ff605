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
                    x.AccumulateGrad(gi);
                else
                    x.PendingGrad = x.PendingGrad is null ? gi : x.PendingGrad.AddNoGrad(gi);
            }
            span.Clear();
        }
        order.Clear();
    }
}
