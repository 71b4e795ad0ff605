namespace Striate.Ops;

/// <summary>
/// How <see cref="F.Relu"/> passes gradients backward. The two alternatives are the visualisation rules of Springenberg
/// et al. ("Striving for simplicity: the all convolutional net", 2015) and Zeiler and Fergus ("Visualizing and
/// understanding convolutional networks", 2014); they are not gradients and are only meant for drawing.
/// </summary>
public enum ReluGradientMode
{
    /// <summary>The true gradient: g where the forward input was positive, else 0.</summary>
    Standard,

    /// <summary>Guided backpropagation: g where both the forward input and g are positive, else 0.</summary>
    Guided,

    /// <summary>The deconvnet: the ReLU applied to the signal going back, max(g, 0), whatever the forward input was.</summary>
    Deconvnet,
}
