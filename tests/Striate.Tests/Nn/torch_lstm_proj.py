# PyTorch's LSTM with a projection (proj_size), in float64: weights, inputs, outputs and every gradient saved as one
# .pth state dict for the C# test to read with Striate's own reader.
# Usage: python3 torch_lstm_proj.py OUT.pth
import sys

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(0)
lstm = nn.LSTM(4, 6, num_layers=2, batch_first=True, bidirectional=True, proj_size=3).double()
batch, steps = 3, 5
x = torch.randn(batch, steps, 4, dtype=torch.float64, requires_grad=True)
h0 = torch.randn(4, batch, 3, dtype=torch.float64, requires_grad=True)
c0 = torch.randn(4, batch, 6, dtype=torch.float64, requires_grad=True)
gy = torch.randn(batch, steps, 6, dtype=torch.float64)
gh = torch.randn(4, batch, 3, dtype=torch.float64)
gc = torch.randn(4, batch, 6, dtype=torch.float64)
lengths = torch.tensor([3, 5, 2])
packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
out, (hn, cn) = lstm(packed, (h0, c0))
y, _ = pad_packed_sequence(out, batch_first=True, total_length=steps)
((y * gy).sum() + (hn * gh).sum() + (cn * gc).sum()).backward()
state = {k: v.detach().clone() for k, v in lstm.state_dict().items()}
for name, p in lstm.named_parameters():
    state["grad." + name] = p.grad.clone()
for name, t in [("x", x), ("h0", h0), ("c0", c0)]:
    state["in." + name] = t.detach().clone()
    state["grad." + name] = t.grad.clone()
for name, t in [("gy", gy), ("gh", gh), ("gc", gc), ("y", y), ("hn", hn), ("cn", cn)]:
    state["out." + name] = t.detach().clone()
state["in.lengths"] = lengths.double()
torch.save(state, sys.argv[1])
print("saved", len(state), "tensors")
