using System.Globalization;
using Striate.Onnx;
using Striate.Tensors;

namespace Striate.Transfer;

/// <summary>
/// A point where a backbone can be cut: the last value the graph computes at one spatial size (the end of a stage,
/// such as ResNet's layer3), with its shape for one image.
/// </summary>
public sealed record BackboneStage(string Value, int Channels, int Height, int Width)
{
    /// <summary>The features a 2x2 average pool of this stage gives (four per channel).</summary>
    public int PooledFeatures => Channels * 4;
}

/// <summary>
/// A network read from ONNX (such as an ImageNet feature extractor), made into the backbone of a new classifier of
/// other images: an input adapter written into the graph (the images resized to the network's input size by a
/// bilinear map with half-pixel centres, a single channel repeated to the network's three, pixel values scaled),
/// then an optional preprocessing graph (a mean image subtracted, channels reordered), then the network. The stages
/// (cut points) are found by running one image: the last value at each spatial size that the rest of the graph can
/// be computed from alone. A head reads chosen stages each average-pooled to 2x2 (keeping where in the image a
/// feature fired, which the network's own global pool loses), and the whole classifier is written as one ONNX graph.
/// </summary>
public sealed class OnnxBackbone
{
    /// <summary>The name of the composed graph's input (images [batch, C, H, W] of the data's size).</summary>
    public const string InputName = "image";

    /// <summary>The name of the pooled features' value in <see cref="WithFeatures"/>'s graph.</summary>
    public const string FeaturesName = "striate_features";

    /// <summary>The name of the classifier's output in <see cref="WithHead"/>'s graph.</summary>
    public const string LogitsName = "logits";

    private OnnxBackbone(OnnxModel model, (int C, int H, int W) image, (int C, int H, int W) network, IReadOnlyList<BackboneStage> stages)
    {
        Model = model;
        ImageShape = image;
        NetworkShape = network;
        Stages = stages;
    }

    /// <summary>The composed graph: adapter, preprocessing and network, from <see cref="InputName"/> to the network's output.</summary>
    public OnnxModel Model { get; }

    /// <summary>The size of the images the backbone takes (the data's).</summary>
    public (int C, int H, int W) ImageShape { get; }

    /// <summary>The size of the network's own input.</summary>
    public (int C, int H, int W) NetworkShape { get; }

    /// <summary>The cut points, from the input to the output: the last value at each spatial size that the rest of the graph needs alone.</summary>
    public IReadOnlyList<BackboneStage> Stages { get; }

    /// <summary>The last <paramref name="count"/> stages with a spatial size of at least 2x2 (for ResNet-18 and 3: layer2, layer3 and layer4), for a head to read.</summary>
    /// <exception cref="ArgumentException">The backbone has fewer such stages.</exception>
    public IReadOnlyList<BackboneStage> LastStages(int count)
    {
        var pooled = Stages.Where(s => s.Height >= 2 && s.Width >= 2).ToList();
        if (count < 1 || count > pooled.Count)
            throw new ArgumentException($"the head can read 1 to {pooled.Count} stages of this backbone ({string.Join(", ", pooled.Select(s => $"{s.Value} {s.Channels}x{s.Height}x{s.Width}"))}), not {count}.");
        return pooled[^count..];
    }

    /// <summary>
    /// The backbone of <paramref name="network"/> (its first input an image [batch, C, H, W] of fixed C, H and W) for
    /// images of <paramref name="image"/>'s size whose pixels are in [0, 1], multiplied by <paramref name="pixelScale"/>
    /// (255 for a network that takes byte values) before <paramref name="preprocess"/> (a graph from the network's
    /// input to the same shape, or null) and the network. With <paramref name="fill"/> below 1 the image is resized to
    /// that part of the network's input size, centred, and the border is 0 (the background of a dark image).
    /// </summary>
    /// <exception cref="ArgumentException">The network's input is not a fixed-size image, the channels cannot be adapted (the data has one channel or as many as the network), the preprocessing graph does not fit, or the two graphs import different operator sets.</exception>
    public static OnnxBackbone Create(OnnxModel network, OnnxModel? preprocess, (int C, int H, int W) image, float pixelScale = 1f, float fill = 1f)
    {
        if (!(fill > 0 && fill <= 1)) throw new ArgumentException($"the fill (the part of the network's input the image covers) must be in (0, 1], got {fill}.");
        ArgumentNullException.ThrowIfNull(network);
        if (image.C < 1 || image.H < 1 || image.W < 1) throw new ArgumentException($"the images' size must be positive, got {image.C}x{image.H}x{image.W}.");
        if (!(pixelScale > 0) || !float.IsFinite(pixelScale)) throw new ArgumentException($"the pixel scale must be a positive number, got {pixelScale}.");
        var first = preprocess ?? network;
        var input = ImageInput(first, preprocess is null ? "the network" : "the preprocessing graph");
        var shape = FixedImage(input, preprocess is null ? "the network" : "the preprocessing graph");
        if (image.C != 1 && image.C != shape.C)
            throw new ArgumentException($"the network takes {shape.C}-channel images; images of {image.C} channels can be given only when they have {shape.C} or 1 (repeated).");
        if (preprocess is not null && preprocess.Opset != network.Opset)
            throw new ArgumentException($"the preprocessing graph imports operator set {preprocess.Opset}, the network {network.Opset}; they must be the same to run as one graph.");

        var nodes = new List<OnnxNode>();
        var inits = new List<OnnxTensor>();
        // Adapter: resize by two matrix products (a bilinear map is separable), scale folded into the row map.
        string x = InputName;
        if (image.H != shape.H || image.W != shape.W || pixelScale != 1f || fill != 1f)
        {
            inits.Add(OnnxTensor.FromFloats("striate_resize_columns", [image.W, shape.W], Transposed(Bilinear(image.W, shape.W, 1f, fill), shape.W, image.W)));
            inits.Add(OnnxTensor.FromFloats("striate_resize_rows", [shape.H, image.H], Bilinear(image.H, shape.H, pixelScale, fill)));
            nodes.Add(new OnnxNode { OpType = "MatMul", Name = "striate_resize_w", Inputs = [x, "striate_resize_columns"], Outputs = ["striate_resized_w"] });
            nodes.Add(new OnnxNode { OpType = "MatMul", Name = "striate_resize_h", Inputs = ["striate_resize_rows", "striate_resized_w"], Outputs = ["striate_resized"] });
            x = "striate_resized";
        }
        if (image.C != shape.C)
        {
            nodes.Add(new OnnxNode { OpType = "Concat", Name = "striate_channels", Inputs = [.. Enumerable.Repeat(x, shape.C)], Outputs = ["striate_channels"], Attributes = [OnnxAttribute.Int("axis", 1)] });
            x = "striate_channels";
        }
        var taken = new HashSet<string>(nodes.SelectMany(n => n.Outputs).Concat(inits.Select(i => i.Name)).Append(InputName), StringComparer.Ordinal);
        if (preprocess is not null)
        {
            x = Append(nodes, inits, preprocess, x, "preprocess/", taken);
            ImageInput(network, "the network");
        }
        int firstOfNetwork = nodes.Count;
        string output = Append(nodes, inits, network, x, "", taken);
        var outInfo = network.Graph.Outputs[0];
        var graph = new OnnxGraph
        {
            Name = network.Graph.Name,
            Nodes = nodes,
            Initializers = inits,
            Inputs = [new OnnxValueInfo(InputName, OnnxDataType.Float, [new OnnxDim(null, "batch"), new(image.C, null), new(image.H, null), new(image.W, null)])],
            Outputs = [outInfo with { Name = output, Shape = null }],
        };
        var model = new OnnxModel
        {
            IrVersion = network.IrVersion,
            Opsets = network.Opsets,
            ProducerName = network.ProducerName,
            ProducerVersion = network.ProducerVersion,
            Graph = graph,
        };
        return new OnnxBackbone(model, image, shape, FindStages(model, image, output, firstOfNetwork));
    }

    /// <summary>The graph from the images to <paramref name="taps"/> each average-pooled to 2x2, flattened and joined as <see cref="FeaturesName"/> [batch, features].</summary>
    /// <exception cref="ArgumentException">A tap is not one of <see cref="Stages"/>, or smaller than 2x2.</exception>
    public OnnxModel WithFeatures(IReadOnlyList<BackboneStage> taps)
    {
        var (nodes, inits) = FeatureNodes(taps);
        return Extend(nodes, inits, new OnnxValueInfo(FeaturesName, OnnxDataType.Float, [new OnnxDim(null, "batch"), new OnnxDim(taps.Sum(t => t.PooledFeatures), null)]), null);
    }

    /// <summary>
    /// The classifier: <see cref="WithFeatures"/>'s features times <paramref name="weight"/> [classes, features]
    /// (transposed, as Gemm's B) plus <paramref name="bias"/>, as <see cref="LogitsName"/> [batch, classes].
    /// </summary>
    /// <exception cref="ArgumentException">The weight or bias does not fit the taps' feature count.</exception>
    public OnnxModel WithHead(IReadOnlyList<BackboneStage> taps, float[] weight, float[] bias, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        int features = taps.Sum(t => t.PooledFeatures);
        if (bias.Length < 1 || weight.Length != bias.Length * features)
            throw new ArgumentException($"the head needs a weight of [classes, {features}] and a bias of [classes]; got {weight.Length} and {bias.Length} values.");
        var (nodes, inits) = FeatureNodes(taps);
        inits.Add(OnnxTensor.FromFloats("head.weight", [bias.Length, features], weight));
        inits.Add(OnnxTensor.FromFloats("head.bias", [bias.Length], bias));
        nodes.Add(new OnnxNode { OpType = "Gemm", Name = "head", Inputs = [FeaturesName, "head.weight", "head.bias"], Outputs = [LogitsName], Attributes = [OnnxAttribute.Int("transB", 1)] });
        return Extend(nodes, inits, new OnnxValueInfo(LogitsName, OnnxDataType.Float, [new OnnxDim(null, "batch"), new OnnxDim(bias.Length, null)]), metadata);
    }

    private (List<OnnxNode> Nodes, List<OnnxTensor> Inits) FeatureNodes(IReadOnlyList<BackboneStage> taps)
    {
        ArgumentNullException.ThrowIfNull(taps);
        if (taps.Count == 0) throw new ArgumentException("the head needs at least one stage to read.");
        var nodes = new List<OnnxNode>();
        var flat = new List<string>();
        foreach (var t in taps)
        {
            if (!Stages.Contains(t)) throw new ArgumentException($"'{t.Value}' is not a stage of the backbone (its stages: {string.Join(", ", Stages.Select(s => s.Value))}).");
            if (t.Height < 2 || t.Width < 2) throw new ArgumentException($"stage '{t.Value}' is {t.Height}x{t.Width}; a 2x2 pool needs at least 2x2.");
            // Adaptive 2x2 pooling as PyTorch bins it (rows floor(i*h/2) to ceil((i+1)*h/2)): an odd size's two bins share the middle row.
            var (kh, sh) = Bins(t.Height);
            var (kw, sw) = Bins(t.Width);
            string pooled = $"striate_pool/{t.Value}", flatName = $"striate_flat/{t.Value}";
            nodes.Add(new OnnxNode
            {
                OpType = "AveragePool", Name = pooled, Inputs = [t.Value], Outputs = [pooled],
                Attributes = [OnnxAttribute.IntList("kernel_shape", kh, kw), OnnxAttribute.IntList("strides", sh, sw)],
            });
            nodes.Add(new OnnxNode { OpType = "Flatten", Name = flatName, Inputs = [pooled], Outputs = [flatName], Attributes = [OnnxAttribute.Int("axis", 1)] });
            flat.Add(flatName);
        }
        nodes.Add(new OnnxNode { OpType = "Concat", Name = FeaturesName, Inputs = flat, Outputs = [FeaturesName], Attributes = [OnnxAttribute.Int("axis", 1)] });
        return (nodes, []);
    }

    private static (long Kernel, long Stride) Bins(int size) => size % 2 == 0 ? (size / 2, size / 2) : ((size + 1) / 2, (size - 1) / 2);

    // The backbone's nodes up to the taps (the network's own head left out), then the given nodes.
    private OnnxModel Extend(List<OnnxNode> nodes, List<OnnxTensor> inits, OnnxValueInfo output, IReadOnlyDictionary<string, string>? metadata)
    {
        var taps = nodes.SelectMany(n => n.Inputs).Where(i => Stages.Any(s => s.Value == i)).Distinct().ToList();
        var body = Model.Slice(null, taps).Graph;
        var graph = new OnnxGraph
        {
            Name = body.Name,
            Nodes = [.. body.Nodes, .. nodes],
            Initializers = [.. body.Initializers, .. inits],
            Inputs = body.Inputs,
            Outputs = [output],
        };
        return new OnnxModel
        {
            IrVersion = Model.IrVersion, Opsets = Model.Opsets, Graph = graph, Metadata = metadata ?? new Dictionary<string, string>(),
            ProducerName = "Striate", ProducerVersion = typeof(OnnxBackbone).Assembly.GetName().Version?.ToString(3) ?? "",
        };
    }

    private static OnnxValueInfo ImageInput(OnnxModel model, string what)
    {
        var names = model.Graph.Initializers.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = model.Graph.Inputs.Where(i => !names.Contains(i.Name)).ToList();
        if (inputs.Count != 1) throw new ArgumentException($"{what} takes {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); a backbone takes one image.");
        if (model.Graph.Outputs.Count < 1) throw new ArgumentException($"{what} has no output.");
        return inputs[0];
    }

    private static (int C, int H, int W) FixedImage(OnnxValueInfo input, string what)
    {
        if (input.Shape is not { Count: 4 } d || d.Skip(1).Any(x => x.Value is not (>= 1 and <= 4096)))
            throw new ArgumentException($"{what}'s input '{input.Name}' is {(input.Shape is null ? "of unknown shape" : $"[{string.Join(", ", input.Shape.Select(x => x.Value?.ToString(CultureInfo.InvariantCulture) ?? x.Param ?? "?"))}]")}; a backbone takes images [batch, C, H, W] of fixed C, H and W.");
        return ((int)d[1].Value!.Value, (int)d[2].Value!.Value, (int)d[3].Value!.Value);
    }

    // Appends a graph's nodes and initializers, its input fed by `from`, values renamed with `prefix` (or wherever
    // they would clash); returns the name its first output has now.
    private static string Append(List<OnnxNode> nodes, List<OnnxTensor> inits, OnnxModel model, string from, string prefix, HashSet<string> taken)
    {
        var g = model.Graph;
        var input = ImageInput(model, "the graph");
        var rename = new Dictionary<string, string>(StringComparer.Ordinal) { [input.Name] = from, [""] = "" };
        string Fresh(string name)
        {
            string n = prefix + name;
            for (int k = 1; !taken.Add(n); k++) n = $"{prefix}{name}_{k.ToString(CultureInfo.InvariantCulture)}";
            rename[name] = n;
            return n;
        }
        foreach (var t in g.Initializers)
            inits.Add(new OnnxTensor(Fresh(t.Name), t.Type, t.Dims, t.Data));
        string R(string name) => rename.TryGetValue(name, out var r) ? r : name;
        foreach (var n in g.Nodes)
        {
            var inputs = n.Inputs.Select(R).ToList();
            var outputs = n.Outputs.Select(o => o.Length == 0 ? o : Fresh(o)).ToList();
            nodes.Add(new OnnxNode { OpType = n.OpType, Domain = n.Domain, Name = n.Name, Inputs = inputs, Outputs = outputs, Attributes = n.Attributes });
        }
        return R(g.Outputs[0].Name);
    }

    // Bilinear interpolation from n to round(fill * m) samples with half-pixel centres (PyTorch's align_corners=False,
    // edges clamped), centred in m rows (the others 0), as an m x n matrix, times scale.
    internal static float[] Bilinear(int n, int m, float scale, float fill = 1f)
    {
        var a = new float[m * n];
        int size = Math.Max(1, (int)Math.Round(fill * m)), offset = (m - size) / 2;
        double ratio = (double)n / size;
        for (int o = 0; o < size; o++)
        {
            double c = Math.Max((o + 0.5) * ratio - 0.5, 0);
            int i0 = Math.Min((int)Math.Floor(c), n - 1), i1 = Math.Min(i0 + 1, n - 1);
            double r = c - i0;
            a[(offset + o) * n + i0] += (float)((1 - r) * scale);
            a[(offset + o) * n + i1] += (float)(r * scale);
        }
        return a;
    }

    private static float[] Transposed(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }

    // Runs one blank image through every value of the network's nodes (from `first` on) to learn the shapes; a stage is
    // the last 4-D value at a spatial size from which the output can be computed alone.
    private static IReadOnlyList<BackboneStage> FindStages(OnnxModel model, (int C, int H, int W) image, string output, int first)
    {
        var values = model.Graph.Nodes.Skip(first).SelectMany(n => n.Outputs).Where(o => o.Length > 0).ToList();
        var probe = Onnx.OnnxModule.FromModel(model.Slice(null, values), "backbone");
        probe.Eval();
        List<int[]> shapes;
        using (TensorScope.Begin())
        using (Autograd.NoGrad())
        {
            var blank = new float[image.C * image.H * image.W];
            shapes = [.. probe.Run(new Dictionary<string, OnnxTensor> { [InputName] = OnnxTensor.FromFloats(InputName, [1, image.C, image.H, image.W], blank) })
                .Select(t => t.Shape.ToArray())];
        }
        var last = new Dictionary<(int, int), int>();
        for (int i = 0; i < values.Count; i++)
            if (shapes[i] is [1, _, int h, int w]) last[(h, w)] = i;
        var stages = new List<BackboneStage>();
        foreach (int i in last.Values.Order())
        {
            try
            {
                model.Slice([values[i]], [output]);
            }
            catch (ArgumentException)
            {
                continue; // a branch joins after it: not a cut
            }
            var s = shapes[i];
            stages.Add(new BackboneStage(values[i], s[1], s[2], s[3]));
        }
        return stages;
    }
}
