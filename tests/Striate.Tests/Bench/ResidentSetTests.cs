using System.Runtime.InteropServices;
using Striate.Bench;
using Striate.Tests.Support;

namespace Striate.Tests.Bench;

// The peak-memory rows of the bench stand on this reader: a unit slip (kB read as bytes) or the wrong line would
// make every figure meaningless, and a high-water mark that does not move would make every ratio 1.
[Collection(nameof(SerialCollection))]
public class ResidentSetTests
{
    // The layout of /proc/self/status (Linux 6.x), trimmed: tabs after the colon, spaces to align, "kB" units.
    private const string Status =
        "Name:\tStriate.Bench\nUmask:\t0022\nState:\tR (running)\nVmPeak:\t 3413220 kB\nVmSize:\t 3347684 kB\n" +
        "VmHWM:\t   54332 kB\nVmRSS:\t   51000 kB\nRssAnon:\t   20000 kB\nThreads:\t18\n";

    [Fact]
    public void Field_ReadsKibibytesAsBytes()
    {
        Assert.Equal(54332L * 1024, ResidentSet.Field(Status, "VmHWM"));
        Assert.Equal(51000L * 1024, ResidentSet.Field(Status, "VmRSS"));
        Assert.Equal(3413220L * 1024, ResidentSet.Field(Status, "VmPeak"));
    }

    [Fact]
    public void Field_MatchesTheWholeName()
    {
        // "VmHWM" must not be taken from a longer name that starts the same way, nor "Rss" from "RssAnon".
        Assert.Equal(7L * 1024, ResidentSet.Field("VmHWMx:\t 1 kB\nVmHWM:\t 7 kB\n", "VmHWM"));
        var e = Assert.Throws<FormatException>(() => ResidentSet.Field(Status, "Rss"));
        Assert.Contains("no Rss line", e.Message);
    }

    [Theory]
    [InlineData("VmHWM:\t 12 MB\n", "12 MB")]
    [InlineData("VmHWM:\t -5 kB\n", "-5 kB")]
    [InlineData("VmHWM:\t kB\n", "VmHWM:\t kB")]
    [InlineData("VmHWM:\t 99999999999999999999 kB\n", "99999999999999999999")]
    [InlineData("VmHWM:\t 9223372036854775807 kB\n", "9223372036854775807")]
    public void Field_RejectsWhatIsNotAWholeNumberOfKibibytes(string status, string shown)
    {
        var e = Assert.Throws<FormatException>(() => ResidentSet.Field(status, "VmHWM"));
        Assert.Contains("whole number of kB", e.Message);
        Assert.Contains(shown, e.Message);
    }

    [ProcStatusFact]
    public unsafe void Read_PeakFollowsMemoryTouchedAfterAReset()
    {
        const int Size = 128 << 20;
        Assert.True(ResidentSet.TryResetPeak(), "writing 5 to /proc/self/clear_refs was refused");
        var (before, _) = ResidentSet.Read();
        byte* block = (byte*)NativeMemory.Alloc(Size);
        try
        {
            for (int i = 0; i < Size; i += 4096) block[i] = 1; // every page made resident
            var (during, peak) = ResidentSet.Read();
            Assert.True(peak >= during, $"VmHWM {peak} is below VmRSS {during}");
            // 128 MiB touched: the mark must rise by most of it (slack for the runtime releasing memory meanwhile).
            Assert.True(peak - before >= 96L << 20, $"VmHWM rose by {(peak - before) >> 20} MiB after 128 MiB were touched (from {before >> 20} MiB)");
        }
        finally
        {
            NativeMemory.Free(block);
        }
        // A reset brings the mark back down to the current resident set, below the peak just seen.
        var (_, high) = ResidentSet.Read();
        Assert.True(ResidentSet.TryResetPeak());
        var (now, reset) = ResidentSet.Read();
        Assert.True(reset < high - (64L << 20), $"after a reset VmHWM is {reset >> 20} MiB, the earlier mark {high >> 20} MiB, VmRSS {now >> 20} MiB");
    }

    [ProcStatusFact]
    public void MappedFiles_FindsTheRuntimeButNoLibtorch()
    {
        Assert.Contains(ResidentSet.MappedFiles("System.Private.CoreLib"), f => f.StartsWith("System.Private.CoreLib", StringComparison.Ordinal));
        Assert.Empty(ResidentSet.MappedFiles("libtorch", "TorchSharp"));
    }
}
