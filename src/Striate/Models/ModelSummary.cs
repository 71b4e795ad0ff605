using System.Globalization;
using System.Text;
using System.Text.Json;
using Striate.Nn;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// A layer-by-layer account of a model for one input size, made by running one image through it with every
/// module call traced: output shapes, parameters, multiply-accumulates, activation memory, receptive fields
/// (R_k = R_(k-1) + (F_k - 1) * jump_(k-1), with the dilated kernel size F_k; jump_k = jump_(k-1) * S_k; a transposed
/// convolution adds (ceil(F_k / S_k) - 1) * jump_(k-1) and divides the jump by S_k), and
/// the rows and columns a stride that does not tile its input drops. Activations are the values a layer
/// stores (the input image counts; in-place activations, dropout and flatten do not).
/// </summary>
public sealed class ModelSummary
{
    private ModelSummary(string model, IReadOnlyList<int> inputShape, List<SummaryRow> rows, List<ModuleRow> modules, long parameters, long trainable, List<SkipRow> skips)
    {
        Skips = skips;
        Modules = modules;
        Model = model;
        InputShape = inputShape;
        Rows = rows;
        Parameters = parameters;
        TrainableParameters = trainable;
    }

    public string Model { get; }

    /// <summary>C, H, W of the input.</summary>
    public IReadOnlyList<int> InputShape { get; }

    public IReadOnlyList<SummaryRow> Rows { get; }

    /// <summary>Every module call, composite ones included (an inception block, a residual stage), with all the parameters under it.</summary>
    public IReadOnlyList<ModuleRow> Modules { get; }

    /// <summary>Every parameter of the model (including any a forward pass did not reach).</summary>
    public long Parameters { get; }

    /// <summary>The skip connections the model reported (U-Net's concatenations, FCN's sums), each with the receptive field of its source.</summary>
    public IReadOnlyList<SkipRow> Skips { get; }

    public long TrainableParameters { get; }

    public long MultiplyAccumulates => Rows.Sum(r => r.MultiplyAccumulates);

    /// <summary>Values stored by the forward pass of one image, the input included.</summary>
    public long Activations => InputShape.Aggregate(1L, (a, b) => a * b) + Rows.Sum(r => r.Activations);

    /// <summary>Forward activation memory of one image in bytes (float32).</summary>
    public long ForwardBytes => Activations * sizeof(float);

    /// <summary>
    /// Memory of one training step per image, estimated: the forward activations kept for backward and as
    /// much again for their gradients.
    /// </summary>
    public long TrainingBytes => 2 * ForwardBytes;

    /// <summary>Runs one zero image of shape [C, H, W] through <paramref name="model"/> in evaluation mode and accounts for every layer.</summary>
    /// <exception cref="ArgumentException">The input is too small or does not fit the model; the message names the layer.</exception>
    public static ModelSummary Of(Module model, int channels, int height, int width, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (channels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"Summary: the input size must be positive, got {channels}x{height}x{width}.");
        bool training = model.IsTraining;
        model.Eval();
        IReadOnlyList<TraceEntry> entries;
        try
        {
            using var _ = Autograd.NoGrad();
            using var scope = TensorScope.Begin();
            using var trace = ForwardTrace.Begin();
            model.Call(Tensor.Zeros(1, channels, height, width));
            entries = trace.Entries;
            return Build(model, name ?? model.GetType().Name, [channels, height, width], entries, trace.Skips);
        }
        finally
        {
            model.Train(training);
        }
    }

    private static ModelSummary Build(Module model, string name, int[] input, IReadOnlyList<TraceEntry> entries, IReadOnlyList<SkipConnection> skipConnections)
    {
        var paths = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (n, m) in model.NamedModules()) paths.TryAdd(m, n);
        var fields = new Dictionary<Tensor, (long Rf, long Jump)>(ReferenceEqualityComparer.Instance);
        (long Rf, long Jump) best = (1, 1);
        var rows = new List<SummaryRow>();
        // A skip connection's joined map sees what its parts see: the largest field among them, at their (common) jump.
        (long Rf, long Jump)? Joined(Tensor t)
        {
            var join = skipConnections.FirstOrDefault(k => ReferenceEquals(k.Joined, t));
            if (join is null || !join.Parts.All(fields.ContainsKey)) return null;
            var parts = join.Parts.Select(p => fields[p]).ToList();
            return (parts.Max(p => p.Rf), parts.Min(p => p.Jump));
        }
        if (entries.Count > 0) fields[entries[0].Input] = (1, 1);
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            bool leaf = e.LastChild == i;
            if (!leaf) continue;
            var inField = fields.TryGetValue(e.Input, out var f) ? f : Joined(e.Input) ?? best;
            var cost = e.Module.Cost(e.InputShape, e.OutputShape!);
            var outField = inField;
            int droppedRows = 0, droppedCols = 0;
            if (cost.Window is { Transposed: true } t)
            {
                // Each output pixel gathers ceil(F / S) input pixels a side; output pixels lie 1/S input pixels apart.
                long effH = (long)t.DilationH * (t.KernelH - 1) + 1, effW = (long)t.DilationW * (t.KernelW - 1) + 1;
                long taps = Math.Max((effH + t.StrideH - 1) / t.StrideH, (effW + t.StrideW - 1) / t.StrideW);
                outField = (inField.Rf + (taps - 1) * inField.Jump, Math.Max(1, inField.Jump / Math.Max(t.StrideH, t.StrideW)));
            }
            else if (cost.Window is { } w)
            {
                long effH = (long)w.DilationH * (w.KernelH - 1) + 1, effW = (long)w.DilationW * (w.KernelW - 1) + 1;
                outField = (inField.Rf + (Math.Max(effH, effW) - 1) * inField.Jump, inField.Jump * Math.Max(w.StrideH, w.StrideW));
                if (!w.CeilMode && e.InputShape.Rank == 4)
                {
                    droppedRows = (int)((e.InputShape[2] + w.PadH - effH) % w.StrideH);
                    droppedCols = (int)((e.InputShape[3] + w.PadW - effW) % w.StrideW);
                }
            }
            fields[e.Output!] = outField;
            if (outField.Rf > best.Rf) best = outField;
            // A composite call whose output came from an op outside any module (a residual sum, a concatenation)
            // gets the largest field seen so far.
            for (int j = 0; j < i; j++)
                if (entries[j].LastChild == i && !fields.ContainsKey(entries[j].Output!)) fields[entries[j].Output!] = best;
            long own = OwnParameters(e.Module, out long weights);
            var outShape = e.OutputShape!.Dims[1..].ToArray();
            long perImage = e.OutputShape!.Numel / Math.Max(e.OutputShape[0], 1);
            rows.Add(new SummaryRow(paths.TryGetValue(e.Module, out var p) ? (p.Length == 0 ? "(model)" : p) : e.Module.GetType().Name,
                e.Module.GetType().Name, outShape, own, weights, cost.MultiplyAccumulates, cost.InPlace ? 0 : perImage,
                outField.Rf, outField.Jump, droppedRows, droppedCols));
        }
        // Composite calls that ended after their last child.
        foreach (var e in entries)
            if (e.Output is not null && !fields.ContainsKey(e.Output)) fields[e.Output] = best;
        var modules = entries.Select(e => new ModuleRow(
            paths.TryGetValue(e.Module, out var mp) ? (mp.Length == 0 ? "(model)" : mp) : e.Module.GetType().Name,
            e.Module.GetType().Name, e.OutputShape!.Dims[1..].ToArray(), e.Module.ParameterCount(), e.Depth)).ToList();
        long total = model.ParameterCount();
        // A skip's receptive field is that of the last layer under its source (the source itself, or its last child).
        var skips = skipConnections.Select(k => new SkipRow(k.Into, k.From, k.FromShape, k.UsedShape, k.JoinedShape, k.How,
            rows.LastOrDefault(r => r.Name == k.From || r.Name.StartsWith(k.From + ".", StringComparison.Ordinal))?.ReceptiveField ?? 0)).ToList();
        return new ModelSummary(name, input, rows, modules, total, model.Parameters().Where(t => t.RequiresGrad).Sum(t => (long)t.Numel), skips);
    }

    private static long OwnParameters(Module m, out long weights)
    {
        long n = 0;
        weights = 0;
        var childParams = new HashSet<Tensor>(m.Children().SelectMany(c => c.Module.Parameters()), ReferenceEqualityComparer.Instance);
        foreach (var (key, p) in m.NamedParameters())
        {
            if (childParams.Contains(p)) continue;
            n += p.Numel;
            if (key.EndsWith("weight", StringComparison.Ordinal) && p.Rank >= 2) weights += p.Numel;
        }
        return n;
    }

    /// <summary>A table a person can read at a glance, with totals.</summary>
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var header = new[] { "layer", "type", "output", "params", "MACs", "activations", "RF", "jump", "" };
        var table = Rows.Select(r => new[]
        {
            r.Name, r.Type, string.Join("x", r.OutputShape), r.Parameters.ToString("N0", inv), r.MultiplyAccumulates.ToString("N0", inv),
            r.Activations.ToString("N0", inv), r.ReceptiveField.ToString(inv), r.Jump.ToString(inv),
            r.DroppedRows > 0 || r.DroppedColumns > 0 ? $"drops {r.DroppedRows} row(s), {r.DroppedColumns} column(s)" : "",
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, table.Select(t => t[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        var sb = new StringBuilder();
        sb.AppendLine($"{Model}, input {string.Join("x", InputShape)}");
        void Line(string[] cells)
        {
            for (int i = 0; i < cells.Length; i++)
            {
                bool right = i is >= 3 and <= 7;
                sb.Append(right ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
                if (i < cells.Length - 1) sb.Append("  ");
            }
            sb.Length = sb.ToString().TrimEnd().Length;
            sb.AppendLine();
        }
        Line(header);
        foreach (var t in table) Line(t);
        if (Skips.Count > 0)
        {
            sb.AppendLine("skip connections:");
            foreach (var k in Skips)
            {
                string cut = k.FromShape.SequenceEqual(k.UsedShape) ? "" : $", centre-cropped to {string.Join("x", k.UsedShape)}";
                sb.AppendLine(string.Create(inv, $"  {k.From} ({string.Join("x", k.FromShape)}{cut}, RF {k.FromReceptiveField}) {k.How} at {k.Into} -> {string.Join("x", k.JoinedShape)}"));
            }
        }
        sb.AppendLine(string.Create(inv, $"parameters: {Parameters:N0} ({TrainableParameters:N0} trainable)"));
        sb.AppendLine(string.Create(inv, $"multiply-accumulates per image: {MultiplyAccumulates:N0}"));
        sb.AppendLine(string.Create(inv, $"activations per image: {Activations:N0} values = {Bytes(ForwardBytes)} forward, about {Bytes(TrainingBytes)} for training (forward + backward)"));
        return sb.ToString().TrimEnd();
    }

    /// <summary>Bytes in the largest binary unit that keeps the number at least 1 (the seeds' "MB" are these).</summary>
    internal static string Bytes(long b)
    {
        var inv = CultureInfo.InvariantCulture;
        if (b >= 1L << 30) return string.Create(inv, $"{b / (double)(1L << 30):F1} GiB");
        if (b >= 1L << 20) return string.Create(inv, $"{b / (double)(1L << 20):F1} MiB");
        if (b >= 1L << 10) return string.Create(inv, $"{b / 1024.0:F1} KiB");
        return string.Create(inv, $"{b} B");
    }

    /// <summary>The summary as one JSON object (snake_case keys).</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        model = Model,
        input = InputShape,
        parameters = Parameters,
        trainable_parameters = TrainableParameters,
        multiply_accumulates = MultiplyAccumulates,
        activations = Activations,
        forward_bytes = ForwardBytes,
        training_bytes = TrainingBytes,
        layers = Rows.Select(r => new
        {
            name = r.Name,
            type = r.Type,
            output_shape = r.OutputShape,
            parameters = r.Parameters,
            weights = r.Weights,
            multiply_accumulates = r.MultiplyAccumulates,
            activations = r.Activations,
            receptive_field = r.ReceptiveField,
            jump = r.Jump,
            dropped_rows = r.DroppedRows,
            dropped_columns = r.DroppedColumns,
        }),
        skip_connections = Skips.Select(k => new
        {
            into = k.Into,
            from = k.From,
            from_shape = k.FromShape,
            used_shape = k.UsedShape,
            joined_shape = k.JoinedShape,
            how = k.How,
            from_receptive_field = k.FromReceptiveField,
        }),
    });
}
