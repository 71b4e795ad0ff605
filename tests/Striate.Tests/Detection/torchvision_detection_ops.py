"""torchvision 0.14's detection operations in float64, written as one state dict for DetectionOpsTorchTests.

Inputs are rounded to float32 first, so the reference computes on exactly the values Striate reads.
Usage: torchvision_detection_ops.py OUT.pth
"""
import sys
from collections import OrderedDict

import torch
from torchvision.ops import batched_nms, box_iou, nms, roi_align, roi_pool
from torchvision.models.detection._utils import BoxCoder
from torchvision.models.detection.anchor_utils import AnchorGenerator

torch.manual_seed(0)
out = OrderedDict()


def f32(t):
    return t.float().double()


def boxes(n, size=40.0):
    """Random boxes, some crossing the border (negative or beyond size), some empty (x2 == x1 or y2 == y1)."""
    xy = torch.rand(n, 2, dtype=torch.float64) * size * 1.2 - size * 0.1
    wh = torch.rand(n, 2, dtype=torch.float64) * size * 0.5
    wh[::7, 0] = 0.0
    wh[3::11, 1] = 0.0
    return f32(torch.cat([xy, xy + wh], dim=1))


a, b = boxes(23), boxes(17)
out["iou.a"], out["iou.b"], out["iou.y"] = a, b, box_iou(a, b)

nb = boxes(60)
scores = f32(torch.randperm(60, dtype=torch.float64) / 60.0 + 0.001)
out["nms.boxes"], out["nms.scores"] = nb, scores
for t in (0.3, 0.5, 0.7):
    out[f"nms.keep_{int(t * 10)}"] = nms(nb, scores, t)
classes = torch.randint(0, 3, (60,))
out["nms.classes"] = classes
out["nms.batched_5"] = batched_nms(nb, scores, classes, 0.5)

x = f32(torch.randn(2, 3, 10, 12, dtype=torch.float64))
rois = []
for k in range(14):
    r = boxes(1, 14.0)[0] * (1.0 if k % 3 else 2.0)
    rois.append(torch.cat([torch.tensor([float(k % 2)], dtype=torch.float64), r]))
rois.append(torch.tensor([0.0, 5.0, 4.0, 3.0, 2.0], dtype=torch.float64))  # x2 < x1 and y2 < y1
rois.append(torch.tensor([1.0, -30.0, -30.0, -20.0, -25.0], dtype=torch.float64))  # wholly outside
rois = f32(torch.stack(rois))
out["roi.x"], out["roi.rois"] = x, rois
configs = [("a", (3, 4), 0.5, 2, False), ("b", (2, 2), 1.0, -1, True), ("c", (5, 5), 0.75, 0, False), ("d", (3, 3), 1.0, 0, True)]
for name, size, scale, ratio, aligned in configs:
    xi = x.clone().requires_grad_(True)
    y = roi_align(xi, rois, size, spatial_scale=scale, sampling_ratio=ratio, aligned=aligned)
    gy = f32(torch.randn_like(y))
    y.backward(gy)
    out[f"align.{name}.y"], out[f"align.{name}.gy"], out[f"align.{name}.gx"] = y.detach(), gy, xi.grad
for name, size, scale in [("a", (3, 3), 0.5), ("b", (2, 4), 1.0)]:
    xi = x.clone().requires_grad_(True)
    y = roi_pool(xi, rois, size, spatial_scale=scale)
    gy = f32(torch.randn_like(y))
    y.backward(gy)
    out[f"pool.{name}.y"], out[f"pool.{name}.gy"], out[f"pool.{name}.gx"] = y.detach(), gy, xi.grad

proposals = boxes(30, 100.0)
proposals[:, 2:] += 1.0  # no empty reference box
gt = boxes(30, 100.0)
gt[:, 2:] += 1.0
coder = BoxCoder(weights=(10.0, 10.0, 5.0, 5.0))
codes = coder.encode_single(gt, proposals)
out["coder.proposals"], out["coder.gt"], out["coder.codes"] = proposals, gt, codes
rel = f32(torch.randn(30, 4, dtype=torch.float64) * 3)
out["coder.rel"], out["coder.decoded"] = rel, coder.decode_single(rel, proposals)

gen = AnchorGenerator(sizes=((32, 64, 128),), aspect_ratios=((0.5, 1.0, 2.0),))
gen.cell_anchors = [gen.generate_anchors(s, r, dtype=torch.float64) for s, r in zip(gen.sizes, gen.aspect_ratios)]
anchors = gen.grid_anchors([[8, 10]], [[torch.tensor(16), torch.tensor(16)]])[0]
out["anchors.y"] = anchors
gen45 = AnchorGenerator(sizes=((45, 91),), aspect_ratios=((1.0, 0.7),))
out["anchors.base45"] = gen45.generate_anchors((45, 91), (1.0, 0.7), dtype=torch.float64)

li = f32(torch.randn(40, dtype=torch.float64) * 0.3)
lt = f32(torch.randn(40, dtype=torch.float64) * 0.3)
out["sl1.input"], out["sl1.target"] = li, lt
for name, beta in [("b9", 1.0 / 9), ("b1", 1.0), ("b0", 0.0)]:
    xi = li.clone().requires_grad_(True)
    loss = torch.nn.functional.smooth_l1_loss(xi, lt, beta=beta, reduction="sum")
    loss.backward()
    out[f"sl1.{name}.loss"], out[f"sl1.{name}.grad"] = loss.detach().reshape(1), xi.grad
    out[f"sl1.{name}.none"] = torch.nn.functional.smooth_l1_loss(li, lt, beta=beta, reduction="none")

torch.save(out, sys.argv[1])
