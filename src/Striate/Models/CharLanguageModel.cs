using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// A character-level language model: each character's embedding, a multi-layer LSTM over the sequence, and a linear
/// layer to the next character's logits. Sequences are [T, B] token indices (time first); the LSTM's state is
/// passed in and out so a long text can be read in chunks (truncated backpropagation through time). Children
/// <c>embedding</c>, <c>lstm</c> and <c>fc</c>.
/// </summary>
public sealed class CharLanguageModel : Module
{
    public CharLanguageModel(int vocabulary, int embedding = 64, int hidden = 256, int layers = 2, Generator? generator = null)
    {
        if (vocabulary < 1 || embedding < 1 || hidden < 1 || layers < 1)
            throw new ArgumentException($"character language model: vocabulary ({vocabulary}), embedding ({embedding}), hidden ({hidden}) and layers ({layers}) must be >= 1.");
        Vocabulary = vocabulary;
        Embedding = RegisterModule("embedding", new Embedding(vocabulary, embedding, generator: generator));
        Lstm = RegisterModule("lstm", new LSTM(embedding, hidden, layers, generator: generator));
        Fc = RegisterModule("fc", new Linear(hidden, vocabulary, generator: generator));
    }

    public int Vocabulary { get; }
    public Embedding Embedding { get; }
    public LSTM Lstm { get; }
    public Linear Fc { get; }

    protected override Tensor OnForward(Tensor input) => Run(input).Logits;

    /// <summary>
    /// The logits [T * B, V] (step-major: row t * B + b) for tokens [T, B], from the state (h, c) [layers, B, hidden]
    /// or zeros; also the state after the last step.
    /// </summary>
    public (Tensor Logits, Tensor Hidden, Tensor Cell) Run(Tensor tokens, Tensor? hidden = null, Tensor? cell = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Rank != 2) throw new ArgumentException($"character language model: expected tokens [steps, batch], got {tokens.Shape}.");
        int steps = tokens.Shape[0], batch = tokens.Shape[1];
        var y = Lstm.Run(Embedding.Forward(tokens), hidden, cell);
        var logits = Fc.Forward(F.Reshape(y.Output, steps * batch, Lstm.HiddenSize));
        return (logits, y.Hidden, y.Cell!);
    }
}
