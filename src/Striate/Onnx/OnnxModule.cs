using System.Globalization;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Onnx;

/// <summary>
/// An ONNX model as a Striate module: its graph runs with Striate's ops (so it trains, freezes and fine-tunes like any
/// module), its float initializers are parameters (batch-norm statistics buffers) under their initializer names as
/// state-dict keys ("conv1.weight" is parameter "weight" of a child "conv1"), and every node is bound, when the model
/// is loaded, to the newest implementation of its operator whose version is at most the model's opset.
/// </summary>
public sealed class OnnxModule : Module
{
    private readonly OnnxGraph _graph;
    private readonly Dictionary<string, Tensor> _weights = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxTensor> _constants = new(StringComparer.Ordinal);
    private readonly OnnxOps.Impl[] _bound;
    private readonly OnnxFusion.Fused?[] _fused;
    private readonly bool[] _covered;

    private OnnxModule(OnnxModel model, string source)
    {
        Model = model;
        _graph = model.Graph;
        Opset = model.Opset;
        Source = source;
        var g = model.Graph;
        // Batch-norm statistics are buffers (not trained); every other float initializer is a parameter.
        var statistics = new HashSet<string>(g.Nodes.Where(n => n.OpType == "BatchNormalization" && n.Domain.Length == 0)
            .SelectMany(n => n.Inputs.Skip(3).Take(2)), StringComparer.Ordinal);
        var holders = new Dictionary<string, Holder>(StringComparer.Ordinal);
        foreach (var init in g.Initializers)
        {
            if (init.Type != OnnxDataType.Float)
            {
                _constants[init.Name] = init;
                continue;
            }
            var t = Tensor.Persistent(new Shape([.. init.Dims.Select(d => d <= int.MaxValue ? (int)d
                : throw new InvalidDataException($"ONNX model '{source}', initializer '{init.Name}': dimension {d} is too large."))]));
            init.ToFloats().CopyTo(t.Data);
            _weights[init.Name] = t;
        }
        // Convolutions (with the batch norm and relu that follow them) as Striate layers holding the same tensors, so
        // an InferenceSession folds and transforms them as it does a native model's.
        _fused = OnnxFusion.Plan(g, _weights);
        _covered = new bool[g.Nodes.Count];
        foreach (var f in _fused)
            if (f is not null)
                foreach (int k in f.Absorbed) _covered[k] = true;
        var registered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var init in g.Initializers.Where(i => _weights.ContainsKey(i.Name)))
        {
            if (init.Name.Length == 0) throw new InvalidDataException($"ONNX model '{source}': an initializer has no name.");
            if (!registered.Add(init.Name)) throw new InvalidDataException($"ONNX model '{source}': initializer '{init.Name}' appears twice.");
            try
            {
                Register(init.Name, _weights[init.Name], statistics.Contains(init.Name), holders);
            }
            catch (ArgumentException e)
            {
                // A name that is both a tensor and a prefix of others ("conv" and "conv.weight").
                throw new InvalidDataException($"ONNX model '{source}': initializer '{init.Name}' cannot be a state-dict key beside the others ({e.Message}).", e);
            }
        }
        // Constant nodes are constants too (a graph may carry its weights that way).
        for (int i = 0; i < g.Nodes.Count; i++)
            if (g.Nodes[i] is { OpType: "Constant", Domain.Length: 0, Outputs.Count: 1 } n)
                _constants[n.Outputs[0]] = OnnxOps.ConstantValue(n, $"ONNX model '{source}', node {i} ('{(n.Name.Length > 0 ? n.Name : n.OpType)}', Constant)");

        Inputs = g.Inputs.Where(i => !_weights.ContainsKey(i.Name) && !_constants.ContainsKey(i.Name)).ToList();
        if (g.Outputs.Count < 1) throw new InvalidDataException($"ONNX model '{source}': the graph has no output.");

        // Bind every node before anything runs, and check that each input is produced before it is read.
        var known = new HashSet<string>(_weights.Keys.Concat(_constants.Keys).Concat(Inputs.Select(i => i.Name)).Append(""), StringComparer.Ordinal);
        _bound = new OnnxOps.Impl[g.Nodes.Count];
        for (int i = 0; i < g.Nodes.Count; i++)
        {
            var n = g.Nodes[i];
            string where = $"ONNX model '{source}', node {i} ('{(n.Name.Length > 0 ? n.Name : n.OpType)}', {n.OpType})";
            foreach (var x in n.Inputs)
                if (!known.Contains(x))
                    throw new InvalidDataException($"{where}: input '{x}' is produced by no earlier node, initializer or graph input (the graph is not in order, or has a cycle).");
            foreach (var y in n.Outputs)
                if (y.Length > 0 && !known.Add(y) && !(n.OpType == "Constant" && _constants.ContainsKey(y)))
                    throw new InvalidDataException($"{where}: output '{y}' is produced twice.");
            _bound[i] = OnnxOps.Bind(n, Opset, where);
        }
        foreach (var o in g.Outputs)
            if (!known.Contains(o.Name)) throw new InvalidDataException($"ONNX model '{source}': the output '{o.Name}' is produced by no node.");
    }

    /// <summary>The model read from the file.</summary>
    public OnnxModel Model { get; }

    /// <summary>The default operator set the model imports.</summary>
    public long Opset { get; }

    /// <summary>Where the model was read from.</summary>
    public string Source { get; }

    /// <summary>The graph's inputs besides its initializers: name, element type and shape. <see cref="Module.Forward"/> feeds the first.</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }

    /// <summary>The graph's first input (the image, for a network).</summary>
    /// <exception cref="InvalidOperationException">The graph has no input (it computes constants).</exception>
    public OnnxValueInfo InputInfo => Inputs.Count > 0 ? Inputs[0] : throw new InvalidOperationException($"ONNX model '{Source}' has no input besides its initializers.");

    /// <summary>Loads an ONNX model as a module.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid ONNX model, or the graph cannot run.</exception>
    /// <exception cref="NotSupportedException">An operator (or a version or setting of one) that Striate does not implement; the message names it, its node and the model's opset.</exception>
    public static OnnxModule Load(string path) => new(OnnxModel.Load(path), path);

    /// <summary>A module of <paramref name="model"/>, named <paramref name="source"/> in messages.</summary>
    public static OnnxModule FromModel(OnnxModel model, string source = "model") => new(model ?? throw new ArgumentNullException(nameof(model)), source);

    private void Register(string key, Tensor t, bool buffer, Dictionary<string, Holder> holders)
    {
        var parts = key.Split('.');
        if (parts.Any(p => p.Length == 0)) parts = [key.Replace('.', '_')];
        Module owner = this;
        string path = "";
        for (int i = 0; i < parts.Length - 1; i++)
        {
            path = path.Length == 0 ? parts[i] : path + "." + parts[i];
            if (!holders.TryGetValue(path, out var h))
            {
                h = new Holder();
                holders[path] = h;
                if (owner == this) RegisterModule(parts[i], h); else ((Holder)owner).Add(parts[i], h);
            }
            owner = h;
        }
        if (owner == this)
        {
            if (buffer) RegisterBuffer(parts[^1], t); else RegisterParameter(parts[^1], t);
        }
        else ((Holder)owner).AddTensor(parts[^1], t, buffer);
    }

    // A node of the state-dict key tree: holds the tensors and children under one dotted prefix.
    private sealed class Holder : Module
    {
        public void Add(string name, Module child) => RegisterModule(name, child);

        public void AddTensor(string name, Tensor t, bool buffer)
        {
            if (buffer) RegisterBuffer(name, t); else RegisterParameter(name, t);
        }

        protected override Tensor OnForward(Tensor input) => throw new InvalidOperationException("This module only holds an ONNX model's weights.");
    }

    protected override Tensor OnForward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (Inputs.Count != 1)
            throw new InvalidOperationException($"ONNX model '{Source}' takes {Inputs.Count} inputs ({string.Join(", ", Inputs.Select(i => i.Name))}); give them all to Run.");
        var env = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [Inputs[0].Name] = input };
        return Evaluate(env, new Dictionary<string, OnnxTensor>(StringComparer.Ordinal))[0];
    }

    /// <summary>
    /// Runs the graph on named inputs (float tensors as <see cref="Tensor"/>; int64 ones, such as a shape, as
    /// constants) and returns every graph output in order (an int64 output, such as a computed shape, as float values).
    /// </summary>
    /// <exception cref="ArgumentException">An input is missing, or not float or int64.</exception>
    public IReadOnlyList<Tensor> Run(IReadOnlyDictionary<string, OnnxTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var env = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var given = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var info in Inputs)
        {
            if (!inputs.TryGetValue(info.Name, out var value)) throw new ArgumentException($"ONNX model '{Source}': input '{info.Name}' is missing.");
            if (value.Type == OnnxDataType.Float)
                env[info.Name] = Tensor.FromArray(value.ToFloats(), [.. value.Dims.Select(d => checked((int)d))]);
            else if (value.Type == OnnxDataType.Int64)
                given[info.Name] = value;
            else if (value.Type == OnnxDataType.Int32)
                given[info.Name] = OnnxTensor.FromInt64s(info.Name, value.Dims, [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(value.Data).ToArray().Select(v => (long)v)]);
            else
                throw new ArgumentException($"ONNX model '{Source}': input '{info.Name}' holds {value.Type} elements; Striate computes in float32 (int64 and int32 inputs are taken as int64 constants).");
        }
        return Evaluate(env, given);
    }

    // A computed value, or a weight.
    private Tensor Value(Dictionary<string, Tensor> env, string name) => env.TryGetValue(name, out var t) ? t : _weights[name];

    // computed: the int64 inputs given to Run; the int64 values the run computes from shapes join them.
    private Tensor[] Evaluate(Dictionary<string, Tensor> env, Dictionary<string, OnnxTensor> computed)
    {
        bool fuse = !IsTraining && Nn.InferenceSession.Current is not null;
        for (int i = 0; i < _graph.Nodes.Count; i++)
        {
            var n = _graph.Nodes[i];
            if (n.OpType == "Constant" && n.Domain.Length == 0) continue;
            if (fuse && _fused[i] is { } f)
            {
                env[f.Output] = Nn.InferenceFusion.ConvBn(f.Conv, f.Norm, Value(env, f.Input), f.Residual is { } r ? Value(env, r) : null, f.Relu);
                continue;
            }
            if (fuse && _covered[i]) continue;
            var args = new OnnxOps.Args(n, env, _weights, _constants, computed, IsTraining);
            var outputs = _bound[i](args);
            for (int k = 0; k < outputs.Length && k < n.Outputs.Count; k++)
                if (n.Outputs[k].Length > 0) env[n.Outputs[k]] = outputs[k];
        }
        return [.. _graph.Outputs.Select(o => env.TryGetValue(o.Name, out var y) || _weights.TryGetValue(o.Name, out y) ? y
            // A constant output, or an int64 one (a shape), comes back as float values.
            : (computed.TryGetValue(o.Name, out var c) || _constants.TryGetValue(o.Name, out c)) && c.Type is OnnxDataType.Int64 or OnnxDataType.Float
                ? Tensor.FromArray(c.Type == OnnxDataType.Float ? c.ToFloats() : [.. c.ToInt64s().Select(v => (float)v)], [.. c.Dims.Select(d => checked((int)d))])
            : throw new InvalidOperationException($"ONNX model '{Source}': the output '{o.Name}' holds {(computed.TryGetValue(o.Name, out var other) || _constants.TryGetValue(o.Name, out other) ? other.Type : "no value")}, not float32 or int64 values."))];
    }

    /// <summary>The model with the module's current weights as its initializers: after training, the graph to save.</summary>
    public OnnxModel ToModel() => Model.WithInitializers(_weights.Select(kv => OnnxTensor.FromFloats(kv.Key, [.. kv.Value.Shape.ToArray().Select(d => (long)d)], kv.Value.Data)));

    public override string ToString() => $"OnnxModule('{Source}', opset {Opset.ToString(CultureInfo.InvariantCulture)}, {_graph.Nodes.Count} nodes)";
}
