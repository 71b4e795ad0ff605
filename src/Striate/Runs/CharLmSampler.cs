using Striate.Models;
using Striate.Tensors;
using Striate.Text;

namespace Striate.Runs;

/// <summary>Text from a character-level language model, one character at a time.</summary>
public static class CharLmSampler
{
    /// <summary>
    /// Reads <paramref name="prime"/>, then draws <paramref name="length"/> characters, each from the softmax of the
    /// logits divided by <paramref name="temperature"/> (0: always the likeliest character) and fed back as the next
    /// input. Returns the drawn characters only.
    /// </summary>
    /// <exception cref="ArgumentException">The prime is empty or has a character the vocabulary lacks, the length is negative, or the temperature is negative or not finite.</exception>
    public static string Generate(CharLanguageModel model, CharVocabulary vocabulary, string prime, int length, double temperature, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(generator);
        if (string.IsNullOrEmpty(prime)) throw new ArgumentException("the prime text is empty: give at least one character to start from.");
        if (length < 0) throw new ArgumentException($"length {length}: expected 0 or more characters.");
        if (!(temperature >= 0) || double.IsInfinity(temperature)) throw new ArgumentException($"temperature {temperature}: expected a finite number >= 0.");
        var tokens = vocabulary.Encode(prime);
        bool training = model.IsTraining;
        model.Eval();
        var drawn = new List<int>(length);
        try
        {
            using var _ = Autograd.NoGrad();
            Tensor? h = null, c = null;
            var input = tokens;
            for (int i = 0; i < length; i++)
            {
                using var scope = TensorScope.Begin();
                var x = Tensor.FromArray([.. input.Select(t => (float)t)], input.Length, 1);
                var (logits, hn, cn) = model.Run(x, h, c);
                var last = logits.Data.Slice((input.Length - 1) * vocabulary.Count, vocabulary.Count).ToArray();
                int next = Draw(last, temperature, generator);
                drawn.Add(next);
                input = [next];
                h = CharLmRun.Keep(scope, hn);
                c = CharLmRun.Keep(scope, cn);
            }
        }
        finally
        {
            if (training) model.Train();
        }
        return vocabulary.Decode(drawn);
    }

    // A token from softmax(logits / temperature), or the largest logit at temperature 0.
    private static int Draw(float[] logits, double temperature, Generator generator)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        if (temperature == 0) return best;
        var p = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = Math.Exp((logits[i] - logits[best]) / temperature);
        double u = generator.NextFloat() * sum;
        for (int i = 0; i < p.Length; i++)
        {
            u -= p[i];
            if (u < 0) return i;
        }
        return best;
    }
}
