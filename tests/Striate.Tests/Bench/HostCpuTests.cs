using Striate.Bench;

namespace Striate.Tests.Bench;

public class HostCpuTests
{
    // The start of /proc/cpuinfo on a Zen 5 EPYC (trimmed), then the second processor, which must not be read.
    private const string Zen5 =
        "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC 9R45 64-Core Processor\n" +
        "stepping\t: 1\nflags\t\t: fpu vme avx2 avx512f avx512dq avx512_bf16\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n";

    [Fact]
    public void ParseReadsTheFirstProcessor()
    {
        var cpu = HostCpu.Parse(Zen5);
        Assert.Equal(new HostCpu("AuthenticAMD", 26, 2, "AMD EPYC 9R45 64-Core Processor", true), cpu);
        Assert.Equal("AMD EPYC 9R45 64-Core Processor (AuthenticAMD, family 26, model 2, AVX-512)", cpu.ToString());
    }

    [Fact]
    public void AVX512IsTheFoundationFlagOnly()
    {
        var cpu = HostCpu.Parse("vendor_id\t: AuthenticAMD\ncpu family\t: 23\nmodel\t\t: 49\nmodel name\t: AMD EPYC 7B12\nflags\t\t: avx2 avx512_vnni_like\n");
        Assert.False(cpu.Avx512);
        Assert.Equal(23, cpu.Family);
    }

    [Fact]
    public void MissingFieldsAreUnknown()
    {
        var cpu = HostCpu.Parse("processor\t: 0\ncpu family\t: x\n");
        Assert.Null(cpu.Family);
        Assert.Null(cpu.Model);
        Assert.Equal("unknown (unknown, family ?, model ?)", cpu.ToString());
    }

    [Fact]
    public void ThisHostIsRead()
    {
        if (!File.Exists("/proc/cpuinfo")) return;
        var cpu = HostCpu.Read();
        Assert.NotNull(cpu.Family);
        Assert.NotEqual("unknown", cpu.ModelName);
    }
}
