# Saves torchvision networks' state dicts (random weights and batch-norm statistics) as PyTorch writes them, in the
# zip and the legacy format (VGG-11 in the zip format only), with each network's logits on a fixed input computed by PyTorch in float64:
# OUT/NAME.pth, OUT/NAME.legacy.pth, OUT/NAME.input.bin and OUT/NAME.logits.bin (float64, little-endian), and
# OUT/NAME.shape (the input's C H W). Usage: python3 torchvision_state_dicts.py OUT [NAME ...] (default: all)
import os
import sys

import torch
import torchvision

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
MODELS = {
    # name: (constructor, input C, H, W)
    "resnet18": (lambda: torchvision.models.resnet18(num_classes=10), (3, 64, 64)),
    "googlenet": (lambda: torchvision.models.googlenet(num_classes=10, aux_logits=True, init_weights=True, transform_input=False), (3, 64, 64)),
    "densenet121": (lambda: torchvision.models.densenet121(num_classes=10), (3, 64, 64)),
    "vgg11_bn": (lambda: torchvision.models.vgg11_bn(num_classes=10), (3, 32, 32)),
}
for name in sys.argv[2:] or list(MODELS):
    make, shape = MODELS[name]
    torch.manual_seed(0)
    model = make()
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.num_batches_tracked.fill_(5)
    model.eval()
    sd = model.state_dict()
    torch.save(sd, os.path.join(out, name + ".pth"))
    if name != "vgg11_bn":  # 530 MB: the zip format only
        torch.save(sd, os.path.join(out, name + ".legacy.pth"), _use_new_zipfile_serialization=False)
    x = torch.randn(2, *shape, dtype=torch.float64)
    with torch.no_grad():
        y = model.double()(x)
    x.numpy().tofile(os.path.join(out, name + ".input.bin"))
    y.numpy().tofile(os.path.join(out, name + ".logits.bin"))
    with open(os.path.join(out, name + ".shape"), "w") as f:
        f.write(" ".join(map(str, shape)))
    print("saved", name)
