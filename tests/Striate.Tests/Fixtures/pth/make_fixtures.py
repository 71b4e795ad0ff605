# Writes the small .pth fixtures of tests/Striate.Tests/Serialization/PthFileTests.cs with Debian's python3-torch
# 1.13.1, and expected.json: every tensor each file should give (dtype, shape, values in row-major order).
# Usage: python3 make_fixtures.py [OUT]   (OUT defaults to this folder)
import json
import os
import sys

import torch
import torch.nn as nn

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
expected = {}


def record(name, state):
    expected[name] = {
        k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
            "values": [float(x) for x in v.detach().to(torch.float64).reshape(-1).tolist()]}
        for k, v in state.items()
    }


def save(name, obj, state, legacy=False):
    torch.save(obj, os.path.join(out, name), _use_new_zipfile_serialization=not legacy)
    record(name, state)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.bn1 = nn.BatchNorm2d(2)
        self.fc = nn.Linear(8, 3)


net = LeNet()
net.bn1.running_mean.uniform_(-1, 1)
net.bn1.num_batches_tracked += 7
sd = net.state_dict()
save("lenet_zip.pth", sd, sd)
save("lenet_legacy.pth", sd, sd, legacy=True)

# The hard cases: a transposed (non-contiguous) tensor, a slice that starts inside a larger storage, two tensors on
# one storage, and every element type a state dict carries.
big = torch.arange(24, dtype=torch.float32).reshape(4, 6)
hard = {
    "transposed": big.t(),
    "slice": big[1:3, 2:5],
    "shared_a": big[0],
    "shared_b": big[3],
    "half": torch.randn(2, 3).half(),
    "bfloat16": torch.randn(5).bfloat16(),
    "double": torch.randn(3, dtype=torch.float64),
    "long": torch.tensor([-3, 0, 2**40], dtype=torch.int64),
    "scalar": torch.tensor(2.5),
}
save("hard_zip.pth", hard, hard)
save("hard_legacy.pth", hard, hard, legacy=True)

# A checkpoint that nests the state dict beside other entries, with DataParallel's prefix.
nested = {"epoch": 3, "best_acc": 0.91, "state_dict": {"module." + k: v for k, v in sd.items()}, "arch": "lenet"}
save("checkpoint_nested.pth", nested, sd)

# A whole model, which unpickling would run as code: refused.
torch.save(nn.Sequential(nn.Linear(2, 2)), os.path.join(out, "whole_model.pth"))

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=0, sort_keys=True)
print("wrote", sorted(expected), "and whole_model.pth to", out)
