namespace Striate.Backends.Cpu;

/// <summary>The managed CPU backend: SIMD kernels over spans, both cores, no native code.</summary>
/// <param name="algorithms">The convolution algorithms it may choose (all unless given).</param>
public sealed class CpuBackend(ConvAlgorithms? algorithms = null) : IBackend
{
    public string Name => "cpu";

    /// <summary>The convolution algorithms this backend may choose.</summary>
    public ConvAlgorithms Algorithms { get; } = algorithms ?? ConvAlgorithms.All;

    public void Binary(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<int> aStrides, ReadOnlySpan<float> b, ReadOnlySpan<int> bStrides, Span<float> y, ReadOnlySpan<int> outShape) =>
        Broadcast.Binary(op, a, aStrides, b, bStrides, y, outShape);

    public void SumInto(ReadOnlySpan<float> src, ReadOnlySpan<int> srcShape, Span<float> dst, ReadOnlySpan<int> dstStrides) =>
        Broadcast.SumInto(src, srcShape, dst, dstStrides);

    public void Unary(UnaryOp op, float alpha, ReadOnlySpan<float> x, Span<float> y) => UnaryKernels.Forward(op, alpha, x, y);

    public void UnaryBackward(UnaryOp op, float alpha, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        UnaryKernels.Backward(op, alpha, x, y, dy, dx);

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Cpu.Gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    public void Conv2dForward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y) =>
        ConvKernels.Forward(g, x, w, bias, default, false, y, null, Algorithms);

    public void Conv2dForwardFused(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, bool relu, Span<float> y,
        ConvWeightCache? cache = null) =>
        ConvKernels.Forward(g, x, w, bias, residual, relu, y, cache, Algorithms);

    public bool CanConv2dForwardPooled(in Conv2dGeometry g) => Algorithms.Direct && DirectConvKernels.AppliesPooled(g);

    public void Conv2dForwardPooled(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, bool relu, Span<float> y) =>
        DirectConvKernels.ForwardPooled(g, x, w, bias, relu, y);

    public void Conv2dBackwardData(in Conv2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx) =>
        ConvKernels.BackwardData(g, dy, w, dx, Algorithms);

    public void Conv2dBackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias) =>
        ConvKernels.BackwardWeight(g, x, dy, dw, dbias, Algorithms);

    public void MaxPool2dForward(in Pool2dGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax) =>
        PoolKernels.MaxForward(g, x, y, argmax);

    public void MaxPool2dBackward(in Pool2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx) =>
        PoolKernels.MaxBackward(g, dy, argmax, dx);

    public void AvgPool2dForward(in Pool2dGeometry g, ReadOnlySpan<float> x, Span<float> y) => PoolKernels.AvgForward(g, x, y);

    public void AvgPool2dBackward(in Pool2dGeometry g, ReadOnlySpan<float> dy, Span<float> dx) => PoolKernels.AvgBackward(g, dy, dx);

    public void AdaptiveAvgPool2dForward(int planes, int inH, int inW, int outH, int outW, ReadOnlySpan<float> x, Span<float> y) =>
        PoolKernels.AdaptiveAvgForward(planes, inH, inW, outH, outW, x, y);

    public void AdaptiveAvgPool2dBackward(int planes, int inH, int inW, int outH, int outW, ReadOnlySpan<float> dy, Span<float> dx) =>
        PoolKernels.AdaptiveAvgBackward(planes, inH, inW, outH, outW, dy, dx);

    public void BatchNormForward(int n, int c, int inner, ReadOnlySpan<float> x, Span<float> mean, Span<float> invstd, Span<float> variance, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, bool training, Span<float> y) =>
        NormKernels.BatchNormForward(n, c, inner, x, mean, invstd, variance, gamma, beta, eps, training, y);

    public void BatchNormBackward(int n, int c, int inner, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> mean, ReadOnlySpan<float> invstd, ReadOnlySpan<float> gamma, bool training, Span<float> dx, Span<float> dgamma, Span<float> dbeta) =>
        NormKernels.BatchNormBackward(n, c, inner, x, dy, mean, invstd, gamma, training, dx, dgamma, dbeta);

    public void Softmax(int rows, int cols, ReadOnlySpan<float> x, Span<float> y, bool log) => SoftmaxKernels.Forward(rows, cols, x, y, log);

    public void SoftmaxBackward(int rows, int cols, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, bool log) =>
        SoftmaxKernels.Backward(rows, cols, y, dy, dx, log);
}
