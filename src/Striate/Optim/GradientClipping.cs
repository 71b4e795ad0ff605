using Striate.Tensors;

namespace Striate.Optim;

/// <summary>Gradient clipping, as torch.nn.utils.clip_grad_norm_.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales every gradient by min(1, maxNorm / (norm + 1e-6)), where norm is the L2 norm of all the gradients
    /// taken together, so their joint norm is at most <paramref name="maxNorm"/>.
    /// </summary>
    /// <returns>The joint norm before clipping.</returns>
    /// <exception cref="ArgumentOutOfRangeException">maxNorm is not positive.</exception>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"ClipGradNorm: the maximum norm must be > 0, got {maxNorm}.");
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        double sum = 0;
        foreach (var g in grads) sum += TensorPrimitives.SumOfSquares(g.Data);
        double norm = Math.Sqrt(sum);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1)
            foreach (var g in grads) TensorPrimitives.Multiply(g.Data, (float)coef, g.Data);
        return norm;
    }
}
