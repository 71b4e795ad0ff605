namespace Striate.Backends;

/// <summary>Elementwise binary operations of the backend contract (<see cref="IBackend.Binary"/>).</summary>
public enum BinaryOp
{
    Add,
    Sub,
    Mul,
    Div,
}
