using Striate.Models;
using Striate.Nn;
using Striate.Tensors;

namespace Striate.Tests.Nn;

public class InitSchemeTests
{
    private static (double Mean, double Std) Moments(Tensor t)
    {
        double m = 0, s = 0;
        foreach (float v in t.Data) m += v;
        m /= t.Numel;
        foreach (float v in t.Data) s += (v - m) * (v - m);
        return (m, Math.Sqrt(s / t.Numel));
    }

    [Fact]
    public void EverySchemeReachesEveryConvolutionAndLinearLayerWithItsScale()
    {
        var model = new PlainCnn(10, 1, new Generator(1));
        var conv = (Conv2d)model.Features.Children().Select(c => c.Module).OfType<Conv2d>().Last(); // 64 -> 64, fan_in 576
        Init.Apply(model, "he", new Generator(2));
        Assert.Equal(Math.Sqrt(2.0 / 576), Moments(conv.Weight).Std, 0.003);
        Assert.All(conv.Bias!.Data.ToArray(), b => Assert.Equal(0f, b));
        Init.Apply(model, "xavier", new Generator(2));
        // U(-b, b) with b = sqrt(6 / (576 + 576)) has std b / sqrt(3).
        Assert.Equal(Math.Sqrt(6.0 / 1152) / Math.Sqrt(3), Moments(conv.Weight).Std, 0.003);
        Init.Apply(model, "small", new Generator(2));
        Assert.Equal(0.01, Moments(model.Fc.Weight).Std, 0.002);
        Init.Apply(model, "zeros");
        Assert.All(model.Parameters(), p => Assert.All(p.Data.ToArray(), v => Assert.Equal(0f, v)));
        Assert.Throws<ArgumentException>(() => Init.Apply(model, "ones"));
    }
}
