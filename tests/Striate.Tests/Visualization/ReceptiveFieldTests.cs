using Striate.Cli;
using Striate.Models;
using Striate.Nn;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Imaging;
using Striate.Visualization;

namespace Striate.Tests.Visualization;

public class ReceptiveFieldTests
{
    // Four 3x3 'same' convolutions with ReLU on 33x33: the theoretical field grows 3, 5, 7, 9 around the centre pixel.
    private static Sequential Stack(int depth)
    {
        var g = new Generator(4);
        var m = new Sequential(Array.Empty<Module>());
        for (int i = 0; i < depth; i++)
        {
            m.Add($"conv{i + 1}", new Conv2d(i == 0 ? 1 : 8, 8, 3, padding: 1, generator: g));
            m.Add($"relu{i + 1}", new ReLU());
        }
        return m;
    }

    [Fact]
    public void EffectiveFieldIsCentredInsideTheTheoreticalOneAndSmaller()
    {
        var model = Stack(4);
        var erf = EffectiveReceptiveField.Measure(model, LayerLookup.Find(model, "conv4"), 1, 33, 33, samples: 16, seed: 1);
        Assert.Equal(9, erf.Theoretical);
        Assert.Equal((16, 16), erf.Unit);
        // Exactly zero outside the theoretical 9x9 field around the unit, and non-zero up to its edge.
        Assert.Equal((12, 12, 20, 20), erf.Support);
        Assert.InRange(erf.Centre.Y, 15.5, 16.5);
        Assert.InRange(erf.Centre.X, 15.5, 16.5);
        Assert.True(erf.Extent90 < erf.Theoretical, $"90% of the gradient within {erf.Extent90} pixels, theoretical {erf.Theoretical}");
        // The centre pixel gets more than a corner pixel of the field: the mass gathers in the middle.
        Assert.True(erf.Map[16 * 33 + 16] > 5 * erf.Map[12 * 33 + 12], $"centre {erf.Map[16 * 33 + 16]}, corner {erf.Map[12 * 33 + 12]}");
    }

    [Fact]
    public void EffectiveFieldGrowsMoreSlowlyThanTheTheoreticalOne()
    {
        var model = Stack(8);
        var shallow = EffectiveReceptiveField.Measure(model, LayerLookup.Find(model, "conv2"), 1, 41, 41, samples: 8, seed: 2);
        var deep = EffectiveReceptiveField.Measure(model, LayerLookup.Find(model, "conv8"), 1, 41, 41, samples: 8, seed: 2);
        Assert.Equal((5, 17), (shallow.Theoretical, deep.Theoretical));
        Assert.True(deep.Extent90 > shallow.Extent90, $"{deep.Extent90} vs {shallow.Extent90}");
        // Luo et al.: the effective field grows like the square root of depth; the theoretical one linearly.
        Assert.True((double)deep.Extent90 / deep.Theoretical < (double)shallow.Extent90 / shallow.Theoretical,
            $"effective/theoretical {deep.Extent90}/{deep.Theoretical} at depth 8 vs {shallow.Extent90}/{shallow.Theoretical} at depth 2");
    }

    [Fact]
    public void LeNetConv2FieldAndCommand()
    {
        var model = new LeNet5(generator: new Generator(1));
        var erf = EffectiveReceptiveField.Measure(model, LayerLookup.Find(model, "conv2"), 1, 28, 28);
        Assert.Equal(14, erf.Theoretical);
        Assert.True(erf.Support.Bottom - erf.Support.Top + 1 <= 14 && erf.Support.Right - erf.Support.Left + 1 <= 14, $"support {erf.Support}");
        Assert.True(erf.Extent90 < 14, $"extent {erf.Extent90}");

        string dir = Repo.TempDir();
        var o = new StringWriter();
        var e = new StringWriter();
        int code = StriateCli.Run(["visualize", "receptive-field", "--model", "lenet5", "--layer", "conv2", "-o", Path.Combine(dir, "rf.png")], o, e);
        Assert.True(code == 0, e.ToString());
        Assert.Contains("theoretical field 14x14", o.ToString());
        var png = Image.Load(Path.Combine(dir, "rf.png"), 3);
        Assert.Equal(252, png.Width); // 28 pixels, 9 times
        var bad = StriateCli.Run(["visualize", "receptive-field", "--model", "lenet5", "--layer", "fc1", "-o", Path.Combine(dir, "rf.png")], o, e = new StringWriter());
        Assert.Equal(2, bad);
        Assert.Contains("needs a layer with feature maps", e.ToString());
    }

    [Fact]
    public void SummaryShowsTheTheoreticalFieldPerLayer()
    {
        var o = new StringWriter();
        Assert.Equal(0, StriateCli.Run(["summary", "lenet5"], o, new StringWriter()));
        var conv2 = o.ToString().Split('\n').First(l => l.StartsWith("conv2 "));
        Assert.Matches(@"\s14\s+2\s*$", conv2);
    }
}
