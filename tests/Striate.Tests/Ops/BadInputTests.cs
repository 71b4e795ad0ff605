using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Ops;

/// <summary>Bad input is an exception whose message names the op, what it expected and what it got.</summary>
public class BadInputTests
{
    private static Tensor Z(params int[] s) => Tensor.Zeros(s);

    public static IEnumerable<object[]> Cases() => new (string Name, Action Call, string[] Fragments)[]
    {
        ("conv2d input not 4-D", () => F.Conv2d(Z(3, 8, 8), Z(4, 3, 3, 3)), ["conv2d", "4-D input", "[3, 8, 8]"]),
        ("conv2d channel mismatch", () => F.Conv2d(Z(1, 3, 8, 8), Z(4, 2, 3, 3)), ["conv2d expects 2 input channels, got 3", "[1, 3, 8, 8]"]),
        ("conv2d kernel larger than padded input", () => F.Conv2d(Z(1, 1, 4, 4), Z(1, 1, 5, 5), padding: 0), ["larger than the padded input", "(4x4)"]),
        ("conv2d zero stride", () => F.Conv2d(Z(1, 1, 4, 4), Z(1, 1, 3, 3), stride: (0, 1)), ["stride must be >= 1", "(0, 1)"]),
        ("conv2d negative dilation", () => F.Conv2d(Z(1, 1, 4, 4), Z(1, 1, 3, 3), dilation: (-1, 1)), ["dilation must be >= 1"]),
        ("conv2d groups do not divide out", () => F.Conv2d(Z(1, 4, 4, 4), Z(6, 1, 3, 3), groups: 4), ["out_channels (6) must be divisible by groups (4)"]),
        ("conv2d groups zero", () => F.Conv2d(Z(1, 4, 4, 4), Z(6, 1, 3, 3), groups: 0), ["groups must be >= 1"]),
        ("conv2d same with stride", () => F.Conv2d(Z(1, 1, 8, 8), Z(1, 1, 3, 3), stride: (2, 2), padding: Padding2d.Same), ["'same' needs stride 1"]),
        ("conv2d bad bias", () => F.Conv2d(Z(1, 1, 8, 8), Z(2, 1, 3, 3), Z(3)), ["bias must be [2], got [3]"]),
        ("conv_transpose2d channels", () => F.ConvTranspose2d(Z(1, 3, 4, 4), Z(2, 2, 3, 3)), ["expects 2 input channels, got 3"]),
        ("conv_transpose2d output padding", () => F.ConvTranspose2d(Z(1, 2, 4, 4), Z(2, 2, 3, 3), stride: (2, 2), outputPadding: (2, 0)), ["output_padding"]),
        ("max_pool2d window larger than input", () => F.MaxPool2d(Z(1, 1, 2, 2), (3, 3)), ["max_pool2d", "larger than the padded input"]),
        ("max_pool2d padding over half kernel", () => F.MaxPool2d(Z(1, 1, 8, 8), (2, 2), padding: (2, 2)), ["at most half the kernel"]),
        ("avg_pool2d zero stride", () => F.AvgPool2d(Z(1, 1, 8, 8), (2, 2), (0, 2)), ["stride must be >= 1"]),
        ("avg_pool2d not 4-D", () => F.AvgPool2d(Z(8, 8), (2, 2)), ["avg_pool2d expects a 4-D input", "[8, 8]"]),
        ("linear feature mismatch", () => F.Linear(Z(2, 5), Z(3, 4)), ["linear expects 4 input features", "[2, 5]"]),
        ("matmul inner mismatch", () => F.MatMul(Z(2, 3), Z(4, 5)), ["inner dimensions differ", "[2, 3] x [4, 5]"]),
        ("broadcast mismatch", () => F.Add(Z(2, 3), Z(4)), ["add", "[2, 3] and [4] cannot be broadcast"]),
        ("reshape count mismatch", () => F.Reshape(Z(2, 3), 4, 2), ["reshape", "[2, 3]", "[4, 2]"]),
        ("reshape two -1", () => F.Reshape(Z(2, 3), -1, -1), ["only one dimension can be -1"]),
        ("concat shape mismatch", () => F.Concat([Z(2, 3), Z(3, 3)], 1), ["concat", "[3, 3]", "[2, 3]"]),
        ("batch_norm channels", () => F.BatchNorm(Z(2, 3, 4, 4), Z(4), Z(4), null, null, true), ["batch_norm expects 3 channels for running_mean, got [4]"]),
        ("batch_norm one value per channel", () => F.BatchNorm(Z(1, 3), null, null, null, null, true), ["more than 1 value per channel"]),
        ("cross_entropy target out of range", () => F.CrossEntropy(Z(2, 3), [0, 3]), ["target 3 at position 1 is out of range for 3 classes"]),
        ("cross_entropy target count", () => F.CrossEntropy(Z(2, 3), [0]), ["expected 2 targets", "got 1"]),
        ("cross_entropy input rank", () => F.CrossEntropy(Z(2, 3, 4), [0, 1]), ["input [N, C]", "[2, 3, 4]"]),
        ("cross_entropy probability target shape", () => F.CrossEntropy(Z(2, 3), Z(2, 4)), ["cross_entropy", "the logits' shape [2, 3], got [2, 4]"]),
        ("cross_entropy probability weights", () => F.CrossEntropy(Z(2, 3, 4), Z(2, 3, 4), Z(4)), ["class weights must be [3], got [4]"]),
        ("cross_entropy probability smoothing", () => F.CrossEntropy(Z(2, 3), Z(2, 3), labelSmoothing: 1.5f), ["label_smoothing must be in [0, 1], got 1.5"]),
        ("cross_entropy probability scalar", () => F.CrossEntropy(Z(), Z()), ["cross_entropy expects logits", "scalar"]),
        ("pad odd list", () => F.Pad(Z(2, 3), [1, 2, 3]), ["pad", "(before, after) pairs", "got 3 values"]),
        ("pad more dimensions than the input", () => F.Pad(Z(3), [1, 1, 1, 1]), ["2 dimensions to pad", "[3] has 1"]),
        ("pad negative size", () => F.Pad(Z(2, 3), [-2, -2]), ["padding (-2, -2) of dimension 1 (size 3)", "negative size (-1)"]),
        ("pad reflect too wide", () => F.Pad(Z(2, 3), [0, 3], PadMode.Reflect), ["reflect padding must be smaller than the size it mirrors: 3 on dimension 1 of size 3"]),
        ("pad circular wraps twice", () => F.Pad(Z(2, 3), [4, 0], PadMode.Circular), ["circular padding may wrap around at most once: 4 on dimension 1 of size 3"]),
        ("pad circular after a crop", () => F.Pad(Z(2, 3), [3, -1], PadMode.Circular), ["wrap around at most once: 3 on dimension 1 of size 2"]),
        ("pad replicate empty", () => F.Pad(Z(2, 0), [1, 0], PadMode.Replicate), ["replicate padding needs at least one element", "[2, 0] is empty"]),
        ("pad value with reflect", () => F.Pad(Z(2, 3), [1, 1], PadMode.Reflect, 2f), ["fill value (2) is used only by constant padding, not reflect"]),
        ("mse shape mismatch", () => F.MseLoss(Z(2, 3), Z(3, 2)), ["same shape"]),
        ("dropout p", () => F.Dropout(Z(2), 1.5f, true, new Generator(1)), ["probability must be in [0, 1], got 1.5"]),
        ("softmax dim", () => F.Softmax(Z(2, 3), 2), ["softmax: dimension 2 is out of range", "rank 2"]),
        ("item of many", () => Z(2).Item(), ["exactly one element", "[2]"]),
    }.Select(c => new object[] { c.Name, c.Call, c.Fragments });

    [Theory]
    [MemberData(nameof(Cases))]
    public void FailsWithAMessageThatSaysWhatWasExpected(string name, Action call, string[] fragments)
    {
        var e = Record.Exception(call);
        Assert.True(e is ArgumentException or InvalidOperationException, $"{name}: expected an argument error, got {e?.GetType().Name ?? "none"}");
        foreach (var f in fragments) Assert.Contains(f, e!.Message);
    }
}
