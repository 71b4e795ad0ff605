using System.Globalization;
using Striate.Embeddings;
using Striate.Models;
using Striate.Runs;
using Striate.Tensors;
using Striate.Training;
using Striate.Imaging;

namespace Striate.Cli;

/// <summary>An embedding checkpoint loaded for embed, verify, enroll and identify: the model, its input normalisation and tau.</summary>
public sealed class EmbeddingModel
{
    private EmbeddingModel(string path, Checkpoint checkpoint, EmbeddingNet net, double? tau)
    {
        Path = path;
        Checkpoint = checkpoint;
        Net = net;
        Tau = tau;
    }

    public string Path { get; }
    public Checkpoint Checkpoint { get; }
    public EmbeddingNet Net { get; }

    /// <summary>The threshold chosen when the model was trained (null if the checkpoint has none).</summary>
    public double? Tau { get; }

    /// <summary>Loads an embedding checkpoint; a classifier checkpoint is a usage error that says how to make one.</summary>
    public static EmbeddingModel Load(string? path)
    {
        var ckpt = Checkpoint.Load(Arguments.ExistingFile(path!));
        if (ckpt.Model is not EmbeddingNet net)
            throw new CliUsageException($"'{path}' holds a classifier ({ckpt.Spec.Architecture}, {ckpt.Spec.NumClasses} classes), not an embedding model; train one with 'striate train --task triplet'.");
        return new EmbeddingModel(path!, ckpt, net, EmbeddingOptions.StoredTau(ckpt.Extra));
    }

    /// <summary>The threshold to decide with: the one given, else the checkpoint's; an error if neither exists.</summary>
    public double ResolveTau(double? given) => given ?? Tau ?? throw new CliUsageException($"'{Path}' records no threshold; pass --tau.");

    /// <summary>
    /// Embeds image files. An image of another size is resized bilinearly to the model's input, as the training
    /// images were; the note says so.
    /// </summary>
    public (float[] Embedding, string? Note)[] Embed(IReadOnlyList<string> paths)
    {
        var spec = Checkpoint.Spec;
        int size = spec.InChannels * spec.InputHeight * spec.InputWidth, plane = spec.InputHeight * spec.InputWidth;
        var batch = Tensor.Persistent(new Shape(paths.Count, spec.InChannels, spec.InputHeight, spec.InputWidth));
        var notes = new string?[paths.Count];
        for (int n = 0; n < paths.Count; n++)
        {
            var image = ImageInputs.Load(paths[n], spec.InChannels);
            var (px, c, h, w) = (image.Pixels, image.Channels, image.Height, image.Width);
            if (h != spec.InputHeight || w != spec.InputWidth)
            {
                px = ImageFile.Resize(px, c, h, w, spec.InputHeight, spec.InputWidth);
                notes[n] = $"resized from {w}x{h} to {spec.InputWidth}x{spec.InputHeight}";
            }
            for (int ch = 0; ch < spec.InChannels; ch++)
                for (int p = 0; p < plane; p++)
                    batch.Data[n * size + ch * plane + p] = (px[ch * plane + p] - Checkpoint.Mean[ch]) / Checkpoint.Std[ch];
        }
        var rows = Net.Embed(batch);
        return rows.Select((r, i) => (r, notes[i])).ToArray();
    }

    /// <summary>The model's identity stored in an enrolment database, so embeddings of two models are never mixed.</summary>
    public string Signature => Checkpoint.Spec.ToJson();

    /// <summary>
    /// The first 16 hex digits of SHA-256 over the model's state dict (names, shapes and values, in order): two trained
    /// models of one architecture have the same <see cref="Signature"/> but not the same digest.
    /// </summary>
    public string WeightsDigest => _digest ??= Striate.Training.Checkpoint.WeightsDigest(Net);

    private string? _digest;
}
