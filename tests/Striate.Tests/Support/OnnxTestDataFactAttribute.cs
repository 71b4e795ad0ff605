namespace Striate.Tests.Support;

/// <summary>
/// A test that needs ONNX's own test data (Debian's <c>libonnx-testdata</c>, which .ci/run installs when it can); it is
/// reported as skipped, with the reason, where the data is not installed.
/// </summary>
public sealed class OnnxTestDataFactAttribute : FactAttribute
{
    /// <summary>Where the package puts the node tests.</summary>
    public const string NodeTests = "/usr/share/libonnx-testdata/data/node";

    public OnnxTestDataFactAttribute()
    {
        if (!Directory.Exists(NodeTests))
            Skip = $"ONNX's test data is not installed ({NodeTests} is missing): install Debian's 'libonnx-testdata' package to run the ONNX conformance tests";
    }
}
