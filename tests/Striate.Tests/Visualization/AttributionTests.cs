using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Visualization;

namespace Striate.Tests.Visualization;

public class AttributionTests
{
    [Fact]
    public void SaliencyAndGradCamConcentrateInTheQuadrantThatDecidesTheLabel()
    {
        Assert.True(QuadrantTask.Accuracy > 0.95, $"the quadrant task should be learned, test accuracy {QuadrantTask.Accuracy:P1}");
        var model = QuadrantTask.Model;
        var layer = LayerLookup.Find(model, "conv2"); // the last convolution, the CLI default
        int h = QuadrantTask.Half, s = QuadrantTask.Size;
        double sal = 0, cam = 0, guided = 0, occ = 0;
        const int images = 20;
        for (int i = 0; i < images; i++)
        {
            var x = QuadrantTask.Image(i);
            sal += Attribution.InputGradient(model, x).MassFraction(0, h, 0, h, s, s);
            guided += Attribution.InputGradient(model, x, mode: ReluGradientMode.Guided).MassFraction(0, h, 0, h, s, s);
            cam += Attribution.GradCam(model, layer, x).MassFraction(0, h, 0, h, s, s);
            occ += Attribution.Occlusion(model, x, patch: 4, stride: 2).MassFraction(0, h, 0, h, s, s);
        }
        // A map that ignored the label would put about a quarter of its mass in each quadrant. Measured (seeded, so
        // fixed): saliency 73%, guided 75%, Grad-CAM 60%, occlusion 97%.
        Assert.True(sal / images > 0.6, $"saliency mass in the top-left quadrant {sal / images:P1}");
        Assert.True(cam / images > 0.5, $"Grad-CAM mass in the top-left quadrant {cam / images:P1}");
        Assert.True(guided / images > 0.6, $"guided backpropagation mass in the top-left quadrant {guided / images:P1}");
        Assert.True(occ / images > 0.8, $"occlusion sensitivity in the top-left quadrant {occ / images:P1}");
    }

    private static Sequential Tiny()
    {
        var m = QuadrantTask.Build(5);
        m.Eval();
        return m;
    }

    [Fact]
    public void SaliencyIsTheGradientOfTheClassScoreByFiniteDifferences()
    {
        var model = Tiny();
        var x = Tensor.Persistent(new Shape(1, 1, 16, 16));
        var g = new Generator(3);
        for (int i = 0; i < x.Numel; i++) x.Data[i] = g.NextNormal();
        var map = Attribution.InputGradient(model, x, classIndex: 1);
        Assert.Equal(1, map.ClassIndex);
        double Score(Tensor t)
        {
            using var _ = Autograd.NoGrad();
            return model.Forward(t).Data[1];
        }
        foreach (int i in new[] { 0, 17, 100, 203, 255 })
        {
            float v = x.Data[i];
            const float eps = 1e-2f;
            x.Data[i] = v + eps;
            double up = Score(x);
            x.Data[i] = v - eps;
            double down = Score(x);
            x.Data[i] = v;
            double fd = (up - down) / (2 * eps);
            Assert.True(Math.Abs(fd - map.Values[i]) < 2e-2 * Math.Max(1, Math.Abs(fd)), $"pixel {i}: finite difference {fd}, gradient {map.Values[i]}");
        }
        Assert.True(model.Parameters().All(p => p.RequiresGrad && p.Grad is null), "parameters are restored and get no gradient");
    }

    [Fact]
    public void GuidedAndDeconvnetReluRulesMatchTheirDefinitions()
    {
        var x = Tensor.FromArray([-2f, -1f, 0.5f, 3f], 1, 4);
        var g = Tensor.FromArray([1f, -1f, -2f, 4f], 1, 4);
        float[] Run(ReluGradientMode mode)
        {
            var leaf = x.Clone();
            leaf.RequiresGrad = true;
            using (F.ReluGradient(mode)) F.Relu(leaf).Backward(g);
            return leaf.Grad!.ToArray();
        }
        Assert.Equal([0f, 0, -2, 4], Run(ReluGradientMode.Standard));
        Assert.Equal([0f, 0, 0, 4], Run(ReluGradientMode.Guided));
        Assert.Equal([1f, 0, 0, 4], Run(ReluGradientMode.Deconvnet));
        Assert.Equal(ReluGradientMode.Standard, F.CurrentReluGradient);
        // Forward values are the ReLU's in every mode.
        using (F.ReluGradient(ReluGradientMode.Deconvnet)) Assert.Equal([0f, 0, 0.5f, 3], F.Relu(x).ToArray());
    }

    [Fact]
    public void DeconvnetAndGuidedDifferFromTheGradientOnARealNetwork()
    {
        var model = Tiny();
        var x = QuadrantTask.Image(0);
        var plain = Attribution.InputGradient(model, x, 0).Values;
        var guided = Attribution.InputGradient(model, x, 0, ReluGradientMode.Guided).Values;
        var deconv = Attribution.InputGradient(model, x, 0, ReluGradientMode.Deconvnet).Values;
        Assert.NotEqual(plain, guided);
        Assert.NotEqual(plain, deconv);
        Assert.NotEqual(guided, deconv);
        // The mode ends with its scope: the gradient afterwards is the plain one again.
        Assert.Equal(plain, Attribution.InputGradient(model, x, 0).Values);
    }

    [Fact]
    public void BadClassAndLayerAreClearErrors()
    {
        var model = Tiny();
        var x = QuadrantTask.Image(0);
        var e = Assert.Throws<ArgumentException>(() => Attribution.InputGradient(model, x, 5));
        Assert.Contains("class 5 is out of range: the model has 2 classes (0 to 1)", e.Message);
        var f = Assert.Throws<ArgumentException>(() => Attribution.GradCam(model, LayerLookup.Find(model, "fc"), x));
        Assert.Contains("Grad-CAM needs a layer with feature maps", f.Message);
        var u = Assert.Throws<ArgumentException>(() => LayerLookup.Find(model, "conv9"));
        Assert.Contains("no layer 'conv9'. Layers: conv1, relu1, pool1, conv2", u.Message);
        var p = Assert.Throws<ArgumentException>(() => LayerLookup.FindConvolution(model, "pool1"));
        Assert.Contains("layer 'pool1' is a MaxPool2d, which has no filters to draw. Layers with filters: conv1, conv2", p.Message);
    }

    [Fact]
    public void ProjectingAFirstLayerActivationGivesItsFilterAtItsPlace()
    {
        // d conv1[c, y, x] / d input is filter c placed over the unit's 3x3 window; scaled by the activation.
        var model = Tiny();
        var x = QuadrantTask.Image(3);
        var conv1 = (Conv2d)LayerLookup.Find(model, "conv1");
        var map = Attribution.ProjectActivation(model, conv1, x, channel: 5);
        Assert.Equal(5, map.ClassIndex);
        var act = FeatureMaps.Capture(model, conv1, x);
        int at = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(act.Data.Slice(5 * 256, 256));
        int uy = at / 16, ux = at % 16;
        Assert.Equal(act.Data[5 * 256 + at], map.Probability);
        var w = conv1.Weight.Data.Slice(5 * 9, 9);
        for (int y = 0; y < 16; y++)
            for (int xx = 0; xx < 16; xx++)
            {
                int dy = y - uy + 1, dx = xx - ux + 1;
                float expected = dy is >= 0 and < 3 && dx is >= 0 and < 3 ? map.Probability * w[dy * 3 + dx] : 0;
                Assert.Equal(expected, map.Values[y * 16 + xx], 1e-5f);
            }
    }

    [Fact]
    public void DeconvnetProjectionStaysInsideTheUnitsReceptiveField()
    {
        var model = QuadrantTask.Model;
        var x = QuadrantTask.Image(1);
        var layer = LayerLookup.Find(model, "relu2");
        var map = Attribution.ProjectActivation(model, layer, x);
        var act = FeatureMaps.Capture(model, layer, x);
        int at = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(act.Data.Slice(map.ClassIndex * 64, 64));
        Assert.Equal(act.Data.ToArray().Max(), map.Probability); // the strongest channel by default
        // relu2 sits on an 8x8 map; its field is 8x8 input pixels: conv 3 (1) -> pool 2 (4, jump 2) -> conv 3 (8).
        int uy = at / 8, ux = at % 8, nonzero = 0;
        for (int y = 0; y < 16; y++)
            for (int xx = 0; xx < 16; xx++)
            {
                float v = map.Values[y * 16 + xx];
                bool inside = y >= 2 * uy - 3 && y <= 2 * uy + 4 && xx >= 2 * ux - 3 && xx <= 2 * ux + 4;
                if (!inside) Assert.Equal(0f, v);
                else if (v != 0) nonzero++;
            }
        Assert.True(nonzero >= 9, $"{nonzero} non-zero pixels inside the field");
        var e = Assert.Throws<ArgumentException>(() => Attribution.ProjectActivation(model, layer, x, channel: 16));
        Assert.Contains("channel 16 is out of range: layer 'relu2' has 16 channels (0 to 15)", e.Message);
    }
}
