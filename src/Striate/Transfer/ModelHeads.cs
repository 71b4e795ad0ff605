namespace Striate.Transfer;

/// <summary>
/// Where each zoo model keeps its classifier head: the state-dict prefixes of the layers whose shapes depend on
/// the number of classes. Fine-tuning for a new class count rebuilds the model with that count, loads every
/// other key from the pre-trained weights and trains the head from its fresh initialisation.
/// </summary>
public static class ModelHeads
{
    /// <summary>
    /// The head's state-dict prefixes of a zoo architecture (e.g. "fc3" for LeNet-5, "classifier.6" for VGG,
    /// "fc" for ResNet; GoogLeNet also lists its auxiliary classifiers' last layers).
    /// </summary>
    /// <exception cref="ArgumentException">The architecture is not one the zoo knows.</exception>
    public static IReadOnlyList<string> Of(string architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (!Models.ModelZoo.Contains(architecture))
            throw new ArgumentException($"Unknown model '{architecture}'. Valid models: {string.Join(", ", Models.ModelZoo.Names)}.");
        if (architecture.StartsWith("lenet5", StringComparison.Ordinal)) return ["fc3"];
        if (architecture.StartsWith("alexnet", StringComparison.Ordinal) || architecture.StartsWith("vgg", StringComparison.Ordinal) || architecture == "zfnet")
            return ["classifier.6"];
        if (architecture == "nin") return ["features.6.4"];
        if (architecture.StartsWith("googlenet", StringComparison.Ordinal)) return ["fc", "aux1.fc2", "aux2.fc2"];
        if (architecture.StartsWith("resnet", StringComparison.Ordinal) || architecture == "plain8" || architecture.EndsWith("-rows", StringComparison.Ordinal)) return ["fc"];
        if (architecture.StartsWith("mobilenet", StringComparison.Ordinal) || architecture.StartsWith("densenet", StringComparison.Ordinal)) return ["classifier"];
        throw new ArgumentException($"ModelHeads: the head of '{architecture}' is not known; add it to ModelHeads.Of.");
    }

    /// <summary>True if the state-dict key belongs to one of the head prefixes.</summary>
    public static bool IsHeadKey(string key, IReadOnlyList<string> heads) =>
        heads.Any(h => key == h || key.StartsWith(h + ".", StringComparison.Ordinal));
}
