using System.Globalization;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>What a recurrent layer returns: the output sequence, the final hidden states and, for an LSTM, the final cell states.</summary>
public sealed record RecurrentOutput(Tensor Output, Tensor Hidden, Tensor? Cell);

/// <summary>
/// A multi-layer recurrent network with PyTorch's semantics and state-dict names (nn.RNN, nn.LSTM, nn.GRU): input
/// [T, B, in] ([B, T, in] with batchFirst, or one unbatched sequence [T, in]), initial states [layers * directions,
/// B, H] (zeros when not given), parameters <c>weight_ih_l{k}</c>, <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c>,
/// <c>bias_hh_l{k}</c> (<c>_reverse</c> for the backward direction, <c>weight_hr_l{k}</c> for an LSTM's
/// projection), all initialised uniform in +-1/sqrt(H) as PyTorch does. Dropout is applied to each layer's output
/// but the last, in training. Sequences of different lengths in one batch take a length each (any order, as
/// pack_padded_sequence with enforce_sorted=False): outputs past a sequence's end are zero and its final states are
/// those at its own last step. An LSTM may have peepholes (<c>weight_ph_l{k}</c> [3H]: the cell state feeds the
/// input, forget and output gates, as ONNX's LSTM with its P input).
/// </summary>
public class RecurrentNetwork : Module
{
    private readonly RecurrentWeights[] _weights;

    public RecurrentNetwork(RecurrentKind kind, int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        float dropout = 0f, bool bidirectional = false, int projSize = 0, bool peephole = false, Generator? generator = null)
    {
        string name = LayerName(kind);
        if (inputSize < 1 || hiddenSize < 1 || numLayers < 1)
            throw new ArgumentException($"{name}: input_size ({inputSize}), hidden_size ({hiddenSize}) and num_layers ({numLayers}) must be >= 1.");
        if (!(dropout >= 0 && dropout <= 1)) throw new ArgumentOutOfRangeException(nameof(dropout), $"{name}: dropout must be in [0, 1], got {dropout}.");
        if (projSize < 0 || (projSize > 0 && (kind != RecurrentKind.Lstm || projSize >= hiddenSize)))
            throw new ArgumentException($"{name}: proj_size must be 0, or (for an LSTM) between 1 and hidden_size - 1 ({hiddenSize - 1}); got {projSize}.");
        if (peephole && kind != RecurrentKind.Lstm) throw new ArgumentException($"{name}: peepholes belong to the LSTM.");
        Kind = kind;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        HasBias = bias;
        BatchFirst = batchFirst;
        DropoutP = dropout;
        Bidirectional = bidirectional;
        ProjSize = projSize;
        Peephole = peephole;
        Generator = generator ?? Generator.Default.Fork(Generator.Default.Advance(1));
        int gates = F.Gates(kind), directions = bidirectional ? 2 : 1, outSize = OutputSize;
        _weights = new RecurrentWeights[numLayers * directions];
        float bound = 1f / MathF.Sqrt(hiddenSize);
        for (int layer = 0; layer < numLayers; layer++)
            for (int d = 0; d < directions; d++)
            {
                string sfx = string.Create(CultureInfo.InvariantCulture, $"_l{layer}{(d == 1 ? "_reverse" : "")}");
                int input = layer == 0 ? inputSize : outSize * directions;
                Tensor P(string key, params int[] shape)
                {
                    var t = RegisterParameter(key + sfx, Tensor.Persistent(new Shape(shape)))!;
                    Init.Uniform(t, -bound, bound, Generator);
                    return t;
                }
                var wIh = P("weight_ih", gates * hiddenSize, input);
                var wHh = P("weight_hh", gates * hiddenSize, outSize);
                var bIh = bias ? P("bias_ih", gates * hiddenSize) : null;
                var bHh = bias ? P("bias_hh", gates * hiddenSize) : null;
                var wHr = projSize > 0 ? P("weight_hr", projSize, hiddenSize) : null;
                var ph = peephole ? P("weight_ph", 3 * hiddenSize) : null;
                _weights[layer * directions + d] = new RecurrentWeights(wIh, wHh, bIh, bHh, wHr, ph);
            }
    }

    public RecurrentKind Kind { get; }
    public int InputSize { get; }
    public int HiddenSize { get; }
    public int NumLayers { get; }
    public bool HasBias { get; }
    public bool BatchFirst { get; }
    public float DropoutP { get; }
    public bool Bidirectional { get; }
    public int ProjSize { get; }
    public bool Peephole { get; }

    /// <summary>The stream dropout's masks come from.</summary>
    public Generator Generator { get; set; }

    /// <summary>The size of each direction's output and hidden state: the projection size when there is one, else the hidden size.</summary>
    public int OutputSize => ProjSize > 0 ? ProjSize : HiddenSize;

    /// <summary>The weights of layer <paramref name="layer"/> in direction <paramref name="direction"/> (1: reverse).</summary>
    public RecurrentWeights Weights(int layer, int direction = 0) => _weights[layer * (Bidirectional ? 2 : 1) + direction];

    /// <summary>The output sequence, from zero initial states.</summary>
    protected override Tensor OnForward(Tensor input) => Run(input).Output;

    /// <summary>
    /// Runs the network on <paramref name="input"/> from the initial states <paramref name="h0"/> (and, for an LSTM,
    /// <paramref name="c0"/>), zeros when null; <paramref name="lengths"/> gives each sequence's length.
    /// </summary>
    /// <paramref name="stateProbes"/> (one [B, H'] zero tensor per step) are added to the first layer's hidden states in
    /// the forward direction, so their gradients are the loss's gradients with respect to those states.
    /// <exception cref="ArgumentException">The input's rank or feature size, a state's shape, or a length is not what the layer takes; the message names the layer and both.</exception>
    public RecurrentOutput Run(Tensor input, Tensor? h0 = null, Tensor? c0 = null, IReadOnlyList<int>? lengths = null, IReadOnlyList<Tensor>? stateProbes = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        string name = LayerName(Kind);
        bool batched = input.Rank == 3;
        if (input.Rank is not (2 or 3))
            throw new ArgumentException($"{name}: expected input of rank 3 ({(BatchFirst ? "[batch, time, features]" : "[time, batch, features]")}) or 2 ([time, features]), got {input.Shape}.");
        if (input.Shape[input.Rank - 1] != InputSize)
            throw new ArgumentException($"{name}: expected {InputSize} input features (input_size), got {input.Shape[input.Rank - 1]} in {input.Shape}.");
        var x = !batched ? F.Reshape(input, input.Shape[0], 1, InputSize) : BatchFirst ? F.Transpose(input, 0, 1) : input;
        int steps = x.Shape[0], batch = x.Shape[1], directions = Bidirectional ? 2 : 1, states = NumLayers * directions;
        if (steps == 0) throw new ArgumentException($"{name}: the input sequence is empty ({input.Shape}).");
        Tensor State(Tensor? given, int size, string what)
        {
            if (given is null) return Tensor.Zeros(states, batch, size);
            int[] expected = batched ? [states, batch, size] : [states, size];
            if (!given.Shape.ToArray().SequenceEqual(expected))
                throw new ArgumentException($"{name}: expected {what} of shape [{string.Join(", ", expected)}] (layers x directions, {(batched ? "batch, " : "")}size), got {given.Shape}.");
            return batched ? given : F.Reshape(given, states, 1, size);
        }
        var h = State(h0, OutputSize, "h0");
        Tensor? c = null;
        if (Kind == RecurrentKind.Lstm) c = State(c0, HiddenSize, "c0");
        else if (c0 is not null) throw new ArgumentException($"{name}: only an LSTM takes a cell state c0.");
        if (lengths is not null)
        {
            if (lengths.Count != batch) throw new ArgumentException($"{name}: expected {batch} lengths (one per sequence), got {lengths.Count}.");
            foreach (int l in lengths)
                if (l < 1 || l > steps) throw new ArgumentException($"{name}: a length must be between 1 and the sequence's {steps} steps, got {l}.");
            if (lengths.All(l => l == steps)) lengths = null;
        }

        var finalH = new Tensor[states];
        var finalC = new Tensor[states];
        var layerInput = x;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var outputs = new Tensor[directions];
            for (int d = 0; d < directions; d++)
            {
                int s = layer * directions + d;
                Tensor Pick(Tensor t) => F.Reshape(F.Narrow(t, 0, s, 1), t.Shape[1], t.Shape[2]);
                var (output, hn, cn) = F.RecurrentLayer(Kind, layerInput, Pick(h), c is null ? null : Pick(c), _weights[s], reverse: d == 1, lengths, s == 0 ? stateProbes : null);
                outputs[d] = output;
                finalH[s] = F.Reshape(hn, 1, batch, OutputSize);
                if (cn is not null) finalC[s] = F.Reshape(cn, 1, batch, HiddenSize);
            }
            layerInput = directions == 1 ? outputs[0] : F.Concat(outputs, 2);
            if (layer < NumLayers - 1 && DropoutP > 0) layerInput = F.Dropout(layerInput, DropoutP, IsTraining, Generator);
        }
        var y = layerInput;
        var hOut = F.Concat(finalH, 0);
        var cOut = c is null ? null : F.Concat(finalC, 0);
        if (!batched) return new RecurrentOutput(F.Reshape(y, steps, y.Shape[2]), F.Reshape(hOut, states, OutputSize), cOut is null ? null : F.Reshape(cOut, states, HiddenSize));
        return new RecurrentOutput(BatchFirst ? F.Transpose(y, 0, 1) : y, hOut, cOut);
    }

    public override LayerCost Cost(Shape input, Shape output)
    {
        long steps = input.Rank == 3 ? (BatchFirst ? input[1] : input[0]) : input[0];
        long macs = 0;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            long inSize = layer == 0 ? InputSize : OutputSize * (Bidirectional ? 2 : 1);
            macs += F.Gates(Kind) * (long)HiddenSize * (inSize + OutputSize) + ProjSize * (long)HiddenSize;
        }
        return new LayerCost(macs * steps * (Bidirectional ? 2 : 1));
    }

    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture, $"{InputSize}, {HiddenSize}") +
        (Kind == RecurrentKind.RnnRelu ? ", nonlinearity='relu'" : "") +
        (NumLayers != 1 ? $", num_layers={NumLayers}" : "") + (HasBias ? "" : ", bias=False") + (BatchFirst ? ", batch_first=True" : "") +
        (DropoutP > 0 ? string.Create(CultureInfo.InvariantCulture, $", dropout={DropoutP}") : "") + (Bidirectional ? ", bidirectional=True" : "") +
        (ProjSize > 0 ? $", proj_size={ProjSize}" : "") + (Peephole ? ", peephole=True" : "");

    internal static string LayerName(RecurrentKind kind) => kind switch { RecurrentKind.Lstm => "LSTM", RecurrentKind.Gru => "GRU", _ => "RNN" };
}

/// <summary>An Elman network (nn.RNN): h' = tanh (or relu) of W_ih x + b_ih + W_hh h + b_hh.</summary>
public sealed class RNN(int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bias = true, bool batchFirst = false,
    float dropout = 0f, bool bidirectional = false, Generator? generator = null)
    : RecurrentNetwork(RnnKind(nonlinearity), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 0, false, generator)
{
    internal static RecurrentKind RnnKind(string nonlinearity) => nonlinearity switch
    {
        "tanh" => RecurrentKind.RnnTanh,
        "relu" => RecurrentKind.RnnRelu,
        _ => throw new ArgumentException($"RNN: nonlinearity must be 'tanh' or 'relu', got '{nonlinearity}'."),
    };
}

/// <summary>A long short-term memory network (nn.LSTM), optionally with a projection (proj_size) or peepholes.</summary>
public sealed class LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
    float dropout = 0f, bool bidirectional = false, int projSize = 0, bool peephole = false, Generator? generator = null)
    : RecurrentNetwork(RecurrentKind.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, projSize, peephole, generator);

/// <summary>A gated recurrent unit network (nn.GRU).</summary>
public sealed class GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
    float dropout = 0f, bool bidirectional = false, Generator? generator = null)
    : RecurrentNetwork(RecurrentKind.Gru, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 0, false, generator);

/// <summary>
/// One step of a recurrence (nn.RNNCell, nn.LSTMCell, nn.GRUCell): input [B, in] or [in], state [B, H] or [H]
/// (zeros when not given); parameters <c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c>.
/// </summary>
public class RecurrentCell : Module
{
    private readonly RecurrentWeights _w;

    public RecurrentCell(RecurrentKind kind, int inputSize, int hiddenSize, bool bias = true, Generator? generator = null)
    {
        string name = RecurrentNetwork.LayerName(kind) + "Cell";
        if (inputSize < 1 || hiddenSize < 1) throw new ArgumentException($"{name}: input_size ({inputSize}) and hidden_size ({hiddenSize}) must be >= 1.");
        Kind = kind;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        int gates = F.Gates(kind);
        float bound = 1f / MathF.Sqrt(hiddenSize);
        Tensor P(string key, params int[] shape)
        {
            var t = RegisterParameter(key, Tensor.Persistent(new Shape(shape)))!;
            Init.Uniform(t, -bound, bound, generator);
            return t;
        }
        var wIh = P("weight_ih", gates * hiddenSize, inputSize);
        var wHh = P("weight_hh", gates * hiddenSize, hiddenSize);
        _w = new RecurrentWeights(wIh, wHh, bias ? P("bias_ih", gates * hiddenSize) : null, bias ? P("bias_hh", gates * hiddenSize) : null);
    }

    public RecurrentKind Kind { get; }
    public int InputSize { get; }
    public int HiddenSize { get; }

    /// <summary>The new hidden state from a zero state.</summary>
    protected override Tensor OnForward(Tensor input) => Step(input).Hidden;

    /// <summary>One step from <paramref name="h"/> (and <paramref name="c"/> for an LSTM cell), zeros when null.</summary>
    /// <exception cref="ArgumentException">The input's rank or size, or a state's shape, is not what the cell takes.</exception>
    public (Tensor Hidden, Tensor? Cell) Step(Tensor input, Tensor? h = null, Tensor? c = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        string name = RecurrentNetwork.LayerName(Kind) + "Cell";
        if (input.Rank is not (1 or 2) || input.Shape[input.Rank - 1] != InputSize)
            throw new ArgumentException($"{name}: expected input [batch, {InputSize}] or [{InputSize}], got {input.Shape}.");
        bool batched = input.Rank == 2;
        var x = batched ? input : F.Reshape(input, 1, InputSize);
        int batch = x.Shape[0];
        Tensor State(Tensor? s, string what)
        {
            if (s is null) return Tensor.Zeros(batch, HiddenSize);
            int[] expected = batched ? [batch, HiddenSize] : [HiddenSize];
            if (!s.Shape.ToArray().SequenceEqual(expected)) throw new ArgumentException($"{name}: expected {what} of shape [{string.Join(", ", expected)}], got {s.Shape}.");
            return batched ? s : F.Reshape(s, 1, HiddenSize);
        }
        var hx = State(h, "h");
        var cx = Kind == RecurrentKind.Lstm ? State(c, "c") : c is null ? null : throw new ArgumentException($"{name}: only an LSTM cell takes a cell state.");
        var (hn, cn) = F.RecurrentStep(Kind, F.Linear(x, _w.WeightIh, _w.BiasIh), hx, cx, _w);
        return batched ? (hn, cn) : (F.Reshape(hn, HiddenSize), cn is null ? null : F.Reshape(cn, HiddenSize));
    }

    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"{InputSize}, {HiddenSize}") + (_w.BiasIh is null ? ", bias=False" : "") +
        (Kind == RecurrentKind.RnnRelu ? ", nonlinearity='relu'" : "");
}

/// <summary>nn.RNNCell.</summary>
public sealed class RNNCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", Generator? generator = null)
    : RecurrentCell(RNN.RnnKind(nonlinearity), inputSize, hiddenSize, bias, generator);

/// <summary>nn.LSTMCell.</summary>
public sealed class LSTMCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null)
    : RecurrentCell(RecurrentKind.Lstm, inputSize, hiddenSize, bias, generator);

/// <summary>nn.GRUCell.</summary>
public sealed class GRUCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null)
    : RecurrentCell(RecurrentKind.Gru, inputSize, hiddenSize, bias, generator);
