#!/usr/bin/python3
"""Times the reference preprocessing (tools/reference/preprocess_ref.py: Pillow + torchvision) in-process,
so interpreter and torch import time are not counted, and saves its pixel_values for an exactness check.

Usage: time_reference.py IMAGE MAX_NUM RUNS OUT.npy   -> prints JSON {"ms": [...], "shape": [...]}
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "reference"))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision.transforms as T  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision.transforms.functional import InterpolationMode  # noqa: E402

import preprocess_ref  # noqa: E402

torch.set_num_threads(os.cpu_count() or 1)
transform = T.Compose([
    T.Lambda(lambda im: im.convert("RGB") if im.mode != "RGB" else im),
    T.Resize((448, 448), interpolation=InterpolationMode.BICUBIC),
    T.ToTensor(),
    T.Normalize(mean=preprocess_ref.IMAGENET_MEAN, std=preprocess_ref.IMAGENET_STD),
])


def load_image(path, max_num):
    image = Image.open(path).convert("RGB")
    tiles, _ = preprocess_ref.dynamic_preprocess(image, image_size=448, use_thumbnail=True, max_num=max_num)
    return torch.stack([transform(t) for t in tiles])


path, max_num, runs, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
times = []
pv = None
for _ in range(runs):
    t0 = time.perf_counter()
    pv = load_image(path, max_num)
    times.append((time.perf_counter() - t0) * 1000)
np.save(out, pv.numpy().astype(np.float32))
print(json.dumps({"ms": times, "shape": list(pv.shape)}))
