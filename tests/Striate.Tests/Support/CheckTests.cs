using Striate.Ops;
using Striate.Tests.Support;
using Xunit.Sdk;

namespace Striate.Tests.SupportTests;

/// <summary>The gradient checker must fail when a forward or a backward is wrong, or it proves nothing.</summary>
public class CheckTests
{
    [Fact]
    public void ForwardMismatchFails()
    {
        var c = new OpCase("wrong forward", [[4]], t => F.Relu(t[0]), r => r[0].Select(v => Math.Max(v, 0.01)).ToArray());
        Assert.Throws<XunitException>(() => Check.Op(c));
    }

    [Fact]
    public void GradientMismatchFails()
    {
        // Forward x^2, but the detached factor halves the gradient.
        var c = new OpCase("wrong backward", [[5]], t => F.Mul(t[0], t[0].Detach()), r => r[0].Select(v => v * v).ToArray());
        var e = Assert.Throws<XunitException>(() => Check.Op(c));
        Assert.Contains("gradient of input 0", e.Message);
    }
}
