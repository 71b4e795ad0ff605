namespace Striate.Tensors;
internal static class Placeholder { }
