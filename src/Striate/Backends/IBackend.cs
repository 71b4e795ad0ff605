using Striate.Backends.Cpu;

namespace Striate.Backends;

/// <summary>
/// The primitives the ops are built from. Each works on flat float buffers plus plain shape arguments and
/// knows nothing of tensors or graphs, so another device can be added beside the CPU without touching the
/// ops, layers or models. Destination buffers come last.
/// </summary>
public interface IBackend
{
    /// <summary>A short name for messages and benchmarks, e.g. "cpu".</summary>
    string Name { get; }

    void Binary(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<int> aStrides, ReadOnlySpan<float> b, ReadOnlySpan<int> bStrides, Span<float> y, ReadOnlySpan<int> outShape);

    void SumInto(ReadOnlySpan<float> src, ReadOnlySpan<int> srcShape, Span<float> dst, ReadOnlySpan<int> dstStrides);

    void Unary(UnaryOp op, float alpha, ReadOnlySpan<float> x, Span<float> y);

    void UnaryBackward(UnaryOp op, float alpha, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);

    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc);

    void Conv2dForward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y);

    // y = relu?(conv(x, w) + bias + residual): the output step fused into the convolution (residual may be empty).
    // cache: where forms derived from w are kept between calls, or null (see ConvWeightCache).
    void Conv2dForwardFused(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, bool relu, Span<float> y,
        ConvWeightCache? cache = null);

    // Whether Conv2dForwardPooled has a kernel for g; when not, the caller runs the steps one by one.
    bool CanConv2dForwardPooled(in Conv2dGeometry g);

    // y = max_pool2d(relu?(conv(x, w) + bias), 2x2, stride 2) in one pass, y: [N, OC, OH/2, OW/2].
    void Conv2dForwardPooled(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, bool relu, Span<float> y);

    void Conv2dBackwardData(in Conv2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx);

    void Conv2dBackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias);

    void MaxPool2dForward(in Pool2dGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax);

    void MaxPool2dBackward(in Pool2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx);

    void AvgPool2dForward(in Pool2dGeometry g, ReadOnlySpan<float> x, Span<float> y);

    void AvgPool2dBackward(in Pool2dGeometry g, ReadOnlySpan<float> dy, Span<float> dx);

    void AdaptiveAvgPool2dForward(int planes, int inH, int inW, int outH, int outW, ReadOnlySpan<float> x, Span<float> y);

    void AdaptiveAvgPool2dBackward(int planes, int inH, int inW, int outH, int outW, ReadOnlySpan<float> dy, Span<float> dx);

    void BatchNormForward(int n, int c, int inner, ReadOnlySpan<float> x, Span<float> mean, Span<float> invstd, Span<float> variance, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, bool training, Span<float> y);

    void BatchNormBackward(int n, int c, int inner, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> mean, ReadOnlySpan<float> invstd, ReadOnlySpan<float> gamma, bool training, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    void Softmax(int rows, int cols, ReadOnlySpan<float> x, Span<float> y, bool log);

    void SoftmaxBackward(int rows, int cols, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, bool log);
}
