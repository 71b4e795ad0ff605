using System.Globalization;
using Striate.Models;
using Striate.Nn;
using Striate.Serialization;
using Striate.Text;

namespace Striate.Runs;

/// <summary>
/// A character-level language model on disk: a safetensors file of its weights whose metadata holds
/// <c>striate.task</c> = <c>charlm</c>, the vocabulary (its characters in token order) and the sizes.
/// </summary>
public static class CharLmFile
{
    private const string TaskKey = "striate.task", VocabularyKey = "striate.charlm.vocabulary", EmbeddingKey = "striate.charlm.embedding",
        HiddenKey = "striate.charlm.hidden", LayersKey = "striate.charlm.layers";

    /// <summary>Writes the model (atomically: a temporary file, then a rename).</summary>
    public static void Save(string path, CharLanguageModel model, CharVocabulary vocabulary, int embedding, IReadOnlyDictionary<string, string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var metadata = new Dictionary<string, string>
        {
            [TaskKey] = "charlm",
            [VocabularyKey] = vocabulary.ToString(),
            [EmbeddingKey] = embedding.ToString(CultureInfo.InvariantCulture),
            [HiddenKey] = model.Lstm.HiddenSize.ToString(CultureInfo.InvariantCulture),
            [LayersKey] = model.Lstm.NumLayers.ToString(CultureInfo.InvariantCulture),
        };
        if (extra is not null) foreach (var (k, v) in extra) metadata[k] = v;
        StateDictFile.Write(path, model.StateDict(), metadata);
    }

    /// <summary>True when the file's metadata says it is a character-level language model.</summary>
    public static bool IsCharLm(string path) =>
        SafeTensors.ReadHeader(path).Metadata.TryGetValue(TaskKey, out var task) && task == "charlm";

    /// <summary>The model and its vocabulary.</summary>
    /// <exception cref="InvalidDataException">The file is not a character-level language model, or its metadata or weights do not fit together.</exception>
    public static (CharLanguageModel Model, CharVocabulary Vocabulary, IReadOnlyDictionary<string, string> Metadata) Load(string path)
    {
        var content = SafeTensors.Read(path);
        var m = content.Metadata;
        if (!m.TryGetValue(TaskKey, out var task) || task != "charlm")
            throw new InvalidDataException($"'{path}' is not a character-level language model (expected metadata {TaskKey} = charlm, as striate train --task charlm writes; found {(task is null ? "none" : $"'{task}'")}).");
        int Size(string key) => m.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= 65536
            ? n : throw new InvalidDataException($"'{path}': metadata {key} should be a whole number from 1 to 65536, found {(v is null ? "none" : $"'{v}'")}.");
        CharVocabulary vocabulary;
        try
        {
            vocabulary = CharVocabulary.Parse(m.TryGetValue(VocabularyKey, out var chars) ? chars : "");
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}': metadata {VocabularyKey}: {e.Message}");
        }
        var model = new CharLanguageModel(vocabulary.Count, Size(EmbeddingKey), Size(HiddenKey), Size(LayersKey));
        try
        {
            model.LoadStateDict(StateDictFile.Read(content, path));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}': the weights do not fit the sizes in its metadata: {e.Message}");
        }
        model.Eval();
        return (model, vocabulary, m);
    }
}
