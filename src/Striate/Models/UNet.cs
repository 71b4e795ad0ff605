using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// U-Net (Ronneberger, Fischer and Brox, 2015): a contracting path of double 3x3 convolutions (each followed by a
/// ReLU, optionally batch-normalised) and 2x2 max pools, doubling the channels at every level, and an expanding path
/// that up-convolves (a 2x2 transposed convolution of stride 2 halving the channels), concatenates the contracting
/// path's map of that level (centre-cropped to the same size when the convolutions are <c>valid</c>, as in the
/// paper) and convolves twice again; a 1x1 convolution gives each pixel's class scores. With <c>valid</c> padding a
/// 572x572 input gives 388x388 scores, as in the paper; with <c>same</c> the scores have the input's size.
/// Children: <c>down{l}</c> and <c>bottom</c> (each a Sequential of conv, [bn,] relu, conv, [bn,] relu), <c>pool{l}</c>,
/// <c>up{l}.upconv</c> and <c>up{l}.conv</c>, and <c>head</c>.
/// </summary>
public sealed class UNet : Module
{
    private readonly Sequential[] _down;
    private readonly MaxPool2d[] _pool;
    private readonly ConvTranspose2d[] _upConv;
    private readonly Sequential[] _upBlock;
    private readonly Sequential _bottom;
    private readonly Conv2d _head;

    public UNet(int inChannels, int numClasses, int baseChannels = 64, int depth = 4, bool validPadding = true, bool batchNorm = false, Generator? generator = null)
    {
        if (inChannels < 1 || numClasses < 1 || baseChannels < 1 || depth < 1 || depth > 8)
            throw new ArgumentException($"U-Net: in_channels ({inChannels}), classes ({numClasses}) and base channels ({baseChannels}) must be >= 1 and the depth ({depth}) from 1 to 8.");
        InChannels = inChannels;
        NumClasses = numClasses;
        Depth = depth;
        ValidPadding = validPadding;
        _down = new Sequential[depth];
        _upConv = new ConvTranspose2d[depth];
        _upBlock = new Sequential[depth];
        _pool = new MaxPool2d[depth];
        int c = inChannels;
        for (int l = 0; l < depth; l++)
        {
            int w = baseChannels << l;
            _down[l] = RegisterModule($"down{l + 1}", DoubleConv(c, w, validPadding, batchNorm, generator));
            _pool[l] = RegisterModule($"pool{l + 1}", new MaxPool2d(2));
            c = w;
        }
        _bottom = RegisterModule("bottom", DoubleConv(c, baseChannels << depth, validPadding, batchNorm, generator));
        for (int l = depth - 1; l >= 0; l--)
        {
            int w = baseChannels << l;
            var up = RegisterModule($"up{l + 1}", new UpStage(
                new ConvTranspose2d(2 * w, w, 2, stride: 2, generator: generator),
                DoubleConv(2 * w, w, validPadding, batchNorm, generator)));
            _upConv[l] = up.UpConv;
            _upBlock[l] = up.Conv;
        }
        _head = RegisterModule("head", new Conv2d(baseChannels, numClasses, 1, generator: generator));
    }

    public int InChannels { get; }
    public int NumClasses { get; }
    public int Depth { get; }
    public bool ValidPadding { get; }

    private static Sequential DoubleConv(int inC, int outC, bool valid, bool batchNorm, Generator? g)
    {
        var pad = valid ? Padding2d.Valid : (Padding2d)1;
        var layers = new List<(string, Module)> { ("0", new Conv2d(inC, outC, 3, padding: pad, bias: !batchNorm, generator: g)) };
        if (batchNorm) layers.Add(("1", new BatchNorm2d(outC)));
        layers.Add(((layers.Count).ToString(System.Globalization.CultureInfo.InvariantCulture), new ReLU()));
        int k = layers.Count;
        layers.Add((k.ToString(System.Globalization.CultureInfo.InvariantCulture), new Conv2d(outC, outC, 3, padding: pad, bias: !batchNorm, generator: g)));
        if (batchNorm) layers.Add(((k + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), new BatchNorm2d(outC)));
        layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), new ReLU()));
        return new Sequential([.. layers]);
    }

    /// <summary>
    /// The output size for an input side of <paramref name="size"/> pixels, or an error saying why the network cannot
    /// take it: every map entering a max pool must have an even side (and, with valid padding, every convolution needs
    /// at least 3 pixels).
    /// </summary>
    public int OutputSize(int size)
    {
        int s = size;
        for (int l = 0; l < Depth; l++)
        {
            if (ValidPadding) s -= 4;
            if (s < 2 || s % 2 != 0)
                throw new ArgumentException($"U-Net: an input side of {size} pixels gives a {s}-pixel map before max pool {l + 1}; expected an even side of at least 2 there ({Hint()}).");
            s /= 2;
        }
        if (ValidPadding) s -= 4;
        if (s < 1) throw new ArgumentException($"U-Net: an input side of {size} pixels leaves nothing at the bottom ({Hint()}).");
        for (int l = 0; l < Depth; l++)
        {
            s = 2 * s;
            if (ValidPadding) s -= 4;
            if (s < 1) throw new ArgumentException($"U-Net: an input side of {size} pixels leaves nothing on the way up ({Hint()}).");
        }
        return s;
    }

    private string Hint()
    {
        if (!ValidPadding) return $"with same padding, a multiple of {1 << Depth}";
        // Valid sizes: the bottom side b >= 1 maps back to ((b + 4) * 2 + 4) ... at the input.
        var sizes = new List<int>();
        for (int b = 1; sizes.Count < 3; b++)
        {
            int s = b;
            for (int l = 0; l < Depth; l++) s = (s + 4) * 2;
            sizes.Add(s + 4);
        }
        return $"with valid padding, sizes such as {string.Join(", ", sizes)}";
    }

    protected override Tensor OnForward(Tensor input)
    {
        if (input.Rank != 4 || input.Shape[1] != InChannels)
            throw new ArgumentException($"U-Net: expected images [N, {InChannels}, H, W], got {input.Shape}.");
        OutputSize(input.Shape[2]);
        OutputSize(input.Shape[3]);
        var skips = new Tensor[Depth];
        var x = input;
        for (int l = 0; l < Depth; l++)
        {
            skips[l] = _down[l].Call(x);
            x = _pool[l].Call(skips[l]);
        }
        x = _bottom.Call(x);
        for (int l = Depth - 1; l >= 0; l--)
        {
            x = _upConv[l].Call(x);
            var skip = skips[l].Shape[2] == x.Shape[2] && skips[l].Shape[3] == x.Shape[3] ? skips[l] : F.CenterCrop(skips[l], x.Shape[2], x.Shape[3]);
            var joined = F.Concat([skip, x], 1);
            if (ForwardTrace.IsRecording) ForwardTrace.Skip($"up{l + 1}", $"down{l + 1}", skips[l], skip, joined, [skips[l], x], "concatenated");
            x = _upBlock[l].Call(joined);
        }
        return _head.Call(x);
    }

    /// <summary>One level of the expanding path: the up-convolution, then the double convolution after the concatenation.</summary>
    private sealed class UpStage : Module
    {
        public UpStage(ConvTranspose2d upConv, Sequential conv)
        {
            UpConv = RegisterModule("upconv", upConv);
            Conv = RegisterModule("conv", conv);
        }

        public ConvTranspose2d UpConv { get; }
        public Sequential Conv { get; }

        protected override Tensor OnForward(Tensor input) => throw new InvalidOperationException("U-Net's up stage runs inside UNet.Forward, with its skip connection.");
    }
}
