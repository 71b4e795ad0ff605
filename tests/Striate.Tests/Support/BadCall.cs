namespace Striate.Tests.Support;

/// <summary>
/// One entry of the op table's error column: a call with bad input and the fragments its message must contain (what
/// the op is, what it expected, what it got).
/// </summary>
public sealed record BadCall(string Name, Action Call, params string[] Fragments)
{
    public override string ToString() => Name;
}
