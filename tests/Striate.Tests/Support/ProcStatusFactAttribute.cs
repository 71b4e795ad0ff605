using Striate.Bench;

namespace Striate.Tests.Support;

/// <summary>A test that reads the process's resident set from /proc; reported as skipped, with the reason, elsewhere.</summary>
public sealed class ProcStatusFactAttribute : FactAttribute
{
    public ProcStatusFactAttribute()
    {
        if (ResidentSet.Unavailable is { } why) Skip = why;
    }
}
