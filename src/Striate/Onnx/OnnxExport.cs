using System.Globalization;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Onnx;

/// <summary>
/// Writes a Striate model as an ONNX graph by tracing one forward pass in evaluation mode: every layer Striate knows
/// becomes its ONNX operator (Conv, Gemm, BatchNormalization, MaxPool, ...), and the operations a module of its own
/// applies between its children (adding a shortcut, joining branches, flattening, normalising) become theirs. The
/// weights are initializers named by their state-dict keys; the batch dimension is symbolic ("batch").
/// </summary>
public static class OnnxExport
{
    /// <summary>The operator set written by default.</summary>
    public const int DefaultOpset = 17;

    /// <summary>The operator sets the exporter writes (the forms of Pad, Reduce and Softmax it emits exist from 13).</summary>
    public const int MinOpset = 13, MaxOpset = 21;

    /// <summary>
    /// The model of <paramref name="model"/> for inputs [batch, C, H, W] of <paramref name="inputShape"/> (C, H, W), with
    /// <paramref name="metadata"/> as metadata_props (class names, normalisation). With <paramref name="dynamicSize"/>
    /// the input's height and width are left free ("height", "width"), and so are the output's when they equal the
    /// input's: for fully convolutional models (a segmentation network's scores), whose graph holds no constant that
    /// depends on the input's size; the caller vouches for that.
    /// </summary>
    /// <exception cref="NotSupportedException">A module or operation has no ONNX form; the message names its path and type.</exception>
    public static OnnxModel ToModel(Module model, (int C, int H, int W) inputShape, int opset = DefaultOpset, bool dynamicBatch = true,
        IReadOnlyDictionary<string, string>? metadata = null, bool dynamicSize = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (opset is < MinOpset or > MaxOpset) throw new ArgumentOutOfRangeException(nameof(opset), $"ONNX export writes opsets {MinOpset} to {MaxOpset}, got {opset}.");
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            var tracer = new OnnxTracer(model, opset);
            var input = Tensor.Persistent(new Shape(1, inputShape.C, inputShape.H, inputShape.W));
            tracer.Name(input, "input");
            Tensor output;
            using (TensorScope.Begin())
            using (Autograd.NoGrad())
            using (tracer.Activate())
                output = model.Forward(input);
            string outName = tracer.NameOf(output, "the model's output");
            var batch = dynamicBatch ? new OnnxDim(null, "batch") : new OnnxDim(1, null);
            var dims = output.Shape.ToArray().Skip(1).Select(d => new OnnxDim(d, null)).ToArray();
            bool sameSize = output.Rank == 4 && output.Shape[2] == inputShape.H && output.Shape[3] == inputShape.W;
            if (dynamicSize && sameSize) (dims[1], dims[2]) = (new OnnxDim(null, "height"), new OnnxDim(null, "width"));
            var (inH, inW) = dynamicSize ? (new OnnxDim(null, "height"), new OnnxDim(null, "width")) : (new OnnxDim(inputShape.H, null), new OnnxDim(inputShape.W, null));
            var graph = new OnnxGraph
            {
                Name = model.GetType().Name,
                Nodes = tracer.Nodes,
                Initializers = tracer.Initializers,
                Inputs = [new OnnxValueInfo("input", OnnxDataType.Float, [batch, new(inputShape.C, null), inH, inW])],
                Outputs = [new OnnxValueInfo(outName, OnnxDataType.Float, [batch, .. dims])],
            };
            return new OnnxModel
            {
                IrVersion = OnnxModel.IrVersionFor(opset),
                Opsets = new Dictionary<string, long> { [""] = opset },
                ProducerName = "Striate",
                ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "",
                Graph = graph,
                Metadata = metadata ?? new Dictionary<string, string>(),
            };
        }
        finally
        {
            if (wasTraining) model.Train();
        }
    }

    /// <summary>Writes <see cref="ToModel"/>'s model to <paramref name="path"/> (atomically).</summary>
    public static void Export(Module model, string path, (int C, int H, int W) inputShape, int opset = DefaultOpset, bool dynamicBatch = true,
        IReadOnlyDictionary<string, string>? metadata = null, bool dynamicSize = false) =>
        ToModel(model, inputShape, opset, dynamicBatch, metadata, dynamicSize).Save(path);
}

/// <summary>
/// The trace an export records: which ONNX value each tensor of the forward pass is (by reference), the nodes, and the
/// initializers. Layers are recorded whole (their inner operations paused); the operations a module of its own applies
/// between its children are recorded as they report themselves (<see cref="OpTrace"/>).
/// </summary>
internal sealed class OnnxTracer : ModuleTrace
{
    private readonly Dictionary<Tensor, string> _names = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, string> _weights = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<OnnxNode> _nodes = [];
    private readonly List<OnnxTensor> _initializers = [];
    private readonly int _opset;

    public OnnxTracer(Module model, int opset)
    {
        _opset = opset;
        foreach (var (key, t) in model.StateDict()) _weights[t] = key;
    }

    public List<OnnxNode> Nodes => _nodes;
    public List<OnnxTensor> Initializers => _initializers;

    public void Name(Tensor t, string name)
    {
        _used.Add(name);
        _names[t] = name;
    }

    private string Fresh(string stem)
    {
        stem = string.IsNullOrEmpty(stem) ? "t" : stem;
        if (_used.Add(stem)) return stem;
        for (int i = 1; ; i++)
            if (_used.Add($"{stem}_{i}")) return $"{stem}_{i}";
    }

    /// <summary>The ONNX value of <paramref name="t"/>: a traced value, or a weight (an initializer named by its state-dict key).</summary>
    public string NameOf(Tensor t, string what)
    {
        if (_names.TryGetValue(t, out var name)) return name;
        if (_weights.TryGetValue(t, out var key))
        {
            _names[t] = key;
            _used.Add(key);
            _initializers.Add(OnnxTensor.FromFloats(key, [.. t.Shape.ToArray().Select(d => (long)d)], t.Data));
            return key;
        }
        throw new NotSupportedException($"ONNX export: {what} was computed by an operation the exporter cannot trace (only Striate's layers and the operations add, concat, flatten, reshape, permute, narrow, relu, average pooling, normalize and scalar multiplication between them).");
    }

    /// <summary>A constant initializer of floats.</summary>
    public string Constant(string stem, long[] dims, ReadOnlySpan<float> values)
    {
        string name = Fresh(stem);
        _initializers.Add(OnnxTensor.FromFloats(name, dims, values));
        return name;
    }

    /// <summary>A constant initializer of int64s.</summary>
    public string Constant(string stem, long[] dims, ReadOnlySpan<long> values)
    {
        string name = Fresh(stem);
        _initializers.Add(OnnxTensor.FromInt64s(name, dims, values));
        return name;
    }

    /// <summary>Adds a node and names its (one) output after <paramref name="stem"/>; returns the output's name.</summary>
    public string Node(string op, string stem, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes)
    {
        string output = Fresh(stem);
        _nodes.Add(new OnnxNode { OpType = op, Name = Fresh("node_" + output), Inputs = inputs, Outputs = [output], Attributes = attributes });
        return output;
    }

    protected override void Recorded(string name, IReadOnlyList<Tensor> inputs, Tensor output, object? details)
    {
        string In(int i) => NameOf(inputs[i], $"an input of {name}");
        _names[output] = (name, details) switch
        {
            ("add", _) => Node("Add", "add", [In(0), In(1)]),
            ("relu", _) => Node("Relu", "relu", [In(0)]),
            ("mul_scalar", float s) => Node("Mul", "mul", [In(0), Constant("scalar", [], [s])]),
            ("concat", int dim) => Node("Concat", "concat", [.. inputs.Select((_, i) => In(i))], OnnxAttribute.Int("axis", dim)),
            ("flatten", int start) => OnnxLayers.FlattenTo(this, "flatten", In(0), inputs[0], output, start),
            ("reshape", _) => OnnxLayers.Reshape(this, "reshape", In(0), inputs[0], output),
            ("avg_pool2d", AvgPoolDetails p) => OnnxLayers.AveragePool(this, "avg_pool", In(0), p.Kernel, p.Stride, p.Padding, p.CeilMode, p.CountIncludePad),
            ("adaptive_avg_pool2d", ValueTuple<int, int> size) => OnnxLayers.AdaptiveAveragePool(this, "adaptive_avg_pool", In(0), inputs[0], size, null),
            ("normalize", float eps) => Normalize(In(0), eps),
            ("permute", int[] perm) => Node("Transpose", "transpose", [In(0)], OnnxAttribute.IntList("perm", [.. perm.Select(v => (long)v)])),
            ("narrow", ValueTuple<int, int, int> n) => Node("Slice", "slice", [In(0), Constant("slice_starts", [1], [(long)n.Item2]),
                Constant("slice_ends", [1], [(long)(n.Item2 + n.Item3)]), Constant("slice_axes", [1], [(long)n.Item1])]),
            _ => throw new NotSupportedException($"ONNX export: the operation '{name}' has no ONNX form."),
        };
    }

    // x / max(||x||, eps) along the last axis (ReduceL2 takes its axes as an input from opset 18).
    private string Normalize(string x, float eps)
    {
        string norm = _opset >= 18
            ? Node("ReduceL2", "norm", [x, Constant("norm_axes", [1], [-1L])], OnnxAttribute.Int("keepdims", 1))
            : Node("ReduceL2", "norm", [x], OnnxAttribute.IntList("axes", -1), OnnxAttribute.Int("keepdims", 1));
        string clamped = Node("Max", "norm_clamped", [norm, Constant("eps", [], [eps])]);
        return Node("Div", "normalized", [x, clamped]);
    }

    /// <summary>Runs <paramref name="module"/>: a layer with an ONNX form is recorded whole; any other module runs its own forward, whose children and operations are recorded.</summary>
    public override Tensor Run(Module module, Tensor input, Func<Tensor, Tensor> onForward)
    {
        if (Paused) return onForward(input);
        if (!OnnxLayers.TryGet(module, out var export))
        {
            if (module.Children().Any()) return onForward(input);
            throw new NotSupportedException($"ONNX export: module '{module.Path ?? "(the model)"}' of type {module.GetType().Name} has no ONNX form; export supports Striate's layers and modules built from them.");
        }
        string x = NameOf(input, $"the input of '{module.Path}' ({module.GetType().Name})");
        var y = RunPaused(() => onForward(input));
        _names[y] = export(this, module, x, input, y, _opset);
        return y;
    }
}
