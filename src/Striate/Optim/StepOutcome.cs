using Striate.Tensors;

namespace Striate.Optim;

/// <summary>
/// What one optimisation step's objective gives <see cref="StepLoop"/>: the loss to minimise (a scalar, in the step's
/// scope), its weight in the epoch's mean loss (the batch's examples for a per-example mean, 1 for a mean over steps),
/// the examples it saw, and the correct predictions among them (-1 when the objective counts none).
/// </summary>
public readonly record struct StepOutcome(Tensor Loss, double Weight, int Examples, long Correct = -1);
