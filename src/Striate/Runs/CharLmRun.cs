using System.Diagnostics;
using System.Globalization;
using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Optim;
using Striate.Serialization;
using Striate.Tensors;
using Striate.Text;

namespace Striate.Runs;

/// <summary>The settings of a character-level language model run (<see cref="CharLmRun"/>).</summary>
public sealed record CharLmOptions
{
    /// <summary>Characters per chunk: the steps gradients flow back through (truncated backpropagation through time).</summary>
    public int SequenceLength { get; init; } = 100;

    /// <summary>Parallel streams the training text is cut into, each read from start to end.</summary>
    public int BatchSize { get; init; } = 32;

    public int Embedding { get; init; } = 64;
    public int Hidden { get; init; } = 256;
    public int Layers { get; init; } = 2;
    public float LearningRate { get; init; } = 3e-3f;
    public int Epochs { get; init; } = 10;
    public ulong Seed { get; init; } = 1;

    /// <summary>Gradients are scaled down to this global L2 norm at most before each step.</summary>
    public double ClipGradNorm { get; init; } = 5;

    /// <summary>The share of the text kept for validation, in up to 20 pieces spread through it (see <see cref="CharLmRun.Split"/>).</summary>
    public double ValidationFraction { get; init; } = 0.05;

    /// <summary>Stop after this much training time (the epoch under way ends early and is validated); null: no limit.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>
    /// Lower the learning rate along half a cosine to zero over the run (true) or keep it constant. The run's length
    /// is its updates (<see cref="Epochs"/> epochs) or, with <see cref="TimeLimit"/>, whichever of the two ends first.
    /// </summary>
    public bool CosineSchedule { get; init; } = true;

    /// <summary>Characters of sample text written after each epoch (0: none).</summary>
    public int SampleLength { get; init; } = 200;
}

/// <summary>One epoch of a character-level language model run: bits per character on the training chunks (as trained) and on the validation text.</summary>
public sealed record CharLmEpoch(int Epoch, int Updates, double TrainBitsPerChar, double ValidationBitsPerChar, double Seconds, bool Stopped, string Sample);

/// <summary>
/// Trains a <see cref="CharLanguageModel"/> on a text with truncated backpropagation through time: the training part
/// is cut into <see cref="CharLmOptions.BatchSize"/> streams read side by side in chunks of
/// <see cref="CharLmOptions.SequenceLength"/> characters, the LSTM's state carried from chunk to chunk (detached, so
/// gradients stop at the chunk's start) and reset each epoch. Validation reads the held-out end of the text the same
/// way, without gradients, and reports bits per character (the mean cross-entropy in base 2).
/// </summary>
public sealed class CharLmRun
{
    private readonly int[] _train, _validation;
    private readonly Adam _optimizer;

    /// <exception cref="ArgumentException">The text is too short for one sequence of training and one of validation, or an option is out of range.</exception>
    public CharLmRun(string text, CharLmOptions options)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SequenceLength < 1 || options.BatchSize < 1 || options.Epochs < 1 || !(options.ValidationFraction > 0 && options.ValidationFraction < 1))
            throw new ArgumentException($"character language model: sequence length ({options.SequenceLength}), batch size ({options.BatchSize}) and epochs ({options.Epochs}) must be >= 1 and the validation fraction ({options.ValidationFraction}) between 0 and 1.");
        Options = options;
        int s = options.SequenceLength;
        int length = text.EnumerateRunes().Count();
        int validation = Math.Max(s + 1, (int)(length * options.ValidationFraction));
        if (length < validation + s + 1)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"the text has {length} characters; sequences of {s} need at least {2 * (s + 1)} ({s + 1} to train on and {s + 1} to validate on)."));
        Vocabulary = CharVocabulary.FromText(text);
        (_train, _validation) = Split(Vocabulary.Encode(text), validation, s);
        TrainStreams = Math.Min(options.BatchSize, (_train.Length - 1) / s);
        ValidationStreams = Math.Min(options.BatchSize, (_validation.Length - 1) / s);
        Model = new CharLanguageModel(Vocabulary.Count, options.Embedding, options.Hidden, options.Layers, new Generator(options.Seed));
        _optimizer = new Adam(Model.Parameters(), lr: options.LearningRate);
    }

    /// <summary>
    /// The held-out characters as up to 20 pieces spread through the text (each piece at least twenty sequences
    /// long, so the joins between pieces are rare; each the end of one of as many equal spans; a single piece is the
    /// text's end), so validation samples every part of a text made of different sources, not only its last one; the
    /// training text is the rest, in order.
    /// </summary>
    internal static (int[] Train, int[] Validation) Split(int[] tokens, int validation, int sequence)
    {
        int pieces = Math.Clamp(validation / (20 * (sequence + 1)), 1, 20), piece = validation / pieces, span = tokens.Length / pieces;
        var train = new List<int>(tokens.Length - pieces * piece);
        var held = new List<int>(pieces * piece);
        int at = 0;
        for (int i = 0; i < pieces; i++)
        {
            int end = i == pieces - 1 ? tokens.Length : (i + 1) * span, start = end - piece;
            train.AddRange(tokens.AsSpan(at, start - at));
            held.AddRange(tokens.AsSpan(start, piece));
            at = end;
        }
        return ([.. train], [.. held]);
    }

    public CharLmOptions Options { get; }
    public CharVocabulary Vocabulary { get; }
    public CharLanguageModel Model { get; }

    /// <summary>Characters trained on and held out.</summary>
    public int TrainCharacters => _train.Length;

    public int ValidationCharacters => _validation.Length;

    /// <summary>Streams read side by side (at most the batch size; fewer when the text is short).</summary>
    public int TrainStreams { get; }

    public int ValidationStreams { get; }

    /// <summary>Chunks (optimizer steps) per epoch.</summary>
    public int UpdatesPerEpoch => (_train.Length / TrainStreams - 1) / Options.SequenceLength;

    /// <summary>
    /// Runs the epochs, calling <paramref name="epochDone"/> after each (and saving <paramref name="checkpoint"/> then
    /// when given); <paramref name="cancel"/> stops at the next chunk.
    /// </summary>
    public IReadOnlyList<CharLmEpoch> Run(Action<CharLmEpoch>? epochDone = null, string? checkpoint = null, CancellationToken cancel = default)
    {
        var records = new List<CharLmEpoch>();
        var clock = Stopwatch.StartNew();
        var sampler = new Generator(Options.Seed ^ 0x5A17UL);
        for (int epoch = 1; epoch <= Options.Epochs; epoch++)
        {
            Model.Train();
            var (trainBpc, updates, stopped) = TrainEpoch(clock, (epoch - 1) * UpdatesPerEpoch, cancel);
            double validation = Evaluate();
            string sample = Options.SampleLength > 0 ? Sample(sampler) : "";
            var record = new CharLmEpoch(epoch, updates, trainBpc, validation, clock.Elapsed.TotalSeconds, stopped, sample);
            records.Add(record);
            if (checkpoint is not null) Save(checkpoint, record);
            epochDone?.Invoke(record);
            if (stopped) break;
        }
        return records;
    }

    /// <summary>The learning rate after <paramref name="updates"/> updates and <paramref name="elapsed"/> of training.</summary>
    public float LearningRate(long updates, TimeSpan elapsed)
    {
        if (!Options.CosineSchedule) return Options.LearningRate;
        double progress = (double)updates / ((long)Options.Epochs * UpdatesPerEpoch);
        if (Options.TimeLimit is { } limit) progress = Math.Max(progress, elapsed / limit);
        return (float)(Options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(progress, 1))));
    }

    private (double Bpc, int Updates, bool Stopped) TrainEpoch(Stopwatch clock, long before, CancellationToken cancel)
    {
        int s = Options.SequenceLength, b = TrainStreams, streamLength = _train.Length / b;
        Tensor? h = null, c = null;
        double nats = 0;
        int updates = 0;
        var parameters = Model.Parameters().ToList();
        for (int start = 0; start + s < streamLength; start += s)
        {
            cancel.ThrowIfCancellationRequested();
            if (Options.TimeLimit is { } limit && clock.Elapsed >= limit && updates > 0) return (nats / updates / Math.Log(2), updates, true);
            using var scope = TensorScope.Begin();
            _optimizer.Lr = LearningRate(before + updates, clock.Elapsed);
            var (x, y) = Chunk(_train, b, streamLength, start, s);
            var (logits, hn, cn) = Model.Run(x, h, c);
            var loss = F.CrossEntropy(logits, y);
            _optimizer.ZeroGrad();
            loss.Backward();
            GradientClipping.ClipGradNorm(parameters, Options.ClipGradNorm);
            _optimizer.Step();
            nats += loss.Item();
            updates++;
            // The state goes on to the next chunk; the gradient does not.
            h = Keep(scope, hn);
            c = Keep(scope, cn);
        }
        return (nats / Math.Max(updates, 1) / Math.Log(2), updates, false);
    }

    // A copy that outlives the step's tensor scope, without a history.
    internal static Tensor Keep(TensorScope scope, Tensor t) => scope.Keep(Tensor.FromArray(t.ToArray(), t.Shape.ToArray()));

    // Inputs [s, b] and targets (t-major) of the chunk at `start` of each of b streams.
    private static (Tensor X, int[] Y) Chunk(int[] tokens, int b, int streamLength, int start, int s)
    {
        var x = new float[s * b];
        var y = new int[s * b];
        for (int t = 0; t < s; t++)
            for (int j = 0; j < b; j++)
            {
                int at = j * streamLength + start + t;
                x[t * b + j] = tokens[at];
                y[t * b + j] = tokens[at + 1];
            }
        return (Tensor.FromArray(x, s, b), y);
    }

    /// <summary>Bits per character of the model on the validation text (every character after each stream's first).</summary>
    public double Evaluate()
    {
        Model.Eval();
        int s = Options.SequenceLength, b = ValidationStreams, streamLength = _validation.Length / b;
        Tensor? h = null, c = null;
        double nats = 0;
        long count = 0;
        using (Autograd.NoGrad())
            for (int start = 0; start + 1 < streamLength; start += s)
            {
                int steps = Math.Min(s, streamLength - 1 - start);
                using var scope = TensorScope.Begin();
                var (x, y) = Chunk(_validation, b, streamLength, start, steps);
                var (logits, hn, cn) = Model.Run(x, h, c);
                nats += F.CrossEntropy(logits, y).Item() * y.Length;
                count += y.Length;
                h = Keep(scope, hn);
                c = Keep(scope, cn);
            }
        Model.Train();
        return nats / count / Math.Log(2);
    }

    // Sample text primed with the validation text's first character.
    private string Sample(Generator generator) =>
        CharLmSampler.Generate(Model, Vocabulary, Vocabulary.Decode([_validation[0]]), Options.SampleLength, 0.8, generator);

    /// <summary>Writes the model with its vocabulary and sizes as metadata (see <see cref="CharLmFile"/>).</summary>
    public void Save(string path, CharLmEpoch record) => CharLmFile.Save(path, Model, Vocabulary, Options.Embedding, new Dictionary<string, string>
    {
        ["striate.charlm.epoch"] = record.Epoch.ToString(CultureInfo.InvariantCulture),
        ["striate.charlm.validation_bpc"] = record.ValidationBitsPerChar.ToString("R", CultureInfo.InvariantCulture),
        ["striate.charlm.sequence_length"] = Options.SequenceLength.ToString(CultureInfo.InvariantCulture),
    });
}
