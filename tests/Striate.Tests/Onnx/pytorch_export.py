# Exports PyTorch models (torchvision's and small modules of functional operators) to ONNX with torch.onnx.export,
# each with a recorded input and PyTorch's output as TensorProto files: OUT/NAME/{model.onnx,input.pb,output.pb}.
# Usage: python3 pytorch_export.py OUT [NAME ...]
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from onnx import numpy_helper


class Functional(nn.Module):
    """Resizing, reductions and reshapes as PyTorch networks write them, with shapes read at run time."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.up = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        y = F.relu(self.conv(x))
        a = F.interpolate(y, scale_factor=2.0, mode="nearest")
        b = F.interpolate(y, size=(y.shape[2] * 2, y.shape[3] * 2), mode="bilinear", align_corners=False)
        c = F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=True)
        d = F.interpolate(y, size=(11, 13), mode="bicubic", align_corners=False)
        z = self.up(a + b + c)
        z = F.pixel_shuffle(z, 2)
        m = torch.amax(z, dim=(2, 3)) + z.mean(dim=(2, 3)) + d.sum(dim=(2, 3)).repeat(1, 1)[:, :2]
        flat = z.view(z.size(0), -1)
        n = F.normalize(flat[:, :64], dim=1)
        return torch.cat([m, n, F.softplus(flat[:, :8]), torch.flatten(F.adaptive_avg_pool2d(y, (2, 2)), 1)], dim=1)


class Recurrent(nn.Module):
    """Two bidirectional LSTM layers, a GRU and a ReLU RNN over a batch-first sequence, read at its last step."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 8, num_layers=2, batch_first=True, bidirectional=True)
        self.gru = nn.GRU(16, 5, batch_first=True)
        self.rnn = nn.RNN(5, 4, nonlinearity="relu", batch_first=True)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        y, _ = self.lstm(x)
        y, h = self.gru(y)
        y, _ = self.rnn(y)
        return torch.cat([self.fc(y[:, -1]), h[0]], dim=1)


def seeded(model):
    torch.manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    return model.eval()


MODELS = {
    # name: (constructor, input shape, opset)
    "resnet18": (lambda: torchvision.models.resnet18(num_classes=10), (2, 3, 64, 64), 13),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(num_classes=10), (2, 3, 64, 64), 11),
    "shufflenet_v2": (lambda: torchvision.models.shufflenet_v2_x0_5(num_classes=10), (2, 3, 64, 64), 13),
    "squeezenet": (lambda: torchvision.models.squeezenet1_1(num_classes=10), (2, 3, 64, 64), 9),
    "efficientnet_b0": (lambda: torchvision.models.efficientnet_b0(num_classes=10), (2, 3, 64, 64), 13),
    "lraspp_mobilenet_v3": (lambda: torchvision.models.segmentation.lraspp_mobilenet_v3_large(num_classes=4, weights_backbone=None), (2, 3, 64, 64), 14),
    "functional_opset11": (Functional, (2, 3, 10, 12), 11),
    "functional_opset17": (Functional, (2, 3, 10, 12), 17),
    "recurrent": (Recurrent, (2, 7, 6), 14),
}


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    for name in names:
        make, shape, opset = MODELS[name]
        torch.manual_seed(0)
        model = seeded(make())
        x = torch.randn(*shape)
        with torch.no_grad():
            y = model(x)
            if isinstance(y, dict):
                y = y["out"]
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)

        class Out(nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, t):
                r = self.inner(t)
                return r["out"] if isinstance(r, dict) else r

        torch.onnx.export(Out(model), x, os.path.join(folder, "model.onnx"), opset_version=opset, input_names=["input"],
                          output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        with open(os.path.join(folder, "input.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x.numpy(), "input").SerializeToString())
        with open(os.path.join(folder, "output.pb"), "wb") as f:
            f.write(numpy_helper.from_array(y.numpy(), "output").SerializeToString())
        print("exported", name, tuple(y.shape))


if __name__ == "__main__":
    main()
