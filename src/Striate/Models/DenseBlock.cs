using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// A dense block (Huang, Liu, van der Maaten and Weinberger, "Densely connected convolutional networks", CVPR
/// 2017, figure 1): each <see cref="DenseLayer"/> takes the concatenation of the block's input and every earlier
/// layer's output, and the block returns the concatenation of all of them, numInputFeatures + numLayers *
/// growthRate channels. Children denselayer1, denselayer2, ... as in torchvision.
/// </summary>
public sealed class DenseBlock : Module
{
    private readonly List<DenseLayer> _layers = new();

    public DenseBlock(int numLayers, int numInputFeatures, int bnSize, int growthRate, float dropRate = 0f, Generator? generator = null)
    {
        for (int i = 0; i < numLayers; i++)
            _layers.Add(RegisterModule($"denselayer{i + 1}", new DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize, dropRate, generator)));
        OutChannels = numInputFeatures + numLayers * growthRate;
    }

    public IReadOnlyList<DenseLayer> Layers => _layers;

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    protected override Tensor OnForward(Tensor input)
    {
        var features = new List<Tensor> { input };
        foreach (var layer in _layers)
            features.Add(layer.Call(features.Count == 1 ? input : F.Concat(features, 1)));
        return F.Concat(features, 1);
    }
}
