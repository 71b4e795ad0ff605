using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// Fully convolutional networks for segmentation (Long, Shelhamer and Darrell, 2015) on a VGG backbone: the five
/// convolution stages (torchvision's VGG-16 <c>features</c>, so its weights load), fc6 and fc7 as convolutions (7x7
/// and 1x1, each followed by a ReLU and dropout) and <c>score_fr</c>, a 1x1 convolution to the class scores at 1/32 of the input.
/// FCN-32s upsamples those 32 times with one transposed convolution; FCN-16s first upsamples them twice and adds
/// <c>score_pool4</c> (a 1x1 convolution of pool4, started at zero as in the paper), then upsamples 16 times; FCN-8s
/// adds <c>score_pool3</c> the same way and upsamples 8 times. Every upsampling is a transposed convolution of kernel
/// 2s, stride s and padding s/2 (the output is exactly s times the input) whose weights start as bilinear
/// interpolation, class to class, and learn. Inputs must be a multiple of 32 on each side.
/// </summary>
public sealed class Fcn : Module
{
    private readonly int[] _poolIndex;   // the index in features of the max pools closing stages 3, 4 and 5

    /// <param name="stride">32, 16 or 8: FCN-32s, FCN-16s or FCN-8s.</param>
    /// <param name="numClasses">Classes scored per pixel.</param>
    /// <param name="inChannels">Channels of the input images.</param>
    /// <param name="widths">Channels of the five stages (VGG-16: 64, 128, 256, 512, 512).</param>
    /// <param name="convs">Convolutions per stage (VGG-16: 2, 2, 3, 3, 3).</param>
    /// <param name="fc">Channels of fc6 and fc7 (VGG-16: 4096).</param>
    /// <param name="dropout">Dropout after fc6 and fc7.</param>
    /// <param name="generator">Draws the initial weights.</param>
    public Fcn(int stride, int numClasses, int inChannels = 3, int[]? widths = null, int[]? convs = null, int fc = 4096, float dropout = 0.5f, Generator? generator = null)
    {
        widths ??= [64, 128, 256, 512, 512];
        convs ??= [2, 2, 3, 3, 3];
        if (stride is not (32 or 16 or 8))
            throw new ArgumentException($"FCN: expected a stride of 32, 16 or 8 (FCN-32s, FCN-16s, FCN-8s), got {stride}.");
        if (numClasses < 1 || inChannels < 1 || fc < 1 || widths.Length != 5 || convs.Length != 5 || widths.Any(w => w < 1) || convs.Any(c => c < 1))
            throw new ArgumentException($"FCN: expected classes ({numClasses}), channels ({inChannels}) and fc width ({fc}) >= 1 and five stages of widths and convolution counts >= 1, got [{string.Join(", ", widths)}] and [{string.Join(", ", convs)}].");
        Stride = stride;
        NumClasses = numClasses;
        InChannels = inChannels;
        var layers = new List<Module>();
        _poolIndex = new int[3];
        int c = inChannels;
        for (int s = 0; s < 5; s++)
        {
            for (int k = 0; k < convs[s]; k++)
            {
                layers.Add(new Conv2d(c, widths[s], 3, padding: 1, generator: generator));
                layers.Add(new ReLU());
                c = widths[s];
            }
            if (s >= 2) _poolIndex[s - 2] = layers.Count;
            layers.Add(new MaxPool2d(2, 2));
        }
        Features = RegisterModule("features", new Sequential([.. layers]));
        Fc6 = RegisterModule("fc6", new Conv2d(c, fc, 7, padding: 3, generator: generator));
        Drop6 = RegisterModule("drop6", new Dropout(dropout, generator));
        Fc7 = RegisterModule("fc7", new Conv2d(fc, fc, 1, generator: generator));
        Drop7 = RegisterModule("drop7", new Dropout(dropout, generator));
        ScoreFr = RegisterModule("score_fr", new Conv2d(fc, numClasses, 1, generator: generator));
        if (stride <= 16) ScorePool4 = RegisterModule("score_pool4", Zeroed(new Conv2d(widths[3], numClasses, 1, generator: generator)));
        if (stride == 8) ScorePool3 = RegisterModule("score_pool3", Zeroed(new Conv2d(widths[2], numClasses, 1, generator: generator)));
        if (stride <= 16) Upscore2 = RegisterModule("upscore2", Bilinear(numClasses, 2));
        if (stride == 8) UpscorePool4 = RegisterModule("upscore_pool4", Bilinear(numClasses, 2));
        Upscore = RegisterModule(stride switch { 32 => "upscore", 16 => "upscore16", _ => "upscore8" }, Bilinear(numClasses, stride));
    }

    /// <summary>FCN-32s, -16s or -8s on VGG-16 (torchvision's layer names and sizes, 4096-wide fc6 and fc7).</summary>
    public static Fcn Vgg16(int stride, int numClasses, int inChannels = 3, Generator? generator = null) => new(stride, numClasses, inChannels, generator: generator);

    /// <summary>A small FCN for 2 cores: stages of 16, 32, 64, 64 and 64 channels with one, one, two, two and two convolutions, fc6 and fc7 of 128.</summary>
    public static Fcn Small(int stride, int numClasses, int inChannels = 1, Generator? generator = null) =>
        new(stride, numClasses, inChannels, [16, 32, 64, 64, 64], [1, 1, 2, 2, 2], 128, 0.1f, generator);

    public int Stride { get; }
    public int NumClasses { get; }
    public int InChannels { get; }
    public Sequential Features { get; }
    public Conv2d Fc6 { get; }
    public Dropout Drop6 { get; }
    public Conv2d Fc7 { get; }
    public Dropout Drop7 { get; }
    public Conv2d ScoreFr { get; }
    public Conv2d? ScorePool4 { get; }
    public Conv2d? ScorePool3 { get; }
    public ConvTranspose2d? Upscore2 { get; }
    public ConvTranspose2d? UpscorePool4 { get; }
    public ConvTranspose2d Upscore { get; }

    private static Conv2d Zeroed(Conv2d conv)
    {
        conv.Weight.Data.Clear();
        conv.Bias?.Data.Clear();
        return conv;
    }

    /// <summary>A transposed convolution that upsamples <paramref name="factor"/> times, class to class, started as bilinear interpolation.</summary>
    public static ConvTranspose2d Bilinear(int channels, int factor)
    {
        int k = 2 * factor;
        var up = new ConvTranspose2d(channels, channels, k, stride: factor, padding: factor / 2, bias: false);
        var kernel = BilinearKernel(k);
        var w = up.Weight.Data;
        w.Clear();
        for (int c = 0; c < channels; c++) kernel.CopyTo(w.Slice((c * channels + c) * k * k, k * k));
        return up;
    }

    /// <summary>The k x k bilinear kernel of the FCN paper's code: (1 - |i - centre| / f)(1 - |j - centre| / f), f = ceil(k / 2).</summary>
    public static float[] BilinearKernel(int k)
    {
        int f = (k + 1) / 2;
        double centre = k % 2 == 1 ? f - 1 : f - 0.5;
        var kernel = new float[k * k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                kernel[i * k + j] = (float)((1 - Math.Abs(i - centre) / f) * (1 - Math.Abs(j - centre) / f));
        return kernel;
    }

    protected override Tensor OnForward(Tensor input)
    {
        if (input.Rank != 4 || input.Shape[1] != InChannels)
            throw new ArgumentException($"FCN: expected images [N, {InChannels}, H, W], got {input.Shape}.");
        if (input.Shape[2] % 32 != 0 || input.Shape[3] % 32 != 0)
            throw new ArgumentException($"FCN: expected a height and width that are multiples of 32 (five 2x2 pools), got {input.Shape[2]}x{input.Shape[3]}.");
        Tensor? pool3 = null, pool4 = null;
        var x = input;
        var layers = Features.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].Call(x);
            if (i == _poolIndex[0]) pool3 = x;
            if (i == _poolIndex[1]) pool4 = x;
        }
        x = Drop6.Call(F.Relu(Fc6.Call(x)));
        x = Drop7.Call(F.Relu(Fc7.Call(x)));
        x = ScoreFr.Call(x);
        if (Stride <= 16)
        {
            var up = Upscore2!.Call(x);
            var scores4 = ScorePool4!.Call(pool4!);
            x = F.Add(up, scores4);
            if (ForwardTrace.IsRecording) ForwardTrace.Skip("upscore2", "score_pool4", scores4, scores4, x, [up, scores4], "added");
            if (Stride == 8)
            {
                up = UpscorePool4!.Call(x);
                var scores3 = ScorePool3!.Call(pool3!);
                x = F.Add(up, scores3);
                if (ForwardTrace.IsRecording) ForwardTrace.Skip("upscore_pool4", "score_pool3", scores3, scores3, x, [up, scores3], "added");
            }
        }
        return Upscore.Call(x);
    }
}
