using System.Runtime.Intrinsics;
using Striate.Backends.Cpu;

namespace Striate.Tests.Backends.Cpu;

/// <summary>
/// The vector paths the kernels take follow what the runtime reports. scripts/test runs the kernel tests again with
/// the runtime capped (DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0, DOTNET_EnableHWIntrinsic=0) and sets
/// STRIATE_EXPECT_VECTOR_BITS to the width that cap leaves, so each of the 512-, 256-, 128-bit and scalar paths is
/// exercised on one machine; this test fails if a cap did not take effect.
/// </summary>
public class IsaTests
{
    [Fact]
    public void TheGemmKernelIsTheWidestTheRuntimeAllows()
    {
        int widest = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;
        if (Environment.GetEnvironmentVariable("STRIATE_EXPECT_VECTOR_BITS") is { Length: > 0 } expected)
            Assert.Equal(int.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), widest);
        var kernel = Gemm.DefaultKernel;
        switch (widest)
        {
            case 512:
                Assert.Equal(Gemm.KernelKind.Avx512, kernel);
                break;
            case 256:
                Assert.Equal(System.Runtime.Intrinsics.X86.Fma.IsSupported ? Gemm.KernelKind.Avx2 : Gemm.KernelKind.Vector128, kernel);
                break;
            case 128:
                Assert.Equal(Gemm.KernelKind.Vector128, kernel);
                break;
            default:
                Assert.Equal(Gemm.KernelKind.Scalar, kernel);
                break;
        }
    }
}
