using Striate.Backends.Cpu;
using Striate.Models;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using STensor = Striate.Tensors.Tensor;
using TTensor = TorchSharp.torch.Tensor;
using Generator = Striate.Tensors.Generator;
using Striate.Threading;

namespace Striate.Bench;

/// <summary>The benchmark workloads; both sides of each start from the same random data.</summary>
public static class Workloads
{
    public static List<Workload> All(bool quick)
    {
        var list = new List<Workload>
        {
            Gemm(quick ? 1024 : 2048),
            Gemm(quick ? 1024 : 2048, singleThread: true),
            Gemm(quick ? 512 : 1024),
            // The products im2col makes of convolution layers: weights [out, in x k x k] times columns [in x k x k, pixels].
            GemmShape("gemm im2col LeNet conv1 b64", 6, 64 * 28 * 28, 25),
            GemmShape("gemm im2col LeNet conv2 b64", 16, 64 * 10 * 10, 150),
            GemmShape("gemm im2col ResNet 3x3 64->64 56x56", 64, 56 * 56, 576),
            GemmShape("gemm im2col ResNet 3x3 128->128 28x28", 128, 28 * 28, 1152),
            GemmShape("gemm im2col ResNet 3x3 256->256 14x14", 256, 14 * 14, 2304),
            GemmShape("gemm im2col ResNet 3x3 512->512 7x7", 512, 7 * 7, 4608),
            GemmShape("gemm ResNet 1x1 256->64 14x14 b16", 64, 16 * 14 * 14, 256),
            Conv("conv2d fwd+bwd LeNet conv1 [64,1,28,28] 1->6 5x5 p2", 64, 1, 6, 28, 5, 2),
            Conv("conv2d fwd+bwd LeNet conv2 [64,6,14,14] 6->16 5x5", 64, 6, 16, 14, 5, 0),
            Conv("conv2d fwd+bwd [16,64,32,32] 64->64 3x3 p1", 16, 64, 64, 32, 3, 1),
            Conv("conv2d fwd+bwd [4,64,56,56] 64->64 3x3 p1", 4, 64, 64, 56, 3, 1),
            Conv("conv2d fwd+bwd [16,128,16,16] 128->256 3x3 s2 p1", 16, 128, 256, 16, 3, 1, stride: 2),
            Conv("conv2d fwd+bwd [16,256,14,14] 256->64 1x1", 16, 256, 64, 14, 1, 0),
            Conv("conv2d fwd+bwd [16,128,28,28] depthwise 3x3 p1", 16, 128, 128, 28, 3, 1, groups: 128),
            Conv("conv2d fwd [4,3,224,224] 3->64 7x7 s2 p3", 4, 3, 64, 224, 7, 3, stride: 2, backward: false),
            MaxPool(backward: false),
            MaxPool(backward: true),
            BatchNorm(),
        };
        foreach (int b in new[] { 16, 64, 256 }) list.Add(LeNetTrain(b));
        list.Add(LeNetInference(256));
        list.Add(ResNet18Train(quick ? 16 : 64));
        list.Add(ResNet18Inference(1));
        list.Add(ResNet18Inference(quick ? 4 : 16));
        list.Add(Vgg16Inference(1));
        if (!quick) list.Add(Vgg16Inference(16));
        list.AddRange(AugmentationWorkloads.All());
        list.AddRange(EpochWorkloads.All(quick));
        list.AddRange(RecurrentWorkloads.All());
        return list;
    }

    // ---- data shared by both sides -------------------------------------------------------------------

    private static float[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        var a = new float[count];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    private static int[] Labels(int count, int classes, int seed)
    {
        var rng = new Random(seed);
        var a = new int[count];
        for (int i = 0; i < a.Length; i++) a[i] = rng.Next(classes);
        return a;
    }

    private static int Numel(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    private static STensor S(int[] shape, int seed, bool grad = false)
    {
        var t = STensor.FromArray(Random(Numel(shape), seed), shape);
        t.RequiresGrad = grad;
        return t;
    }

    private static TTensor T(int[] shape, int seed, bool grad = false) =>
        torch.tensor(Random(Numel(shape), seed), Array.ConvertAll(shape, d => (long)d), dtype: ScalarType.Float32, requires_grad: grad);

    private static TTensor TLabels(int[] labels) => torch.tensor(Array.ConvertAll(labels, l => (long)l), dtype: ScalarType.Int64);

    private static Side TorchSide(Action step, params IDisposable[] held) => new(() =>
    {
        using var scope = torch.NewDisposeScope();
        step();
    }, () => { foreach (var h in held) h.Dispose(); });

    private static Side StriateSide(Action step) => new(() =>
    {
        using (TensorScope.Begin()) step();
    });

    // ---- workloads ---------------------------------------------------------------------------------------

    // With singleThread both sides run on one thread (restored after each step): the two gemm rows of one size give
    // each library's scaling from 1 thread to the run's count.
    private static Workload Gemm(int n, bool singleThread = false) => new(
        $"gemm {n}x{n}x{n}{(singleThread ? ", 1 thread" : "")}", "GFLOP/s", 2.0 * n * n * n / 1e9,
        () =>
        {
            float[] a = Random(n * n, 1), b = Random(n * n, 2), c = new float[n * n];
            return new Side(() =>
            {
                int saved = Parallelism.Threads;
                if (singleThread) Parallelism.Threads = 1;
                try
                {
                    Backends.Cpu.Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
                }
                finally
                {
                    Parallelism.Threads = saved;
                }
            });
        },
        () =>
        {
            TTensor a = T([n, n], 1), b = T([n, n], 2);
            return TorchSide(() =>
            {
                int saved = torch.get_num_threads();
                if (singleThread) torch.set_num_threads(1);
                try
                {
                    torch.mm(a, b);
                }
                finally
                {
                    if (singleThread) torch.set_num_threads(saved);
                }
            }, a, b);
        });

    // C [m, n] = A [m, k] B [k, n], row-major, as torch.mm does it.
    private static Workload GemmShape(string label, int m, int n, int k) => new(
        $"{label}: {m}x{n}x{k}", "GFLOP/s", 2.0 * m * n * k / 1e9,
        () =>
        {
            float[] a = Random(m * k, 1), b = Random(k * n, 2), c = new float[m * n];
            return new Side(() => Backends.Cpu.Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n));
        },
        () =>
        {
            TTensor a = T([m, k], 1), b = T([k, n], 2);
            return TorchSide(() => torch.mm(a, b), a, b);
        });

    private static Workload Conv(string name, int batch, int ic, int oc, int hw, int k, int pad, int stride = 1, int groups = 1, bool backward = true)
    {
        int outHw = (hw + 2 * pad - k) / stride + 1;
        int[] xs = [batch, ic, hw, hw], ws = [oc, ic / groups, k, k], bs = [oc], ys = [batch, oc, outHw, outHw];
        return new Workload(name, "images/s", batch,
            () =>
            {
                STensor x = S(xs, 1, backward), w = S(ws, 2, backward), b = S(bs, 3, backward), g = S(ys, 4);
                return StriateSide(() =>
                {
                    var y = F.Conv2d(x, w, b, (stride, stride), pad, groups: groups);
                    if (backward) y.Backward(g);
                });
            },
            () =>
            {
                TTensor x = T(xs, 1, backward), w = T(ws, 2, backward), b = T(bs, 3, backward), g = T(ys, 4);
                return TorchSide(() =>
                {
                    var y = nn.functional.conv2d(x, w, b, strides: [stride, stride], padding: [pad, pad], groups: groups);
                    if (backward) y.backward([g]);
                }, x, w, b, g);
            });
    }

    private static Workload ResNet18Inference(int batch) => Inference(
        $"ResNet-18 224x224 inference b{batch} (eval, no grad)", batch,
        () => ResNet.ResNet18(1000, 3, generator: new Generator(1)), () => TorchModels.ResNet18(1000, smallInput: false));

    private static Workload Vgg16Inference(int batch) => Inference(
        $"VGG-16 224x224 inference b{batch} (eval, no grad)", batch,
        () => Vgg.Vgg16(1000, generator: new Generator(1)), () => TorchModels.Vgg16(1000));

    private static Workload Inference(string name, int batch, Func<Striate.Nn.Module> striate, Func<nn.Module<TTensor, TTensor>> torchModel) => new(
        name, "images/s", batch, () => StriateInference(striate(), batch), () => TorchInference(torchModel(), batch));

    /// <summary>Striate ResNet-18 (ImageNet stem, 1000 classes) inference on [batch, 3, 224, 224] in evaluation mode without gradients.</summary>
    public static Side StriateResNet18Inference(int batch) => StriateInference(ResNet.ResNet18(1000, 3, generator: new Generator(1)), batch);

    /// <summary>The same ResNet-18 inference in libtorch.</summary>
    public static Side TorchResNet18Inference(int batch) => TorchInference(TorchModels.ResNet18(1000, smallInput: false), batch);

    // Through an InferenceSession (evaluation mode, no gradients, batch norm folded and Winograd weights transformed once),
    // as a deployed model runs; libtorch runs its module in eval mode under no_grad.
    private static Side StriateInference(Striate.Nn.Module model, int batch)
    {
        var session = new Striate.Nn.InferenceSession(model);
        STensor x = S([batch, 3, 224, 224], 1);
        return StriateSide(() => session.Run(x));
    }

    private static Side TorchInference(nn.Module<TTensor, TTensor> model, int batch)
    {
        model.eval();
        TTensor x = T([batch, 3, 224, 224], 1);
        return TorchSide(() =>
        {
            using (torch.no_grad()) model.call(x);
        }, x, model);
    }

    private static Workload MaxPool(bool backward)
    {
        int[] xs = [64, 16, 28, 28], ys = [64, 16, 14, 14];
        return new Workload(backward ? "maxpool2d 2x2 fwd+bwd [64,16,28,28]" : "maxpool2d 2x2 fwd [64,16,28,28]", "images/s", 64,
            () =>
            {
                STensor x = S(xs, 1, backward), g = S(ys, 4);
                return StriateSide(() =>
                {
                    var y = F.MaxPool2d(x, (2, 2));
                    if (backward) y.Backward(g);
                });
            },
            () =>
            {
                TTensor x = T(xs, 1, backward), g = T(ys, 4);
                return TorchSide(() =>
                {
                    var y = nn.functional.max_pool2d(x, 2);
                    if (backward) y.backward([g]);
                }, x, g);
            });
    }

    private static Workload BatchNorm()
    {
        int[] xs = [32, 64, 16, 16];
        return new Workload("batchnorm2d train fwd+bwd [32,64,16,16]", "images/s", 32,
            () =>
            {
                STensor x = S(xs, 1, true), g = S(xs, 4);
                STensor w = STensor.Ones(64), b = STensor.Zeros(64), rm = STensor.Zeros(64), rv = STensor.Ones(64);
                w.RequiresGrad = true;
                b.RequiresGrad = true;
                return StriateSide(() =>
                {
                    var y = F.BatchNorm(x, rm, rv, w, b, training: true);
                    y.Backward(g);
                });
            },
            () =>
            {
                TTensor x = T(xs, 1, true), g = T(xs, 4);
                TTensor w = torch.ones(64, requires_grad: true), b = torch.zeros(64, requires_grad: true);
                TTensor rm = torch.zeros(64), rv = torch.ones(64);
                return TorchSide(() =>
                {
                    var y = nn.functional.batch_norm(x, rm, rv, w, b, training: true);
                    y.backward([g]);
                }, x, g, w, b, rm, rv);
            });
    }

    /// <summary>One Striate LeNet-5 training step (forward, cross-entropy, backward, Adam) inside a TensorScope.</summary>
    public static Side StriateLeNetTrain(int batch) => StriateTrain(new LeNet5(generator: new Generator(1)), [batch, 1, 28, 28]);

    // One training step of a classifier with 10 classes on fixed random images of the given shape.
    private static Side StriateTrain(Striate.Nn.Module model, int[] shape)
    {
        var opt = new Adam(model.Parameters(), lr: 1e-3f);
        STensor x = S(shape, 1);
        int[] labels = Labels(shape[0], 10, 2);
        return StriateSide(() =>
        {
            var loss = F.CrossEntropy(model.Call(x), labels);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
        });
    }

    private static Side TorchTrain(nn.Module<TTensor, TTensor> model, int[] shape)
    {
        var opt = optim.Adam(model.parameters(), lr: 1e-3);
        TTensor x = T(shape, 1), y = TLabels(Labels(shape[0], 10, 2));
        return TorchSide(() =>
        {
            var loss = nn.functional.cross_entropy(model.call(x), y);
            opt.zero_grad();
            loss.backward();
            opt.step();
        }, x, y, opt, model);
    }

    private static Workload LeNetTrain(int batch) => new(
        $"LeNet-5 train step b{batch} (Adam)", "images/s", batch,
        () => StriateLeNetTrain(batch),
        () => TorchLeNetTrain(batch));

    public static Side TorchLeNetTrain(int batch) => TorchTrain(TorchModels.LeNet5(), [batch, 1, 28, 28]);

    private static Workload LeNetInference(int batch) => new(
        $"LeNet-5 inference b{batch} (eval, no grad)", "images/s", batch,
        () =>
        {
            var session = new Striate.Nn.InferenceSession(new LeNet5(generator: new Generator(1)));
            STensor x = S([batch, 1, 28, 28], 1);
            return StriateSide(() => session.Run(x));
        },
        () =>
        {
            var model = TorchModels.LeNet5();
            model.eval();
            TTensor x = T([batch, 1, 28, 28], 1);
            return TorchSide(() =>
            {
                using (torch.no_grad()) model.call(x);
            }, x, model);
        });

    private static Workload ResNet18Train(int batch) => new(
        $"ResNet-18 (CIFAR stem) train step b{batch} [3,32,32] (Adam)", "images/s", batch,
        () => StriateResNet18Train(batch),
        () => TorchResNet18Train(batch));

    /// <summary>One Striate training step of the CIFAR-style ResNet-18 on [batch, 3, 32, 32] (Adam) inside a TensorScope.</summary>
    public static Side StriateResNet18Train(int batch) =>
        StriateTrain(ResNet.ResNet18(10, 3, smallInput: true, generator: new Generator(1)), [batch, 3, 32, 32]);

    /// <summary>The same ResNet-18 training step in libtorch.</summary>
    public static Side TorchResNet18Train(int batch) => TorchTrain(TorchModels.ResNet18(10), [batch, 3, 32, 32]);
}
