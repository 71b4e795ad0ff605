using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// An image read row by row by a recurrent network: each of the H rows (its C x W pixels) is one step of a
/// batch-first sequence, and a linear head reads the output at the last step (for Fashion-MNIST, 28 steps of 28
/// pixels). Children <c>rnn</c> (an RNN, LSTM or GRU) and <c>fc</c>.
/// </summary>
public sealed class RowRecurrentNet : Module
{
    public RowRecurrentNet(RecurrentKind kind, int numClasses, int inChannels, int height, int width, int hidden = 128, Generator? generator = null)
    {
        if (numClasses < 1 || inChannels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"{kind} rows: classes ({numClasses}), channels ({inChannels}), height ({height}) and width ({width}) must be >= 1.");
        Channels = inChannels;
        Height = height;
        Width = width;
        Rnn = RegisterModule("rnn", new RecurrentNetwork(kind, inChannels * width, hidden, batchFirst: true, generator: generator));
        Fc = RegisterModule("fc", new Linear(hidden, numClasses, generator: generator));
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public RecurrentNetwork Rnn { get; }
    public Linear Fc { get; }

    protected override Tensor OnForward(Tensor input) => Logits(input, null);

    /// <summary>The logits, with <paramref name="stateProbes"/> (one [batch, hidden] tensor per row) added to the hidden states (see <see cref="Visualization.TimeGradients"/>).</summary>
    public Tensor ForwardWithStateProbes(Tensor input, IReadOnlyList<Tensor> stateProbes) => Logits(input, stateProbes ?? throw new ArgumentNullException(nameof(stateProbes)));

    private Tensor Logits(Tensor input, IReadOnlyList<Tensor>? stateProbes)
    {
        if (input.Rank != 4 || input.Shape[1] != Channels || input.Shape[2] != Height || input.Shape[3] != Width)
            throw new ArgumentException($"{RecurrentNetwork.LayerName(Rnn.Kind)} rows: expected images [batch, {Channels}, {Height}, {Width}], got {input.Shape}.");
        int n = input.Shape[0];
        // [N, C, H, W] -> [N, H, C * W]: one step per row.
        var rows = Channels == 1 ? F.Reshape(input, n, Height, Width) : F.Reshape(F.Permute(input, 0, 2, 1, 3), n, Height, Channels * Width);
        var y = stateProbes is null ? Rnn.Forward(rows) : Rnn.Run(rows, stateProbes: stateProbes).Output;
        var last = F.Reshape(F.Narrow(y, 1, Height - 1, 1), n, Rnn.HiddenSize);
        return Fc.Forward(last);
    }
}
