namespace Striate.Tensors;

/// <summary>
/// A run of floats that one or more tensors view. Pooled storage goes back to the <see cref="BufferPool"/>
/// when its scope ends (op outputs) or when backward has used it (workspaces); a released storage throws on
/// any further access, so a tensor that outlived its scope fails loudly instead of reading recycled memory.
/// </summary>
internal sealed class Storage
{
    private float[]? _array;
    private readonly int _offset;
    private readonly bool _pooled;
    private bool _kept;

    private static long s_lastSerial;

    private Storage(float[] array, int offset, int length, bool pooled)
    {
        _array = array;
        _offset = offset;
        Length = length;
        _pooled = pooled;
        if (pooled) Serial = Interlocked.Increment(ref s_lastSerial);
    }

    /// <summary>Allocation order of pooled storage (0 for unpooled): a backward sweep frees only gradients it made itself.</summary>
    public long Serial { get; }

    /// <summary>The serial of the most recently allocated pooled storage.</summary>
    public static long LastSerial => Interlocked.Read(ref s_lastSerial);

    public int Length { get; }

    /// <summary>The scope that reclaims this storage when it ends; null for kept or unpooled storage.</summary>
    public TensorScope? Owner { get; set; }

    public bool IsReleased => _array is null;

    /// <summary>Set by <see cref="TensorScope.Keep"/>: the storage survives the end of its scope.</summary>
    public bool Kept => _kept;

    public Span<float> Span => _array is { } a ? a.AsSpan(_offset, Length) : throw Released();

    public float[] Array => _array ?? throw Released();

    public int Offset => _offset;

    /// <summary>
    /// Storage for an op output or workspace. Inside a <see cref="TensorScope"/> it comes from the pool and is
    /// registered with the scope; outside any scope it is an ordinary garbage-collected array.
    /// </summary>
    public static Storage Allocate(int length, bool clear)
    {
        var scope = TensorScope.Current;
        if (scope is null)
            return Persistent(length);
        AllocationLimit.Charge(length);
        var (array, offset) = BufferPool.Rent(length);
        var s = new Storage(array, offset, length, pooled: true);
        if (clear) s.Span.Clear();
        scope.Register(s);
        return s;
    }

    /// <summary>Storage that no scope reclaims: parameters, gradients of leaves, optimizer state.</summary>
    public static Storage Persistent(int length)
    {
        AllocationLimit.Charge(length);
        return new(new float[length], 0, length, pooled: false);
    }

    /// <summary>Wraps an existing array without copying (the caller gives up ownership).</summary>
    public static Storage Wrap(float[] array) => new(array, 0, array.Length, pooled: false);

    /// <summary>Returns pooled memory; idempotent; kept or unpooled storage is left alone.</summary>
    public void Release()
    {
        if (!_pooled || _kept || _array is null) return;
        var a = _array;
        _array = null;
        BufferPool.Return(a);
    }

    public void MarkKept() => _kept = true;

    private ObjectDisposedException Released() =>
        new("Tensor", "This tensor's memory was recycled when its TensorScope ended. Call scope.Keep(tensor) or Clone() it outside the scope to use it later.");
}
