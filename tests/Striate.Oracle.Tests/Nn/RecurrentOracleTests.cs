using Striate.Nn;
using Striate.Ops;
using Striate.Oracle.Tests.Models;
using TorchSharp;
using ST = Striate.Tensors.Tensor;
using TT = TorchSharp.torch.Tensor;

namespace Striate.Oracle.Tests.Nn;

/// <summary>
/// nn.RNN, nn.LSTM and nn.GRU of libtorch in float64 against Striate's layers on the same weights: the output
/// sequence, the final states, and the gradients of the input, the initial states and every parameter, for two
/// bidirectional layers, batch-first input, and (through pack_padded_sequence, unsorted) sequences of different lengths.
/// </summary>
public class RecurrentOracleTests
{
    public static TheoryData<string, bool> Cases() => new()
    {
        { "rnn-tanh", false }, { "rnn-relu", false }, { "lstm", false }, { "gru", false },
        { "rnn-tanh", true }, { "lstm", true }, { "gru", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndEveryGradientMatchLibtorch(string kind, bool packed)
    {
        const int steps = 5, batch = 3, input = 4, hidden = 6, layers = 2;
        int[] lengths = [3, 5, 2];
        var gen = new Striate.Tensors.Generator(21);
        RecurrentNetwork ours = kind switch
        {
            "lstm" => new LSTM(input, hidden, layers, batchFirst: true, bidirectional: true, generator: gen),
            "gru" => new GRU(input, hidden, layers, batchFirst: true, bidirectional: true, generator: gen),
            _ => new RNN(input, hidden, layers, kind == "rnn-relu" ? "relu" : "tanh", batchFirst: true, bidirectional: true, generator: gen),
        };
        bool lstm = kind == "lstm";
        var x = ST.Uniform(gen, -1f, 1f, batch, steps, input);
        var h0 = ST.Uniform(gen, -1f, 1f, 2 * layers, batch, hidden);
        var c0 = ST.Uniform(gen, -1f, 1f, 2 * layers, batch, hidden);
        var gy = ST.Uniform(gen, -1f, 1f, batch, steps, 2 * hidden);
        var gh = ST.Uniform(gen, -1f, 1f, 2 * layers, batch, hidden);
        var gc = ST.Uniform(gen, -1f, 1f, 2 * layers, batch, hidden);
        foreach (var t in new[] { x, h0, c0 }) t.RequiresGrad = true;
        var result = ours.Run(x, h0, lstm ? c0 : null, packed ? lengths : null);
        var loss = F.Add(F.Sum(F.Mul(result.Output, gy)), F.Sum(F.Mul(result.Hidden, gh)));
        if (lstm) loss = F.Add(loss, F.Sum(F.Mul(result.Cell!, gc)));
        loss.Backward();

        using var scope = torch.NewDisposeScope();
        var dtype = torch.ScalarType.Float64;
        torch.nn.Module theirs = kind switch
        {
            "lstm" => torch.nn.LSTM(input, hidden, layers, batchFirst: true, bidirectional: true, dtype: dtype),
            "gru" => torch.nn.GRU(input, hidden, layers, batchFirst: true, bidirectional: true, dtype: dtype),
            _ => torch.nn.RNN(input, hidden, layers, kind == "rnn-relu" ? torch.nn.NonLinearities.ReLU : torch.nn.NonLinearities.Tanh, batchFirst: true, bidirectional: true, dtype: dtype),
        };
        ModelOracle.CopyState(ours, theirs);
        var tx = TorchInterop.ToTensor(x.ToArray(), [batch, steps, input], requiresGrad: true);
        var th = TorchInterop.ToTensor(h0.ToArray(), [2 * layers, batch, hidden], requiresGrad: true);
        var tc = TorchInterop.ToTensor(c0.ToArray(), [2 * layers, batch, hidden], requiresGrad: true);
        TT y, hn, cn = null!;
        if (!packed)
        {
            (y, hn, cn) = Forward(theirs, tx, th, tc);
        }
        else
        {
            using var lens = torch.tensor(lengths.Select(l => (long)l).ToArray());
            var seq = torch.nn.utils.rnn.pack_padded_sequence(tx, lens, batch_first: true, enforce_sorted: false);
            var (py, phn, pcn) = ForwardPacked(theirs, seq, th, tc);
            (y, _) = torch.nn.utils.rnn.pad_packed_sequence(py, batch_first: true, total_length: steps);
            (hn, cn) = (phn, pcn);
        }
        var tloss = (y * TorchInterop.ToTensor(gy.ToArray(), [batch, steps, 2 * hidden])).sum() + (hn * TorchInterop.ToTensor(gh.ToArray(), [2 * layers, batch, hidden])).sum();
        if (lstm) tloss = tloss + (cn * TorchInterop.ToTensor(gc.ToArray(), [2 * layers, batch, hidden])).sum();
        tloss.backward();

        double tol = 1e-5;
        OracleAssert.Close(TorchInterop.ToArray(y), result.Output.ToArray(), tol, $"{kind} output");
        OracleAssert.Close(TorchInterop.ToArray(hn), result.Hidden.ToArray(), tol, $"{kind} h_n");
        if (lstm) OracleAssert.Close(TorchInterop.ToArray(cn), result.Cell!.ToArray(), tol, $"{kind} c_n");
        OracleAssert.Close(TorchInterop.ToArray(tx.grad!), x.Grad!.ToArray(), tol, $"{kind} input gradient");
        OracleAssert.Close(TorchInterop.ToArray(th.grad!), h0.Grad!.ToArray(), tol, $"{kind} h0 gradient");
        if (lstm) OracleAssert.Close(TorchInterop.ToArray(tc.grad!), c0.Grad!.ToArray(), tol, $"{kind} c0 gradient");
        var theirParams = theirs.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in ours.NamedParameters())
            OracleAssert.Close(TorchInterop.ToArray(theirParams[name].grad!), p.Grad!.ToArray(), tol, $"{kind} gradient of {name}");
    }

    private static (TT Y, TT H, TT C) Forward(torch.nn.Module m, TT x, TT h, TT c) => m switch
    {
        TorchSharp.Modules.LSTM l => l.call(x, (h, c)),
        TorchSharp.Modules.GRU g => g.call(x, h) is var (gy, ghn) ? (gy, ghn, null!) : default,
        TorchSharp.Modules.RNN r => r.call(x, h) is var (ry, rhn) ? (ry, rhn, null!) : default,
        _ => throw new InvalidOperationException(m.GetType().Name),
    };

    private static (torch.nn.utils.rnn.PackedSequence Y, TT H, TT C) ForwardPacked(torch.nn.Module m, torch.nn.utils.rnn.PackedSequence x, TT h, TT c) => m switch
    {
        TorchSharp.Modules.LSTM l => l.call(x, (h, c)),
        TorchSharp.Modules.GRU g => g.call(x, h) is var (gy, ghn) ? (gy, ghn, null!) : default,
        TorchSharp.Modules.RNN r => r.call(x, h) is var (ry, rhn) ? (ry, rhn, null!) : default,
        _ => throw new InvalidOperationException(m.GetType().Name),
    };
}
