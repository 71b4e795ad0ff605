namespace Striate.Tensors;

/// <summary>
/// One recorded op of the autograd graph: the op's name, its inputs, and a backward function that maps the
/// gradient of the output to the gradients of the inputs (null where an input needs none). Workspaces the
/// backward needs are released to the pool as soon as it has run.
/// </summary>
public sealed class Node
{
    /// <summary>Computes input gradients from the output gradient.</summary>
    public delegate void BackwardFn(Tensor gradOutput, Span<Tensor?> gradInputs);

    private BackwardFn? _backward;
    private Storage[]? _workspaces;
    private Action? _onRelease;

    internal Node(string op, Tensor[] inputs, BackwardFn backward, Storage[]? workspaces, Action? onRelease = null)
    {
        Op = op;
        Inputs = inputs;
        _backward = backward;
        _workspaces = workspaces;
        _onRelease = onRelease;
    }

    /// <summary>The op that produced the output, e.g. "conv2d".</summary>
    public string Op { get; }

    internal Tensor[] Inputs { get; private set; }

    internal int VisitStamp { get; set; }

    internal bool Released => _backward is null;

    internal void Run(Tensor gradOutput, Span<Tensor?> gradInputs)
    {
        var fn = _backward ?? throw new InvalidOperationException(
            $"Backward: the graph through '{Op}' was already used by an earlier Backward() and released. " +
            "Run the forward pass again to build a new graph.");
        fn(gradOutput, gradInputs);
    }

    /// <summary>Drops the backward function and returns the workspaces to the pool.</summary>
    internal void Release()
    {
        _backward = null;
        if (_workspaces is { } w)
            foreach (var s in w) s.Release();
        _workspaces = null;
        _onRelease?.Invoke();
        _onRelease = null;
    }
}
