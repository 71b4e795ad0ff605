using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Onnx;
using Striate.Tests.Support;

namespace Striate.Tests.Nn;

/// <summary>
/// PyTorch's own LSTM with a projection (proj_size, which TorchSharp does not expose), computed in float64 by Debian's
/// python3-torch at test time and saved as a .pth file that Striate's reader loads: two bidirectional batch-first
/// layers over sequences of lengths 3, 5 and 2 (pack_padded_sequence, unsorted), forward and every gradient.
/// </summary>
public class RecurrentTorchTests
{
    [PyTorchFact]
    public void AnLstmWithAProjectionMatchesPyTorch()
    {
        string path = Path.Combine(Repo.TempDir(), "lstm_proj.pth");
        PythonScript.Run(Path.Combine("Nn", "torch_lstm_proj.py"), path);
        var state = StateDictFile.Read(path).ToDictionary(kv => kv.Key, kv => kv.Value);
        var lstm = new LSTM(4, 6, numLayers: 2, batchFirst: true, bidirectional: true, projSize: 3);
        var result = lstm.LoadStateDict(state.Where(kv => !kv.Key.Contains('.')), strict: true);
        Assert.Empty(result.MissingKeys);
        Tensor Leaf(string key)
        {
            var t = Tensor.FromArray(state[key].ToArray(), state[key].Shape.ToArray());
            t.RequiresGrad = true;
            return t;
        }
        var x = Leaf("in.x");
        var h0 = Leaf("in.h0");
        var c0 = Leaf("in.c0");
        int[] lengths = [.. state["in.lengths"].ToArray().Select(v => (int)v)];
        var run = lstm.Run(x, h0, c0, lengths);
        F.Add(F.Add(F.Sum(F.Mul(run.Output, state["out.gy"])), F.Sum(F.Mul(run.Hidden, state["out.gh"]))), F.Sum(F.Mul(run.Cell!, state["out.gc"]))).Backward();

        void Same(string key, Tensor actual, string what)
        {
            var expected = state[key].ToArray();
            Assert.Equal(state[key].Shape.ToArray(), actual.Shape.ToArray());
            Check.Close(expected, actual.Data, 1e-5, 1e-5, what);
        }
        Same("out.y", run.Output, "output");
        Same("out.hn", run.Hidden, "h_n (projected)");
        Same("out.cn", run.Cell!, "c_n");
        Same("grad.x", x.Grad!, "input gradient");
        Same("grad.h0", h0.Grad!, "h0 gradient");
        Same("grad.c0", c0.Grad!, "c0 gradient");
        int checkedParameters = 0;
        foreach (var (name, p) in lstm.NamedParameters())
        {
            Same("grad." + name, p.Grad!, $"gradient of {name}");
            checkedParameters++;
        }
        Assert.Equal(20, checkedParameters); // 2 layers x 2 directions x (W_ih, W_hh, b_ih, b_hh, W_hr)
    }
}
