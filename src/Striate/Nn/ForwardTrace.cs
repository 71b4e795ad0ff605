using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// Records every <see cref="Module.Call"/> made on this thread while it is open: the module, its depth, and
/// the input and output shapes, in call order. Summaries are built from it.
/// </summary>
public sealed class ForwardTrace : IDisposable
{
    [ThreadStatic] private static ForwardTrace? t_current;

    private readonly ForwardTrace? _previous;
    private readonly List<TraceEntry> _entries = new();
    private readonly List<SkipConnection> _skips = new();
    private readonly Func<Module, Tensor, Tensor>? _onOutput;
    private int _depth;

    private ForwardTrace(Func<Module, Tensor, Tensor>? onOutput)
    {
        _onOutput = onOutput;
        _previous = t_current;
        t_current = this;
    }

    internal static ForwardTrace? Current => t_current;

    /// <summary>Whether a trace is recording on this thread (so a model can skip building what only a trace reads).</summary>
    public static bool IsRecording => t_current is not null;

    /// <summary>Starts recording on this thread until disposed.</summary>
    public static ForwardTrace Begin() => new(null);

    /// <summary>
    /// Starts recording with a hook that sees each module's output as it is produced and returns the tensor the
    /// rest of the forward pass uses (the same one, or a replacement such as a detached leaf, to read the
    /// gradient that reaches a layer).
    /// </summary>
    public static ForwardTrace Begin(Func<Module, Tensor, Tensor> onOutput) => new(onOutput ?? throw new ArgumentNullException(nameof(onOutput)));

    /// <summary>The calls, each listed when it began (a parent before its children).</summary>
    public IReadOnlyList<TraceEntry> Entries => _entries;

    /// <summary>The skip connections the traced forward passes reported, in order.</summary>
    public IReadOnlyList<SkipConnection> Skips => _skips;

    /// <summary>
    /// Reports, when a trace is open on this thread, that a model joined an earlier layer's output into its forward
    /// pass: <paramref name="from"/>'s output <paramref name="source"/> (cut to <paramref name="used"/> where the sizes
    /// differ) was joined with the rest of <paramref name="parts"/> (<paramref name="how"/>: concatenated or added) at
    /// <paramref name="into"/>, giving <paramref name="joined"/>; <paramref name="parts"/> names the source uncut. Without an
    /// open trace it does nothing.
    /// </summary>
    public static void Skip(string into, string from, Tensor source, Tensor used, Tensor joined, IReadOnlyList<Tensor> parts, string how)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(used);
        ArgumentNullException.ThrowIfNull(joined);
        ArgumentNullException.ThrowIfNull(parts);
        t_current?._skips.Add(new SkipConnection(into, from, source.Shape.Dims[1..].ToArray(), used.Shape.Dims[1..].ToArray(), joined.Shape.Dims[1..].ToArray(), how)
        {
            Source = source,
            Joined = joined,
            Parts = parts,
        });
    }

    internal Tensor Run(Module module, Tensor input)
    {
        var entry = new TraceEntry(module, _depth, input.Shape, input);
        _entries.Add(entry);
        _depth++;
        try
        {
            var output = module.RunOnForward(input);
            if (_onOutput is not null) output = _onOutput(module, output);
            entry.Output = output;
            entry.OutputShape = output.Shape;
            entry.LastChild = _entries.Count - 1;
            return output;
        }
        finally
        {
            _depth--;
        }
    }

    public void Dispose() => t_current = _previous;
}

/// <summary>
/// A skip connection a model reported to a <see cref="ForwardTrace"/>: <see cref="From"/>'s output (per-image shape
/// <see cref="FromShape"/>, cut to <see cref="UsedShape"/> where the sizes differ) joined at <see cref="Into"/>
/// (<see cref="How"/>: "concatenated" or "added"), giving <see cref="JoinedShape"/>.
/// </summary>
public sealed record SkipConnection(string Into, string From, IReadOnlyList<int> FromShape, IReadOnlyList<int> UsedShape, IReadOnlyList<int> JoinedShape, string How)
{
    internal Tensor? Source { get; init; }
    internal Tensor? Joined { get; init; }
    internal IReadOnlyList<Tensor> Parts { get; init; } = [];
}

/// <summary>One module call seen by a <see cref="ForwardTrace"/>.</summary>
public sealed class TraceEntry
{
    internal TraceEntry(Module module, int depth, Shape inputShape, Tensor input)
    {
        Module = module;
        Depth = depth;
        InputShape = inputShape;
        Input = input;
    }

    public Module Module { get; }
    public int Depth { get; }
    public Shape InputShape { get; }
    public Shape? OutputShape { get; internal set; }
    internal Tensor Input { get; }
    internal Tensor? Output { get; set; }

    /// <summary>Index of the last entry recorded inside this call (itself when it has no children).</summary>
    internal int LastChild { get; set; }
}
