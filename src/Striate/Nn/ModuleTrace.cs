using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// An <see cref="OpTrace"/> that also sees every <see cref="Module.Forward"/> call, so an exporter can record a layer
/// it knows whole (its inner operations paused) and let any other module run its own forward, whose children and
/// joining operations it then records.
/// </summary>
public abstract class ModuleTrace : OpTrace
{
    /// <summary>The module recorder on this thread, if the thread's <see cref="OpTrace"/> is one.</summary>
    public static new ModuleTrace? Current => OpTrace.Current as ModuleTrace;

    /// <summary>Runs <paramref name="module"/> on <paramref name="input"/>; <paramref name="onForward"/> is its own computation.</summary>
    public abstract Tensor Run(Module module, Tensor input, Func<Tensor, Tensor> onForward);
}
