using Striate.Tensors;

namespace Striate.Tests.Support;

/// <summary>
/// One row of the op table: input shapes, the Striate call, the float64 reference, and the bad calls of the op
/// (<see cref="Bad"/>). Inputs are drawn uniform in [Low, High); <see cref="NoGrad"/> lists inputs that get no
/// gradient check.
/// </summary>
public sealed record OpCase(string Name, int[][] Shapes, Func<Tensor[], Tensor> Op, Func<double[][], double[]> Reference)
{
    public double Low { get; init; } = -1;
    public double High { get; init; } = 1;
    public int[] NoGrad { get; init; } = [];
    public double ForwardTolerance { get; init; } = 1e-4;
    public double GradTolerance { get; init; } = 2e-3;

    /// <summary>The error column: bad calls of this op and what their messages must say.</summary>
    public IReadOnlyList<BadCall> Bad { get; init; } = [];

    public override string ToString() => Name;
}
