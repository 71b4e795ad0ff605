using Striate.Models;
using Striate.Optim;

namespace Striate.Training;

/// <summary>
/// What a checkpoint's header says (<see cref="Checkpoint.ReadHeader"/>): the model spec, epochs trained, class names,
/// input normalisation, optimizer settings, seed and every metadata entry (the run's settings among them), without
/// the weights.
/// </summary>
public sealed record CheckpointHeader(ModelSpec Spec, int Epoch, IReadOnlyList<string> ClassNames, float[] Mean, float[] Std,
    OptimizerConfig? Optimizer, ulong Seed, IReadOnlyDictionary<string, string> Extra);
