using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void Creation()
    {
        Assert.Equal(new float[6], Tensor.Zeros(2, 3).ToArray());
        Assert.Equal(Enumerable.Repeat(1f, 4), Tensor.Ones(2, 2).ToArray());
        Assert.Equal(Enumerable.Repeat(7f, 3), Tensor.Full([3], 7f).ToArray());
        Assert.Equal([0f, 1f, 2f, 3f], Tensor.Arange(4).ToArray());
        Assert.Equal([1f, 1.5f, 2f, 2.5f], Tensor.Arange(1f, 3f, 0.5f).ToArray());
        Assert.Equal([5f, 3f], Tensor.Arange(5f, 1f, -2f).ToArray());
        Assert.Equal(new Shape(2, 3), Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3).Shape);
        Assert.Equal(2.5f, Tensor.Scalar(2.5f).Item());
        var many = Assert.ThrowsAny<Exception>(() => Tensor.Zeros(2).Item());
        Assert.True(many is ArgumentException or InvalidOperationException, many.GetType().Name);
        Assert.Contains("exactly one element", many.Message);
        Assert.Contains("[2]", many.Message);
        Assert.Equal(0, Tensor.Scalar(1f).Rank);
        Assert.Equal(6f, Tensor.FromRows([[1f, 2f, 3f], [4f, 5f, 6f]])[1, 2]);
        Assert.Throws<ArgumentException>(() => Tensor.FromArray([1f, 2f], 3));
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0f, 5f, -1f));
        Assert.Throws<ArgumentException>(() => new Shape(2, -1));
    }

    [Fact]
    public void IndexerIsRowMajorAndChecked()
    {
        var t = Tensor.Arange(24).Reshape(2, 3, 4);
        Assert.Equal(23f, t[1, 2, 3]);
        Assert.Equal(13f, t[1, 0, 1]);
        Assert.Equal(23f, t[-1, -1, -1]);
        Assert.Throws<IndexOutOfRangeException>(() => t[2, 0, 0]);
        Assert.Throws<ArgumentException>(() => t[0, 0]);
    }

    [Fact]
    public void ReductionsAlongDimensions()
    {
        var t = Tensor.Arange(24).Reshape(2, 3, 4);
        Assert.Equal(276f, t.Sum().Item());
        Assert.Equal(11.5f, t.Mean().Item());
        Assert.Equal(new Shape(2, 4), t.Sum(1).Shape);
        Assert.Equal([12f, 15f, 18f, 21f, 48f, 51f, 54f, 57f], t.Sum(1).ToArray());
        Assert.Equal(new Shape(2, 1, 4), t.Mean(1, keepDim: true).Shape);
        Assert.Equal([1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f], t.Mean(-1).ToArray());
        var (v, i) = F.Max(Tensor.FromArray([1f, 5f, 5f, -2f, 0f, 3f], 2, 3), 1);
        Assert.Equal([5f, 3f], v.ToArray());
        Assert.Equal([1, 2], i); // first on ties
        Assert.Equal([1, 2], Tensor.FromArray([1f, 5f, 5f, -2f, 0f, 3f], 2, 3).Argmax(1));
    }

    [Fact]
    public void ReshapeFlattenConcatSplitTranspose()
    {
        var t = Tensor.Arange(12).Reshape(3, -1);
        Assert.Equal(new Shape(3, 4), t.Shape);
        Assert.Equal(new Shape(2, 12), Tensor.Zeros(2, 3, 2, 2).Flatten().Shape);
        Assert.Equal(new Shape(6, 2, 2), Tensor.Zeros(2, 3, 2, 2).Flatten(0, 1).Shape);
        var parts = F.Split(t, [1, 3], 1);
        Assert.Equal([0f, 4f, 8f], parts[0].ToArray());
        Assert.Equal([1f, 2f, 3f, 5f, 6f, 7f, 9f, 10f, 11f], parts[1].ToArray());
        Assert.Equal(t.ToArray(), F.Concat(parts, 1).ToArray());
        var chunks = F.Chunk(Tensor.Arange(5), 2, 0);
        Assert.Equal([3, 2], chunks.Select(c => c.Numel));
        Assert.Equal([0f, 4f, 8f, 1f, 5f, 9f, 2f, 6f, 10f, 3f, 7f, 11f], t.Transpose(0, 1).ToArray());
    }

    [Fact]
    public void OperatorsBroadcast()
    {
        var a = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        var b = Tensor.FromArray([10f, 20f, 30f], 3);
        Assert.Equal([11f, 22f, 33f, 14f, 25f, 36f], (a + b).ToArray());
        Assert.Equal([-9f, -18f, -27f, -6f, -15f, -24f], (a - b).ToArray());
        Assert.Equal([2f, 4f, 6f, 8f, 10f, 12f], (a * 2f).ToArray());
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f], (a - 1f).ToArray());
        Assert.Equal([9f, 8f, 7f, 6f, 5f, 4f], (10f - a).ToArray());
        var col = Tensor.FromArray([1f, 2f], 2, 1);
        Assert.Equal([1f, 2f, 3f, 8f, 10f, 12f], (a * col).ToArray());
        Assert.Equal(new Shape(2, 2, 3), (Tensor.Zeros(2, 1, 3) + Tensor.Zeros(2, 1)).Shape);
    }

    [Fact]
    public void GeneratorStreamsDoNotDependOnHowTheyAreDrawn()
    {
        var whole = new float[1000];
        new Generator(7).FillUniform(whole, 0, 1);
        // Drawn in two pieces by two threads into the right offsets: the same bits.
        var g = new Generator(7);
        ulong start = g.Advance(1000);
        var pieces = new float[1000];
        Parallel.For(0, 2, part =>
        {
            for (int i = part * 500; i < part * 500 + 500; i++) pieces[i] = Generator.UniformAt(7, start + (ulong)i);
        });
        Assert.Equal(whole, pieces);
        Assert.NotEqual(whole, Tensor.Rand(new Generator(8), 1000).ToArray());
        Assert.All(whole, v => Assert.InRange(v, 0f, 0.99999994f));
        Assert.InRange(whole.Average(), 0.47, 0.53);
    }

    [Fact]
    public void NormalDrawsHaveTheRightMoments()
    {
        var x = Tensor.Randn(new Generator(3), 200000).ToArray();
        double mean = x.Average(), var = x.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(var, 0.98, 1.02);
    }

    [Fact]
    public void PermutationIsAPermutationAndSeeded()
    {
        var p = new Generator(4).Permutation(1000);
        Assert.Equal(Enumerable.Range(0, 1000), p.OrderBy(v => v));
        Assert.Equal(p, new Generator(4).Permutation(1000));
        Assert.NotEqual(p, new Generator(5).Permutation(1000));
        Assert.NotEqual(Enumerable.Range(0, 1000), p);
    }

    [Fact]
    public void GeneratorStateResumes()
    {
        var a = new Generator(9);
        a.NextFloat();
        a.NextFloat();
        var b = new Generator(a.Seed, a.Offset);
        Assert.Equal(a.NextNormal(), b.NextNormal());
        Assert.NotEqual(a.Fork(1).NextFloat(), a.Fork(2).NextFloat());
    }
}
