using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Striate.Onnx;

/// <summary>ONNX's TensorProto.DataType codes for the element types Striate reads and writes.</summary>
public enum OnnxDataType
{
    Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9,
    Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13,
}

/// <summary>
/// A tensor of an ONNX file (an initializer, a Constant's value, a tensor attribute): its name, element type, dims and
/// elements as little-endian bytes, whichever field of the file held them (raw_data or a typed list).
/// </summary>
public sealed class OnnxTensor
{
    public OnnxTensor(string name, OnnxDataType type, long[] dims, byte[] data)
    {
        Name = name;
        Type = type;
        Dims = dims;
        Data = data;
    }

    public string Name { get; }
    public OnnxDataType Type { get; }
    public long[] Dims { get; }
    public byte[] Data { get; }

    /// <summary>The number of elements (1 for a scalar).</summary>
    public long Count => Dims.Aggregate(1L, (a, d) => a * d);

    public static OnnxTensor FromFloats(string name, long[] dims, ReadOnlySpan<float> values) =>
        new(name, OnnxDataType.Float, dims, MemoryMarshal.AsBytes(values).ToArray());

    public static OnnxTensor FromInt64s(string name, long[] dims, ReadOnlySpan<long> values) =>
        new(name, OnnxDataType.Int64, dims, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>The elements of a float tensor.</summary>
    public float[] ToFloats() => Type == OnnxDataType.Float ? MemoryMarshal.Cast<byte, float>(Data).ToArray()
        : throw new InvalidDataException($"ONNX tensor '{Name}' holds {Type} elements, not floats.");

    /// <summary>The elements of an int64 tensor.</summary>
    public long[] ToInt64s() => Type == OnnxDataType.Int64 ? MemoryMarshal.Cast<byte, long>(Data).ToArray()
        : throw new InvalidDataException($"ONNX tensor '{Name}' holds {Type} elements, not int64s.");

    /// <summary>Bytes per element of <paramref name="type"/>; 0 for types without a fixed size.</summary>
    public static int ElementSize(OnnxDataType type) => type switch
    {
        OnnxDataType.Float or OnnxDataType.Int32 or OnnxDataType.UInt32 => 4,
        OnnxDataType.UInt8 or OnnxDataType.Int8 or OnnxDataType.Bool => 1,
        OnnxDataType.UInt16 or OnnxDataType.Int16 or OnnxDataType.Float16 => 2,
        OnnxDataType.Int64 or OnnxDataType.Double or OnnxDataType.UInt64 => 8,
        _ => 0,
    };
}

/// <summary>AttributeProto.AttributeType codes.</summary>
public enum OnnxAttributeType { Undefined = 0, Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5, Floats = 6, Ints = 7, Strings = 8, Tensors = 9, Graphs = 10 }

/// <summary>A node's attribute: its name, type, and the one value the type names.</summary>
public sealed class OnnxAttribute
{
    public required string Name { get; init; }
    public required OnnxAttributeType Type { get; init; }
    public float F { get; init; }
    public long I { get; init; }
    public string S { get; init; } = "";
    public OnnxTensor? T { get; init; }
    public OnnxGraph? G { get; init; }
    public IReadOnlyList<float> Floats { get; init; } = [];
    public IReadOnlyList<long> Ints { get; init; } = [];
    public IReadOnlyList<string> Strings { get; init; } = [];

    public static OnnxAttribute Int(string name, long value) => new() { Name = name, Type = OnnxAttributeType.Int, I = value };
    public static OnnxAttribute Float(string name, float value) => new() { Name = name, Type = OnnxAttributeType.Float, F = value };
    public static OnnxAttribute Text(string name, string value) => new() { Name = name, Type = OnnxAttributeType.String, S = value };
    public static OnnxAttribute IntList(string name, params long[] values) => new() { Name = name, Type = OnnxAttributeType.Ints, Ints = values };
    public static OnnxAttribute Tensor(string name, OnnxTensor value) => new() { Name = name, Type = OnnxAttributeType.Tensor, T = value };
}

/// <summary>A node: an operator (domain, type) applied to named inputs, giving named outputs.</summary>
public sealed class OnnxNode
{
    public required string OpType { get; init; }
    public string Domain { get; init; } = "";
    public string Name { get; init; } = "";
    public required IReadOnlyList<string> Inputs { get; init; }
    public required IReadOnlyList<string> Outputs { get; init; }
    public IReadOnlyList<OnnxAttribute> Attributes { get; init; } = [];

    /// <summary>The attribute named <paramref name="name"/>, or null.</summary>
    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);
}

/// <summary>One dimension of a value's shape: a size, a named (symbolic) size, or unknown (both null).</summary>
public readonly record struct OnnxDim(long? Value, string? Param);

/// <summary>A graph input's or output's name, element type and shape (null when the file gives none).</summary>
public sealed record OnnxValueInfo(string Name, OnnxDataType Type, IReadOnlyList<OnnxDim>? Shape);

/// <summary>A graph: nodes in order, initializers (named constant tensors), inputs and outputs.</summary>
public sealed class OnnxGraph
{
    public string Name { get; init; } = "";
    public required IReadOnlyList<OnnxNode> Nodes { get; init; }
    public IReadOnlyList<OnnxTensor> Initializers { get; init; } = [];
    public required IReadOnlyList<OnnxValueInfo> Inputs { get; init; }
    public required IReadOnlyList<OnnxValueInfo> Outputs { get; init; }
    public IReadOnlyList<OnnxValueInfo> ValueInfo { get; init; } = [];
}

/// <summary>
/// An ONNX model (ModelProto), read and written with a protocol-buffer codec of Striate's own: the IR version, the
/// operator sets it imports, its producer, the graph and the metadata properties.
/// </summary>
public sealed class OnnxModel
{
    /// <summary>Files larger than this are refused (protobuf's own limit on a message).</summary>
    public const long MaxFileBytes = int.MaxValue;

    /// <summary>How deep graphs may nest in attributes (If, Loop bodies).</summary>
    public const int MaxGraphDepth = 16;

    public long IrVersion { get; init; }
    public required IReadOnlyDictionary<string, long> Opsets { get; init; }
    public string ProducerName { get; init; } = "";
    public string ProducerVersion { get; init; } = "";
    public required OnnxGraph Graph { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The version of the default (ai.onnx) operator set the model imports.</summary>
    public long Opset => Opsets.TryGetValue("", out long v) ? v : Opsets.TryGetValue("ai.onnx", out v) ? v : 0;

    /// <summary>The IR version that goes with an opset, as the ONNX releases paired them (opset 17 with IR 8).</summary>
    public static long IrVersionFor(long opset) => opset switch
    {
        <= 6 => 3, <= 9 => 4, 10 => 5, 11 => 6, <= 14 => 7, <= 18 => 8, <= 20 => 9, _ => 10,
    };

    /// <summary>The model as protocol-buffer bytes, in the form the ONNX tools write: repeated attribute values unpacked, every attribute's type set.</summary>
    public byte[] ToBytes()
    {
        var w = new ProtoWriter();
        w.Int(1, IrVersion);
        if (ProducerName.Length > 0) w.String(2, ProducerName);
        if (ProducerVersion.Length > 0) w.String(3, ProducerVersion);
        w.Message(7, g => WriteGraph(g, Graph));
        foreach (var (domain, version) in Opsets)
            w.Message(8, o => { if (domain.Length > 0) o.String(1, domain); o.Int(2, version); });
        foreach (var (key, value) in Metadata)
            w.Message(14, e => { e.String(1, key); e.String(2, value); });
        return w.ToArray();
    }

    /// <summary>Writes the model to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => IO.AtomicFile.WriteAllBytes(path, ToBytes());

    /// <summary>The model with the initializers of <paramref name="replacements"/>' names replaced by them (others kept); a name the graph lacks is ignored.</summary>
    /// <exception cref="ArgumentException">A replacement's element type or shape differs from the initializer's.</exception>
    public OnnxModel WithInitializers(IEnumerable<OnnxTensor> replacements)
    {
        ArgumentNullException.ThrowIfNull(replacements);
        var by = replacements.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var g = Graph;
        var inits = g.Initializers.Select(i =>
        {
            if (!by.TryGetValue(i.Name, out var r)) return i;
            if (r.Type != i.Type || !r.Dims.SequenceEqual(i.Dims))
                throw new ArgumentException($"initializer '{i.Name}' is {i.Type} [{string.Join(", ", i.Dims)}]; its replacement is {r.Type} [{string.Join(", ", r.Dims)}].");
            return r;
        }).ToList();
        var graph = new OnnxGraph { Name = g.Name, Nodes = g.Nodes, Initializers = inits, Inputs = g.Inputs, Outputs = g.Outputs, ValueInfo = g.ValueInfo };
        return new OnnxModel { IrVersion = IrVersion, Opsets = Opsets, ProducerName = ProducerName, ProducerVersion = ProducerVersion, Graph = graph, Metadata = Metadata };
    }

    /// <summary>
    /// The part of the graph that computes <paramref name="outputs"/> from <paramref name="inputs"/> (the graph's own
    /// inputs when null): the nodes those outputs need, in their order, with the initializers they read. Cutting a
    /// network at an inner value splits it in two: <c>Slice(null, [cut])</c> is the part before the cut,
    /// <c>Slice([cut], [output])</c> the part after it (which takes the cut value as its input).
    /// </summary>
    /// <exception cref="ArgumentException">A name is no value of the graph, an output does not depend on the inputs given, or it needs a value that is neither computed from them nor a constant.</exception>
    public OnnxModel Slice(IReadOnlyList<string>? inputs, IReadOnlyList<string> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count == 0) throw new ArgumentException("A slice needs at least one output.", nameof(outputs));
        var g = Graph;
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < g.Nodes.Count; i++)
            foreach (var o in g.Nodes[i].Outputs)
                if (o.Length > 0) producer.TryAdd(o, i);
        var initializers = g.Initializers.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var graphInputs = g.Inputs.Where(v => !initializers.ContainsKey(v.Name)).ToDictionary(v => v.Name, StringComparer.Ordinal);
        string Known() => string.Join(", ", g.Nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0).Take(8)) + (producer.Count > 8 ? ", ..." : "");
        var cut = new HashSet<string>(inputs ?? [.. graphInputs.Keys], StringComparer.Ordinal);
        foreach (var name in cut.Concat(outputs))
            if (!producer.ContainsKey(name) && !graphInputs.ContainsKey(name))
                throw new ArgumentException($"'{name}' is no value of the graph (its values include {Known()}).");
        // Walk back from the outputs, stopping at the cut.
        var keep = new bool[g.Nodes.Count];
        var usedInputs = new HashSet<string>(StringComparer.Ordinal);
        var usedInitializers = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(outputs);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.Count > 0)
        {
            string v = pending.Pop();
            if (v.Length == 0 || !seen.Add(v)) continue;
            if (cut.Contains(v)) { usedInputs.Add(v); continue; }
            if (initializers.ContainsKey(v)) { usedInitializers.Add(v); continue; }
            if (!producer.TryGetValue(v, out int k))
                throw new ArgumentException($"The slice needs graph input '{v}', which is not among its inputs ({string.Join(", ", cut)}).");
            keep[k] = true;
            foreach (var x in g.Nodes[k].Inputs) pending.Push(x);
            // Values a subgraph (If, Loop) reads from this scope.
            foreach (var a in g.Nodes[k].Attributes)
                if (a.G is { } sub)
                    foreach (var x in sub.Nodes.SelectMany(n => n.Inputs)) if (producer.ContainsKey(x) || initializers.ContainsKey(x)) pending.Push(x);
        }
        foreach (var name in cut.Where(c => !usedInputs.Contains(c)).Where(c => inputs is not null))
            throw new ArgumentException($"The outputs ({string.Join(", ", outputs)}) do not depend on input '{name}'.");
        var info = g.ValueInfo.Concat(g.Outputs).Concat(g.Inputs).GroupBy(v => v.Name, StringComparer.Ordinal).ToDictionary(v => v.Key, v => v.First(), StringComparer.Ordinal);
        OnnxValueInfo Info(string name) => info.TryGetValue(name, out var v) ? v : new OnnxValueInfo(name, OnnxDataType.Float, null);
        var graph = new OnnxGraph
        {
            Name = g.Name,
            Nodes = [.. g.Nodes.Where((_, i) => keep[i])],
            Initializers = [.. g.Initializers.Where(t => usedInitializers.Contains(t.Name))],
            Inputs = [.. (inputs ?? [.. graphInputs.Keys]).Where(usedInputs.Contains).Select(Info)],
            Outputs = [.. outputs.Select(Info)],
            ValueInfo = [.. g.ValueInfo.Where(v => seen.Contains(v.Name))],
        };
        return new OnnxModel { IrVersion = IrVersion, Opsets = Opsets, ProducerName = ProducerName, ProducerVersion = ProducerVersion, Graph = graph, Metadata = Metadata };
    }

    private static void WriteGraph(ProtoWriter w, OnnxGraph graph)
    {
        foreach (var node in graph.Nodes) w.Message(1, n => WriteNode(n, node));
        if (graph.Name.Length > 0) w.String(2, graph.Name);
        foreach (var t in graph.Initializers) w.Message(5, x => WriteTensor(x, t));
        foreach (var v in graph.Inputs) w.Message(11, x => WriteValueInfo(x, v));
        foreach (var v in graph.Outputs) w.Message(12, x => WriteValueInfo(x, v));
        foreach (var v in graph.ValueInfo) w.Message(13, x => WriteValueInfo(x, v));
    }

    private static void WriteNode(ProtoWriter w, OnnxNode node)
    {
        foreach (var i in node.Inputs) w.String(1, i);
        foreach (var o in node.Outputs) w.String(2, o);
        if (node.Name.Length > 0) w.String(3, node.Name);
        w.String(4, node.OpType);
        foreach (var a in node.Attributes) w.Message(5, x => WriteAttribute(x, a));
        if (node.Domain.Length > 0) w.String(7, node.Domain);
    }

    private static void WriteAttribute(ProtoWriter w, OnnxAttribute a)
    {
        w.String(1, a.Name);
        switch (a.Type)
        {
            case OnnxAttributeType.Float: w.Float(2, a.F); break;
            case OnnxAttributeType.Int: w.Int(3, a.I); break;
            case OnnxAttributeType.String: w.String(4, a.S); break;
            case OnnxAttributeType.Tensor: w.Message(5, x => WriteTensor(x, a.T!)); break;
            case OnnxAttributeType.Graph: w.Message(6, x => WriteGraph(x, a.G!)); break;
            case OnnxAttributeType.Floats: foreach (var f in a.Floats) w.Float(7, f); break;
            case OnnxAttributeType.Ints: foreach (var i in a.Ints) w.Int(8, i); break;
            case OnnxAttributeType.Strings: foreach (var s in a.Strings) w.String(9, s); break;
            default: throw new ArgumentException($"ONNX attribute '{a.Name}': cannot write type {a.Type}.");
        }
        w.Int(20, (long)a.Type);
    }

    private static void WriteTensor(ProtoWriter w, OnnxTensor t)
    {
        foreach (var d in t.Dims) w.Int(1, d);
        w.Int(2, (long)t.Type);
        if (t.Name.Length > 0) w.String(8, t.Name);
        w.Bytes(9, t.Data);
    }

    private static void WriteValueInfo(ProtoWriter w, OnnxValueInfo v)
    {
        w.String(1, v.Name);
        w.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int(1, (long)v.Type);
            if (v.Shape is { } shape)
                tensor.Message(2, s =>
                {
                    foreach (var d in shape)
                        s.Message(1, dim =>
                        {
                            if (d.Value is long value) dim.Int(1, value);
                            else if (d.Param is { } param) dim.String(2, param);
                        });
                });
        }));
    }

    /// <summary>Reads the ONNX file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid ONNX model; the message names the field and what was expected.</exception>
    public static OnnxModel Load(string path)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"ONNX model '{path}' is a folder; give the .onnx file.");
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        if (info.Length > MaxFileBytes) throw new InvalidDataException($"ONNX model '{path}' is {info.Length} bytes; the limit is {MaxFileBytes}.");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses ModelProto bytes; <paramref name="name"/> names the source in messages.</summary>
    public static OnnxModel Parse(ReadOnlySpan<byte> bytes, string name)
    {
        var r = new ProtoReader(bytes, $"ONNX model '{name}'");
        long ir = 0;
        string producer = "", producerVersion = "";
        OnnxGraph? graph = null;
        var opsets = new Dictionary<string, long>();
        var metadata = new Dictionary<string, string>();
        while (r.More)
        {
            var (field, wire) = r.Next();
            switch (field)
            {
                case 1: r.Expect(wire, 0, 1, "ir_version"); ir = r.Int64(); break;
                case 2: r.Expect(wire, 2, 2, "producer_name"); producer = r.String(); break;
                case 3: r.Expect(wire, 2, 3, "producer_version"); producerVersion = r.String(); break;
                case 7: r.Expect(wire, 2, 7, "graph"); graph = ReadGraph(r.Bytes(), $"ONNX model '{name}', graph", 0); break;
                case 8:
                {
                    r.Expect(wire, 2, 8, "opset_import");
                    var o = new ProtoReader(r.Bytes(), $"ONNX model '{name}', opset_import");
                    string domain = "";
                    long version = 0;
                    while (o.More)
                    {
                        var (f, wt) = o.Next();
                        if (f == 1 && wt == 2) domain = o.String();
                        else if (f == 2 && wt == 0) version = o.Int64();
                        else o.Skip(wt);
                    }
                    opsets[domain == "ai.onnx" ? "" : domain] = version;
                    break;
                }
                case 14:
                {
                    r.Expect(wire, 2, 14, "metadata_props");
                    var e = new ProtoReader(r.Bytes(), $"ONNX model '{name}', metadata_props");
                    string key = "", value = "";
                    while (e.More)
                    {
                        var (f, wt) = e.Next();
                        if (f == 1 && wt == 2) key = e.String();
                        else if (f == 2 && wt == 2) value = e.String();
                        else e.Skip(wt);
                    }
                    metadata[key] = value;
                    break;
                }
                default: r.Skip(wire); break;
            }
        }
        if (graph is null) throw new InvalidDataException($"ONNX model '{name}' has no graph (field 7); is it an ONNX file?");
        if (opsets.Count == 0) opsets[""] = 1; // IR 1 and 2 files may omit it
        return new OnnxModel { IrVersion = ir, Opsets = opsets, ProducerName = producer, ProducerVersion = producerVersion, Graph = graph, Metadata = metadata };
    }

    private static OnnxGraph ReadGraph(ReadOnlySpan<byte> bytes, string where, int depth)
    {
        if (depth > MaxGraphDepth) throw new InvalidDataException($"{where}: graphs nest more than {MaxGraphDepth} deep.");
        var r = new ProtoReader(bytes, where);
        var nodes = new List<OnnxNode>();
        var initializers = new List<OnnxTensor>();
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        var valueInfo = new List<OnnxValueInfo>();
        string name = "";
        while (r.More)
        {
            var (field, wire) = r.Next();
            switch (field)
            {
                case 1: r.Expect(wire, 2, 1, "node"); nodes.Add(ReadNode(r.Bytes(), $"{where}, node {nodes.Count}", depth)); break;
                case 2: r.Expect(wire, 2, 2, "name"); name = r.String(); break;
                case 5: r.Expect(wire, 2, 5, "initializer"); initializers.Add(ReadTensor(r.Bytes(), $"{where}, initializer {initializers.Count}")); break;
                case 11: r.Expect(wire, 2, 11, "input"); inputs.Add(ReadValueInfo(r.Bytes(), $"{where}, input {inputs.Count}")); break;
                case 12: r.Expect(wire, 2, 12, "output"); outputs.Add(ReadValueInfo(r.Bytes(), $"{where}, output {outputs.Count}")); break;
                case 13: r.Expect(wire, 2, 13, "value_info"); valueInfo.Add(ReadValueInfo(r.Bytes(), $"{where}, value_info {valueInfo.Count}")); break;
                case 15: throw new InvalidDataException($"{where}: sparse initializers are not supported.");
                default: r.Skip(wire); break;
            }
        }
        return new OnnxGraph { Name = name, Nodes = nodes, Initializers = initializers, Inputs = inputs, Outputs = outputs, ValueInfo = valueInfo };
    }

    private static OnnxNode ReadNode(ReadOnlySpan<byte> bytes, string where, int depth)
    {
        var r = new ProtoReader(bytes, where);
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<OnnxAttribute>();
        string name = "", op = "", domain = "";
        while (r.More)
        {
            var (field, wire) = r.Next();
            switch (field)
            {
                case 1: r.Expect(wire, 2, 1, "input"); inputs.Add(r.String()); break;
                case 2: r.Expect(wire, 2, 2, "output"); outputs.Add(r.String()); break;
                case 3: r.Expect(wire, 2, 3, "name"); name = r.String(); break;
                case 4: r.Expect(wire, 2, 4, "op_type"); op = r.String(); break;
                case 5: r.Expect(wire, 2, 5, "attribute"); attributes.Add(ReadAttribute(r.Bytes(), $"{where}, attribute {attributes.Count}", depth)); break;
                case 7: r.Expect(wire, 2, 7, "domain"); domain = r.String(); break;
                default: r.Skip(wire); break;
            }
        }
        if (op.Length == 0) throw new InvalidDataException($"{where}{(name.Length > 0 ? $" ('{name}')" : "")}: the node has no op_type.");
        return new OnnxNode { OpType = op, Domain = domain == "ai.onnx" ? "" : domain, Name = name, Inputs = inputs, Outputs = outputs, Attributes = attributes };
    }

    private static OnnxAttribute ReadAttribute(ReadOnlySpan<byte> bytes, string where, int depth)
    {
        var r = new ProtoReader(bytes, where);
        string name = "", s = "";
        float f = 0;
        long i = 0;
        int type = 0;
        OnnxTensor? t = null;
        OnnxGraph? g = null;
        var floats = new List<float>();
        var ints = new List<long>();
        var strings = new List<string>();
        var seen = OnnxAttributeType.Undefined;
        while (r.More)
        {
            var (field, wire) = r.Next();
            switch (field)
            {
                case 1: r.Expect(wire, 2, 1, "name"); name = r.String(); break;
                case 2: r.Expect(wire, 5, 2, "f"); f = r.Fixed32Float(); seen = OnnxAttributeType.Float; break;
                case 3: r.Expect(wire, 0, 3, "i"); i = r.Int64(); seen = OnnxAttributeType.Int; break;
                case 4: r.Expect(wire, 2, 4, "s"); s = r.String(); seen = OnnxAttributeType.String; break;
                case 5: r.Expect(wire, 2, 5, "t"); t = ReadTensor(r.Bytes(), $"{where}, t"); seen = OnnxAttributeType.Tensor; break;
                case 6: r.Expect(wire, 2, 6, "g"); g = ReadGraph(r.Bytes(), $"{where}, g", depth + 1); seen = OnnxAttributeType.Graph; break;
                case 7: r.Floats(wire, floats, 7); seen = OnnxAttributeType.Floats; break;
                case 8: r.Int64s(wire, ints, 8); seen = OnnxAttributeType.Ints; break;
                case 9: r.Expect(wire, 2, 9, "strings"); strings.Add(r.String()); seen = OnnxAttributeType.Strings; break;
                case 20: r.Expect(wire, 0, 20, "type"); type = (int)r.Int64(); break;
                default: r.Skip(wire); break;
            }
        }
        // IR 1 files may omit the type: it is then the field that was present.
        // A type Striate does not read (sparse tensors, type protos, lists of tensors or graphs) stays Undefined: the
        // operators that take such attributes are not implemented, and binding refuses them.
        var kind = type != 0 ? (OnnxAttributeType)type : seen;
        if (!Enum.IsDefined(kind)) kind = OnnxAttributeType.Undefined;
        return new OnnxAttribute { Name = name, Type = kind, F = f, I = i, S = s, T = t, G = g, Floats = floats, Ints = ints, Strings = strings };
    }

    /// <summary>Parses a serialized TensorProto (the .pb files of ONNX's test data); <paramref name="name"/> names the source in messages.</summary>
    public static OnnxTensor ParseTensor(ReadOnlySpan<byte> bytes, string name) => ReadTensor(bytes, $"ONNX tensor '{name}'");

    private static OnnxTensor ReadTensor(ReadOnlySpan<byte> bytes, string where)
    {
        var r = new ProtoReader(bytes, where);
        var dims = new List<long>();
        var floats = new List<float>();
        var longs = new List<long>();
        var doubles = new List<double>();
        byte[]? raw = null;
        int type = 0;
        string name = "";
        bool external = false;
        while (r.More)
        {
            var (field, wire) = r.Next();
            switch (field)
            {
                case 1: r.Int64s(wire, dims, 1); break;
                case 2: r.Expect(wire, 0, 2, "data_type"); type = (int)r.Int64(); break;
                case 4: r.Floats(wire, floats, 4); break;
                case 5: case 7: case 11: r.Int64s(wire, longs, field); break; // int32_data, int64_data, uint64_data: varints
                case 8: r.Expect(wire, 2, 8, "name"); name = r.String(); break;
                case 9: r.Expect(wire, 2, 9, "raw_data"); raw = r.Bytes().ToArray(); break;
                case 10: r.Doubles(wire, doubles, 10); break;
                case 13: r.Skip(wire); external = true; break;
                case 14: r.Expect(wire, 0, 14, "data_location"); external |= r.Int64() == 1; break;
                default: r.Skip(wire); break;
            }
        }
        string label = name.Length > 0 ? $"{where} ('{name}')" : where;
        if (external) throw new InvalidDataException($"{label}: the tensor's data is stored outside the model file (external data), which Striate does not read; save the model with its weights inside.");
        var dt = (OnnxDataType)type;
        int size = OnnxTensor.ElementSize(dt);
        if (size == 0) throw new InvalidDataException($"{label}: data type {type} is not one Striate reads (float, double, float16, int8 to int64, uint8 to uint64, bool).");
        long count = 1;
        foreach (long d in dims)
        {
            if (d < 0) throw new InvalidDataException($"{label}: dimension {d} is negative.");
            count = d == 0 ? 0 : count > long.MaxValue / d ? throw new InvalidDataException($"{label}: dims [{string.Join(", ", dims)}] overflow.") : count * d;
        }
        long typed = floats.Count + longs.Count + doubles.Count;
        if (raw is not null)
        {
            if (raw.Length != count * size) throw new InvalidDataException($"{label}: dims [{string.Join(", ", dims)}] of {dt} need {count * size} bytes; raw_data holds {raw.Length}.");
            return new OnnxTensor(name, dt, [.. dims], raw);
        }
        if (typed != count) throw new InvalidDataException($"{label}: dims [{string.Join(", ", dims)}] need {count} values; the tensor holds {typed}.");
        var data = new byte[count * size];
        switch (dt)
        {
            case OnnxDataType.Float when floats.Count == count: MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(floats)).CopyTo(data); break;
            case OnnxDataType.Double when doubles.Count == count: MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(doubles)).CopyTo(data); break;
            case OnnxDataType.Int64 or OnnxDataType.UInt64 when longs.Count == count: MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(longs)).CopyTo(data); break;
            case OnnxDataType.Int32 or OnnxDataType.UInt32 when longs.Count == count:
                for (int k = 0; k < count; k++) BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4 * k), (int)longs[k]);
                break;
            case OnnxDataType.Int16 or OnnxDataType.UInt16 or OnnxDataType.Float16 when longs.Count == count: // int32_data holds them
                for (int k = 0; k < count; k++) BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(2 * k), (short)longs[k]);
                break;
            case OnnxDataType.Int8 or OnnxDataType.UInt8 or OnnxDataType.Bool when longs.Count == count:
                for (int k = 0; k < count; k++) data[k] = (byte)longs[k];
                break;
            default:
                throw new InvalidDataException($"{label}: {dt} elements were stored in a field for another type.");
        }
        return new OnnxTensor(name, dt, [.. dims], data);
    }

    private static OnnxValueInfo ReadValueInfo(ReadOnlySpan<byte> bytes, string where)
    {
        var r = new ProtoReader(bytes, where);
        string name = "";
        int elem = 0;
        List<OnnxDim>? shape = null;
        while (r.More)
        {
            var (field, wire) = r.Next();
            if (field == 1 && wire == 2) name = r.String();
            else if (field == 2 && wire == 2)
            {
                var type = new ProtoReader(r.Bytes(), where);
                while (type.More)
                {
                    var (tf, tw) = type.Next();
                    if (tf != 1 || tw != 2) { type.Skip(tw); continue; }
                    var tensor = new ProtoReader(type.Bytes(), where);
                    while (tensor.More)
                    {
                        var (f, w) = tensor.Next();
                        if (f == 1 && w == 0) elem = (int)tensor.Int64();
                        else if (f == 2 && w == 2)
                        {
                            shape = [];
                            var s = new ProtoReader(tensor.Bytes(), where);
                            while (s.More)
                            {
                                var (sf, sw) = s.Next();
                                if (sf != 1 || sw != 2) { s.Skip(sw); continue; }
                                var d = new ProtoReader(s.Bytes(), where);
                                long? value = null;
                                string? param = null;
                                while (d.More)
                                {
                                    var (df, dw) = d.Next();
                                    if (df == 1 && dw == 0) value = d.Int64();
                                    else if (df == 2 && dw == 2) param = d.String();
                                    else d.Skip(dw);
                                }
                                shape.Add(new OnnxDim(value, param));
                            }
                        }
                        else tensor.Skip(w);
                    }
                }
            }
            else r.Skip(wire);
        }
        return new OnnxValueInfo(name, (OnnxDataType)elem, shape);
    }
}
