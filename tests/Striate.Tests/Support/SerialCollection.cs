namespace Striate.Tests.Support;

/// <summary>
/// Tests that must not overlap any other: those that count the process's managed allocations, and the model tests,
/// which allocate hundreds of megabytes and keep every core busy. xUnit runs them one at a time after the
/// parallel tests.
/// </summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;
