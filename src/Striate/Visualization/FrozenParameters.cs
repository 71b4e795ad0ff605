using Striate.Nn;
using Striate.Tensors;

namespace Striate.Visualization;

/// <summary>
/// Turns off RequiresGrad on a model's parameters until disposed, so a backward pass for a picture computes only the
/// gradients it draws (with respect to the input or a layer), not weight gradients nobody reads.
/// </summary>
internal readonly struct FrozenParameters : IDisposable
{
    private readonly List<Tensor> _frozen;

    public FrozenParameters(Module model)
    {
        _frozen = model.Parameters().Where(p => p.RequiresGrad).ToList();
        foreach (var p in _frozen) p.RequiresGrad = false;
    }

    public void Dispose()
    {
        foreach (var p in _frozen) p.RequiresGrad = true;
    }
}
