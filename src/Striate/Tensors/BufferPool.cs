using System.Numerics;
using System.Runtime.CompilerServices;

namespace Striate.Tensors;

/// <summary>
/// Size-bucketed pool of pinned, 64-byte-aligned float buffers. Buckets are powers of two split in four
/// (1, 1.25, 1.5, 1.75 times), so a request wastes at most a quarter. Thread-safe.
/// </summary>
public static class BufferPool
{
    private const int MinLength = 16;
    private const int AlignFloats = 16; // 64 bytes
    private static readonly Stack<float[]>[] s_buckets = CreateBuckets();
    private static long s_pooledBytes;

    /// <summary>Pooled bytes above which returned buffers are dropped for the garbage collector.</summary>
    public static long MaxPooledBytes { get; set; } = 4L << 30;

    /// <summary>When set, returned buffers are filled with NaN so a use after release shows up in results.</summary>
    public static bool PoisonOnReturn { get; set; }

    /// <summary>Bytes currently held in the pool, waiting to be rented.</summary>
    public static long PooledBytes => Interlocked.Read(ref s_pooledBytes);

    /// <summary>Drops every pooled buffer.</summary>
    public static void Clear()
    {
        foreach (var b in s_buckets)
            lock (b) b.Clear();
        Interlocked.Exchange(ref s_pooledBytes, 0);
    }

    internal static (float[] Array, int Offset) Rent(int length)
    {
        int bucket = BucketOf(length);
        var stack = s_buckets[bucket];
        float[]? a = null;
        lock (stack)
        {
            if (stack.Count > 0) a = stack.Pop();
        }
        if (a is null)
            a = GC.AllocateUninitializedArray<float>(BucketCapacity(bucket) + AlignFloats, pinned: true);
        else
            Interlocked.Add(ref s_pooledBytes, -(long)a.Length * sizeof(float));
        return (a, AlignedOffset(a));
    }

    internal static void Return(float[] a)
    {
        int capacity = a.Length - AlignFloats;
        int bucket = BucketOf(capacity);
        if (BucketCapacity(bucket) != capacity) return; // not one of ours
        if (PoisonOnReturn) a.AsSpan().Fill(float.NaN);
        long bytes = (long)a.Length * sizeof(float);
        if (Interlocked.Add(ref s_pooledBytes, bytes) > MaxPooledBytes)
        {
            Interlocked.Add(ref s_pooledBytes, -bytes);
            return;
        }
        var stack = s_buckets[bucket];
        lock (stack) stack.Push(a);
    }

    private static unsafe int AlignedOffset(float[] a)
    {
        // Pinned arrays never move, so the address read here stays valid for the array's life.
        nuint addr = (nuint)Unsafe.AsPointer(ref a[0]);
        int misalign = (int)(addr & 63) / sizeof(float);
        return misalign == 0 ? 0 : AlignFloats - misalign;
    }

    // Bucket 0 holds 16 floats; bucket b >= 1 holds 2^log * (1 + sub / 4) with log = (b - 1) / 4 + 4, sub = (b - 1) % 4 + 1.
    private static int BucketOf(int length)
    {
        if (length <= MinLength) return 0;
        int log = BitOperations.Log2((uint)(length - 1)); // 2^log < length <= 2^(log+1)
        int quarter = (1 << log) / 4;
        int sub = (length - (1 << log) + quarter - 1) / quarter; // 1..4
        return (log - 4) * 4 + sub;
    }

    private static int BucketCapacity(int bucket)
    {
        if (bucket == 0) return MinLength;
        int log = (bucket - 1) / 4 + 4;
        int sub = (bucket - 1) % 4 + 1;
        long cap = (1L << log) + sub * ((1L << log) / 4);
        return (int)Math.Min(cap, Array.MaxLength - AlignFloats);
    }

    private static Stack<float[]>[] CreateBuckets()
    {
        var b = new Stack<float[]>[4 * 30];
        for (int i = 0; i < b.Length; i++) b[i] = new Stack<float[]>();
        return b;
    }
}
