using System.Text;
using Striate.Cli;
using Striate.Models;
using Striate.Runs;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Text;

namespace Striate.Tests.Text;

/// <summary>
/// The character-level language model: its vocabulary and text files, a run that learns a short text well enough to
/// recite it, the model file, and the command line's refusals.
/// </summary>
public class CharLmTests
{
    private const string Verse = "the cat sat on the mat. the dog dug in the fog. ";

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    private static string WriteText(string text, string name = "text.txt")
    {
        string path = Path.Combine(Repo.TempDir(), name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void TheVocabularyIsTheTextsCharactersInOrderAndRoundTrips()
    {
        var v = CharVocabulary.FromText("bca\u00e9b\U0001F600a");
        Assert.Equal("abc\u00e9\U0001F600", v.ToString());
        Assert.Equal(5, v.Count);
        Assert.Equal([1, 0, 4, 3], v.Encode("ba\U0001F600\u00e9"));
        Assert.Equal("ba\U0001F600\u00e9", v.Decode([1, 0, 4, 3]));
        Assert.Equal(v.ToString(), CharVocabulary.Parse(v.ToString()).ToString());
        var e = Assert.Throws<ArgumentException>(() => v.Encode("abz"));
        Assert.Contains("character 'z' at position 2 is not one of the 5 characters the model knows", e.Message);
        Assert.Contains("U+0009", Assert.Throws<ArgumentException>(() => v.Encode("\t")).Message);
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => CharVocabulary.Parse("aba")).Message);
        Assert.Throws<ArgumentException>(() => CharVocabulary.FromText(""));
    }

    [Fact]
    public void TextFilesMustBeUtf8()
    {
        string dir = Repo.TempDir(), latin1 = Path.Combine(dir, "latin1.txt"), bom = Path.Combine(dir, "bom.txt");
        File.WriteAllBytes(latin1, [(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'\n']);
        var e = Assert.Throws<InvalidDataException>(() => TextFile.ReadUtf8(latin1));
        Assert.Contains("is not UTF-8 text: byte 0xE9 at offset 3", e.Message);
        File.WriteAllBytes(bom, [0xEF, 0xBB, 0xBF, (byte)'h', (byte)'i', (byte)'\r', (byte)'\n', 0xC3, 0xA9]);
        Assert.Equal("hi\n\u00e9", TextFile.ReadUtf8(bom));
        Assert.Throws<FileNotFoundException>(() => TextFile.ReadUtf8(Path.Combine(dir, "none.txt")));
    }

    [Fact]
    public void ARunLearnsAShortTextWellEnoughToReciteIt()
    {
        string text = string.Concat(Enumerable.Repeat(Verse, 120));
        var options = new CharLmOptions { SequenceLength = 24, BatchSize = 8, Embedding = 16, Hidden = 48, Layers = 2, Epochs = 4, LearningRate = 1e-2f, SampleLength = 0 };
        var run = new CharLmRun(text, options);
        Assert.Equal(Verse.Distinct().Count(), run.Vocabulary.Count);
        double before = run.Evaluate();
        // An untrained model is close to uniform over the 17 characters: log2(17) = 4.09 bits.
        Assert.InRange(before, 3.6, 4.6);
        var records = run.Run();
        Assert.Equal(4, records.Count);
        Assert.True(records[^1].ValidationBitsPerChar < 0.3, $"validation {records[^1].ValidationBitsPerChar:F3} bits/char after 4 epochs");
        Assert.True(records[^1].TrainBitsPerChar < records[0].TrainBitsPerChar);
        // Greedy continuation recites the verse.
        string next = CharLmSampler.Generate(run.Model, run.Vocabulary, "the cat ", 40, 0, new Generator(1));
        string twice = Verse + Verse;
        Assert.Contains("the cat " + next, twice + Verse);
    }

    [Fact]
    public void TheModelFileKeepsTheVocabularyAndTheWeights()
    {
        string text = string.Concat(Enumerable.Repeat(Verse, 10));
        var options = new CharLmOptions { SequenceLength = 10, BatchSize = 4, Embedding = 8, Hidden = 12, Layers = 2, Epochs = 1, SampleLength = 5 };
        var run = new CharLmRun(text, options);
        string path = Path.Combine(Repo.TempDir(), "lm.safetensors");
        var records = run.Run(checkpoint: path);
        Assert.Equal(5, records[0].Sample.EnumerateRunes().Count());
        var (model, vocabulary, metadata) = CharLmFile.Load(path);
        Assert.Equal(run.Vocabulary.ToString(), vocabulary.ToString());
        Assert.Equal("1", metadata["striate.charlm.epoch"]);
        var tokens = Tensor.FromArray([.. vocabulary.Encode("the dog").Select(t => (float)t)], 7, 1);
        run.Model.Eval();
        using (Autograd.NoGrad())
            Assert.Equal(run.Model.Run(tokens).Logits.ToArray(), model.Run(tokens).Logits.ToArray());
        // A file of another kind is refused by name.
        string other = Path.Combine(Repo.TempDir(), "lenet.safetensors");
        new LeNet5().Save(other);
        Assert.Contains("is not a character-level language model", Assert.Throws<InvalidDataException>(() => CharLmFile.Load(other)).Message);
    }

    [Fact]
    public void ValidationIsPiecesSpreadThroughTheText()
    {
        var tokens = Enumerable.Range(0, 10_000).ToArray();
        // 1,000 held out with sequences of 4: ten pieces of 100 (twenty sequences of 5 each), each the end of one tenth of the text.
        var (train, validation) = CharLmRun.Split(tokens, 1000, 4);
        Assert.Equal(Enumerable.Range(0, 10).SelectMany(i => Enumerable.Range(i * 1000 + 900, 100)), validation);
        Assert.Equal(tokens.Except(validation), train);
        // Never more than 20 pieces; one piece is the text's end.
        var twenty = CharLmRun.Split(tokens, 4000, 4).Validation;
        Assert.Equal([300, 499, 800, 9999], [twenty[0], twenty[199], twenty[200], twenty[^1]]);
        Assert.Equal(Enumerable.Range(9700, 300), CharLmRun.Split(tokens, 300, 20).Validation);
    }

    [Fact]
    public void TheLearningRateFallsAlongACosineOverTheUpdatesOrTheTimeLimit()
    {
        string text = string.Concat(Enumerable.Repeat(Verse, 40));
        var options = new CharLmOptions { SequenceLength = 10, BatchSize = 4, Embedding = 4, Hidden = 4, Layers = 1, Epochs = 2, LearningRate = 0.004f };
        var run = new CharLmRun(text, options);
        long total = 2L * run.UpdatesPerEpoch;
        Assert.Equal(0.004f, run.LearningRate(0, TimeSpan.Zero));
        Assert.Equal(0.002f, run.LearningRate(total / 2, TimeSpan.Zero), 6);
        Assert.Equal(0f, run.LearningRate(total, TimeSpan.Zero), 6);
        // With a time limit, whichever runs out first sets the pace.
        var timed = new CharLmRun(text, options with { TimeLimit = TimeSpan.FromMinutes(10) });
        Assert.Equal(0.002f, timed.LearningRate(0, TimeSpan.FromMinutes(5)), 6);
        Assert.Equal(0.002f, timed.LearningRate(total / 2, TimeSpan.FromMinutes(1)), 6);
        Assert.Equal(0f, timed.LearningRate(1, TimeSpan.FromMinutes(12)), 6);
        Assert.Equal(0.004f, new CharLmRun(text, options with { CosineSchedule = false }).LearningRate(total / 2, TimeSpan.Zero));
    }

    [Fact]
    public void TooShortATextIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new CharLmRun("abcdef", new CharLmOptions { SequenceLength = 10 }));
        Assert.Contains("the text has 6 characters; sequences of 10 need at least 22", e.Message);
    }

    [Fact]
    public void TheCommandLineTrainsGeneratesAndRefusesBadInput()
    {
        string text = WriteText(string.Concat(Enumerable.Repeat(Verse, 20)));
        string model = Path.Combine(Repo.TempDir(), "lm.safetensors");
        var (code, output, err) = Run("train", "--task", "charlm", "--text", text, "--hidden", "16", "--layers", "1", "--sequence-length", "12",
            "--batch-size", "4", "--epochs", "2", "--out", model);
        Assert.True(code == 0, err);
        Assert.Contains("epoch 2/2: train ", output);
        Assert.Contains("bits/char", output);
        (code, output, err) = Run("generate", "--model", model, "--prime", "the ", "--length", "30", "--seed", "3");
        Assert.True(code == 0, err);
        Assert.StartsWith("the ", output);
        Assert.Equal(34, output.TrimEnd('\n').Length);

        // Bad input: exit code 2, a message naming what was expected.
        string latin1 = Path.Combine(Repo.TempDir(), "latin1.txt");
        File.WriteAllBytes(latin1, [.. Encoding.UTF8.GetBytes(Verse), 0xFF]);
        (code, _, err) = Run("train", "--task", "charlm", "--text", latin1, "--out", Path.Combine(Repo.TempDir(), "x.safetensors"));
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("is not UTF-8 text: byte 0xFF", err);
        (code, _, err) = Run("train", "--task", "charlm", "--text", WriteText("too short"), "--out", Path.Combine(Repo.TempDir(), "x.safetensors"));
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("the text has 9 characters; sequences of 100 need at least 202", err);
        (code, _, err) = Run("train", "--task", "charlm");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--task charlm needs --text FILE", err);
        (code, _, err) = Run("train", "--task", "charlm", "--text", text, "--model", "lenet5");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--task charlm does not use --model", err);
        (code, _, err) = Run("train", "--task", "charlm", "--text", text, "--schedule", "onecycle");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--task charlm takes --schedule cosine", err);
        (code, _, err) = Run("train", "--hidden", "12", "--epochs", "1");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--task classify does not use --hidden", err);
        (code, _, err) = Run("generate", "--model", model, "--prime", "the zebra");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--prime: character 'z' at position 4 is not one of the", err);
        (code, _, err) = Run("generate", "--model", model, "--temperature", "-1");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--temperature", err);
        string lenet = Path.Combine(Repo.TempDir(), "lenet.safetensors");
        new LeNet5().Save(lenet);
        (code, _, err) = Run("generate", "--model", lenet);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("is not a character-level language model", err);
        (code, _, err) = Run("generate", "--model", Path.Combine(Repo.TempDir(), "missing.safetensors"));
        Assert.Equal(StriateCli.UsageError, code);
    }
}
