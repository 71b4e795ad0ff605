namespace Striate.Backends.Cpu;

/// <summary>Single-precision matrix multiply (simple version).</summary>
public static class Gemm
{
    // C[m,n] = alpha * sum_k op(A)[m,k] * op(B)[k,n] + beta * C[m,n]; row-major; lda/ldb/ldc are row strides.
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0) row.Clear();
            else if (beta != 1) TensorPrimitives.Multiply(row, beta, row);
            for (int p = 0; p < k; p++)
            {
                float av = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                if (!transB)
                {
                    TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), av, row, row);
                }
                else
                {
                    for (int j = 0; j < n; j++) row[j] += av * b[j * ldb + p];
                }
            }
        }
    }
}
