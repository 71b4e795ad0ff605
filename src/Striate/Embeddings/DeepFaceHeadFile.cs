using System.Globalization;
using Striate.Serialization;

namespace Striate.Embeddings;

/// <summary>
/// A trained DeepFace similarity head saved beside the embedding model it was trained on: weight [D] and bias [1] in a
/// safetensors file, with the distance, the decision threshold on the logit and the model's weights digest in its
/// metadata (so a head is never used with another model), and the settings it was trained with.
/// </summary>
public sealed record DeepFaceHeadFile(DeepFaceSimilarity Head, double Threshold, string ModelDigest, IReadOnlyDictionary<string, string>? Training = null)
{
    private const string Format = "striate-deepface-head";
    private static readonly string[] s_reserved = ["format", "distance", "threshold", "model_weights"];

    /// <summary>The probability of "same" at the threshold: sigmoid of the logit threshold.</summary>
    public double ThresholdProbability => 1 / (1 + Math.Exp(-Threshold));

    /// <summary>The distance's name on the command line and in the file: l1 or chi2.</summary>
    public static string Name(DeepFaceDistance distance) => distance == DeepFaceDistance.WeightedL1 ? "l1" : "chi2";

    /// <summary>Reads a distance's name (l1 or chi2, any case).</summary>
    public static bool TryParseDistance(string? text, out DeepFaceDistance distance)
    {
        switch (text?.ToLowerInvariant())
        {
            case "l1":
                distance = DeepFaceDistance.WeightedL1;
                return true;
            case "chi2":
                distance = DeepFaceDistance.ChiSquared;
                return true;
            default:
                distance = default;
                return false;
        }
    }

    /// <summary>Writes the head atomically (through AtomicFile: a temporary file, then a rename).</summary>
    public void Save(string path)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["distance"] = Name(Head.Distance),
            ["threshold"] = Threshold.ToString("R", CultureInfo.InvariantCulture),
            ["model_weights"] = ModelDigest,
        };
        foreach (var (key, value) in Training ?? new Dictionary<string, string>())
            if (!metadata.TryAdd(key, value)) throw new ArgumentException($"DeepFaceHeadFile: the training setting '{key}' would overwrite the head's own metadata.");
        SafeTensors.Write(path,
        [
            SafeTensorEntry.FromFloat32("weight", [Head.EmbeddingDim], Head.Weight.Data),
            SafeTensorEntry.FromFloat32("bias", [1], Head.Bias.Data),
        ], metadata);
    }

    /// <summary>Loads a head; anything that is not one (another file, missing or misshapen tensors) is invalid data that says what was found.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a DeepFace head.</exception>
    public static DeepFaceHeadFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"DeepFace head '{path}' does not exist.", path);
        SafeTensorsContent content;
        try
        {
            content = SafeTensors.Read(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"DeepFace head '{path}' is corrupt: {e.Message}", e);
        }
        string Meta(string key) => content.Metadata.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"'{path}' is not a DeepFace head (its metadata has no '{key}'); train one with 'striate train --task deepface'.");
        if (Meta("format") != Format)
            throw new InvalidDataException($"'{path}' is not a DeepFace head (its format is '{Meta("format")}', expected '{Format}'); train one with 'striate train --task deepface'.");
        if (!TryParseDistance(Meta("distance"), out var distance))
            throw new InvalidDataException($"'{path}' has distance '{Meta("distance")}', expected l1 or chi2.");
        if (!double.TryParse(Meta("threshold"), NumberStyles.Float, CultureInfo.InvariantCulture, out double threshold) || !double.IsFinite(threshold))
            throw new InvalidDataException($"'{path}' has threshold '{Meta("threshold")}', expected a finite number.");
        if (!content.TryGetTensor("weight", out var weight) || weight.Shape.Count != 1 || weight.Shape[0] < 1
            || !content.TryGetTensor("bias", out var bias) || bias.Shape.Count != 1 || bias.Shape[0] != 1)
            throw new InvalidDataException($"'{path}' needs tensors weight [D] and bias [1].");
        if (weight.DType != SafeTensorDType.Float32 || bias.DType != SafeTensorDType.Float32)
            throw new InvalidDataException($"'{path}' needs F32 tensors weight and bias; found {SafeTensors.DTypeCode(weight.DType)} and {SafeTensors.DTypeCode(bias.DType)}.");
        var head = new DeepFaceSimilarity((int)weight.Shape[0], distance);
        weight.ToFloat32Array().CopyTo(head.Weight.Data);
        bias.ToFloat32Array().CopyTo(head.Bias.Data);
        var training = content.Metadata.Where(kv => !s_reserved.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        return new DeepFaceHeadFile(head, threshold, Meta("model_weights"), training);
    }

    /// <summary>The logit that two embeddings are the same identity.</summary>
    public double Logit(float[] a, float[] b) => DeepFaceTraining.Scores(Head, [a, b], [(0, 1, true)])[0];
}
