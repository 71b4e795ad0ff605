using System.Globalization;
using System.Text;

namespace Striate.Text;

/// <summary>
/// The characters (Unicode scalar values) of a text, sorted, each a token: the vocabulary of a character-level
/// language model. Written into a model file as the characters themselves, in order.
/// </summary>
public sealed class CharVocabulary
{
    private readonly Rune[] _chars;
    private readonly Dictionary<Rune, int> _index;

    private CharVocabulary(Rune[] chars)
    {
        _chars = chars;
        _index = new Dictionary<Rune, int>(chars.Length);
        for (int i = 0; i < chars.Length; i++)
            if (!_index.TryAdd(chars[i], i)) throw new ArgumentException($"character vocabulary: '{Show(chars[i])}' appears twice.");
    }

    /// <summary>The distinct characters of <paramref name="text"/>, sorted by code point.</summary>
    public static CharVocabulary FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var set = new SortedSet<Rune>();
        foreach (var r in text.EnumerateRunes()) set.Add(r);
        if (set.Count == 0) throw new ArgumentException("character vocabulary: the text is empty.");
        return new CharVocabulary([.. set]);
    }

    /// <summary>The vocabulary written by <see cref="ToString"/>: its characters in token order.</summary>
    public static CharVocabulary Parse(string characters)
    {
        ArgumentNullException.ThrowIfNull(characters);
        var chars = characters.EnumerateRunes().ToArray();
        if (chars.Length == 0) throw new ArgumentException("character vocabulary: no characters.");
        return new CharVocabulary(chars);
    }

    /// <summary>The number of tokens.</summary>
    public int Count => _chars.Length;

    /// <summary>The character of token <paramref name="token"/>.</summary>
    public Rune this[int token] => _chars[token];

    /// <summary>True when <paramref name="c"/> is a token.</summary>
    public bool Contains(Rune c) => _index.ContainsKey(c);

    /// <summary>The tokens of <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">A character of the text is not in the vocabulary (named, with its position).</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<int>(text.Length);
        int position = 0;
        foreach (var r in text.EnumerateRunes())
        {
            if (!_index.TryGetValue(r, out int t))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"character '{Show(r)}' at position {position} is not one of the {Count} characters the model knows."));
            tokens.Add(t);
            position++;
        }
        return [.. tokens];
    }

    /// <summary>The text of <paramref name="tokens"/>.</summary>
    public string Decode(IEnumerable<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var sb = new StringBuilder();
        foreach (int t in tokens) sb.Append(_chars[t].ToString());
        return sb.ToString();
    }

    /// <summary>The characters in token order.</summary>
    public override string ToString() => string.Concat(_chars.Select(c => c.ToString()));

    /// <summary>A character as it reads in a message: printable ones as themselves, others as U+XXXX.</summary>
    public static string Show(Rune r) => Rune.IsControl(r) || Rune.IsWhiteSpace(r) ? $"U+{r.Value:X4}" : r.ToString();
}
