using Striate.Nn;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using STensor = Striate.Tensors.Tensor;
using TTensor = TorchSharp.torch.Tensor;
using Generator = Striate.Tensors.Generator;

namespace Striate.Bench;

/// <summary>
/// Recurrent layers in both libraries: an LSTM or a GRU over a fixed random sequence [T, B, in], a training step
/// (forward, a loss that weights every output by a fixed random number, backward, Adam) and inference (no gradient).
/// </summary>
public static class RecurrentWorkloads
{
    private static readonly (int Steps, int Batch, int Input, int Hidden, int Layers)[] s_shapes = [(28, 128, 28, 128, 1), (100, 32, 64, 256, 2)];

    public static IEnumerable<Workload> All()
    {
        foreach (var kind in new[] { RecurrentKind.Lstm, RecurrentKind.Gru })
            foreach (var s in s_shapes)
            {
                string name = $"{(kind == RecurrentKind.Lstm ? "LSTM" : "GRU")} T{s.Steps} b{s.Batch} in{s.Input} h{s.Hidden}{(s.Layers > 1 ? $" x{s.Layers} layers" : "")}";
                yield return new Workload(name + " train step (Adam)", "sequences/s", s.Batch,
                    () => StriateSide(kind, s, train: true), () => TorchSide(kind, s, train: true));
                yield return new Workload(name + " inference", "sequences/s", s.Batch,
                    () => StriateSide(kind, s, train: false), () => TorchSide(kind, s, train: false));
            }
    }

    private static float[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        var a = new float[count];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    private static Side StriateSide(RecurrentKind kind, (int Steps, int Batch, int Input, int Hidden, int Layers) s, bool train)
    {
        RecurrentNetwork net = kind == RecurrentKind.Lstm
            ? new LSTM(s.Input, s.Hidden, s.Layers, generator: new Generator(1))
            : new GRU(s.Input, s.Hidden, s.Layers, generator: new Generator(1));
        var x = STensor.FromArray(Random(s.Steps * s.Batch * s.Input, 1), s.Steps, s.Batch, s.Input);
        var target = STensor.FromArray(Random(s.Steps * s.Batch * s.Hidden, 2), s.Steps, s.Batch, s.Hidden);
        if (!train)
        {
            net.Eval();
            return new Side(() =>
            {
                using (TensorScope.Begin())
                using (Autograd.NoGrad())
                    net.Run(x);
            });
        }
        var opt = new Adam(net.Parameters(), lr: 1e-3f);
        return new Side(() =>
        {
            using (TensorScope.Begin())
            {
                var loss = F.Mean(F.Mul(net.Run(x).Output, target));
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
            }
        });
    }

    private static Side TorchSide(RecurrentKind kind, (int Steps, int Batch, int Input, int Hidden, int Layers) s, bool train)
    {
        nn.Module net = kind == RecurrentKind.Lstm ? nn.LSTM(s.Input, s.Hidden, s.Layers) : nn.GRU(s.Input, s.Hidden, s.Layers);
        TTensor x = torch.tensor(Random(s.Steps * s.Batch * s.Input, 1), [s.Steps, s.Batch, s.Input], dtype: ScalarType.Float32);
        TTensor target = torch.tensor(Random(s.Steps * s.Batch * s.Hidden, 2), [s.Steps, s.Batch, s.Hidden], dtype: ScalarType.Float32);
        TTensor Forward() => net is TorchSharp.Modules.LSTM lstm ? lstm.call(x).Item1 : ((TorchSharp.Modules.GRU)net).call(x).Item1;
        if (!train)
        {
            net.eval();
            return new Side(() =>
            {
                using var scope = torch.NewDisposeScope();
                using (torch.no_grad()) Forward();
            }, () => { x.Dispose(); target.Dispose(); net.Dispose(); });
        }
        var opt = optim.Adam(net.parameters(), lr: 1e-3);
        return new Side(() =>
        {
            using var scope = torch.NewDisposeScope();
            var loss = (Forward() * target).mean();
            opt.zero_grad();
            loss.backward();
            opt.step();
        }, () => { x.Dispose(); target.Dispose(); opt.Dispose(); net.Dispose(); });
    }
}
