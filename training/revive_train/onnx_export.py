"""ONNX export (with float16 storage) and models/manifest.json updates; parity runs are in .ort."""
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch

from .ort import run_ort_node
from .paths import MODELS, ROOT  # noqa: F401


def onnx_state(path: Path, prefix: str) -> dict:
    """A shipped model's weights (float16 initializers stored as name__fp16) as a state dict under `prefix`."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(str(path))
    return {prefix + i.name.replace("__fp16", ""): torch.from_numpy(numpy_helper.to_array(i).astype(np.float32))
            for i in m.graph.initializer}


def export_onnx(model: torch.nn.Module, example: tuple, path: Path, input_names: list, output_names: list,
                opset: int = 17, dynamic: dict = None) -> Path:
    """Export with dynamic batch, height and width on every 4-D input/output (1-D inputs get dynamic batch), or
    with the given `dynamic` axes ({} = all fixed)."""
    dyn = {}
    for name, x in zip(input_names, example):
        dyn[name] = {0: "n", 2: "h", 3: "w"} if x.dim() == 4 else {0: "n"}
    for name in output_names:
        dyn[name] = {0: "n", 2: "h", 3: "w"}
    if dynamic is not None:
        dyn = dynamic
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".onnx.tmp")
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, example, str(tmp), input_names=input_names, output_names=output_names,
                          dynamic_axes=dyn, opset_version=opset, do_constant_folding=True)
    os.replace(tmp, path)
    return path


def store_fp16(path: Path, min_elements: int = 256) -> dict:
    """Stores every float32 initializer whose values are exactly float16 numbers as float16, followed by a Cast back
    to float32: the file halves, the graph computes exactly what it did (onnxruntime folds the Casts at load).
    Round the model's weights to float16 before exporting (see export_diffusion.py) so that they qualify; constants
    that are not float16 numbers (schedules, frequencies) stay float32. Returns counts and sizes."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    m = onnx.load(str(path))
    casts, converted, kept = [], 0, 0
    for init in list(m.graph.initializer):
        if init.data_type != TensorProto.FLOAT:
            continue
        a = numpy_helper.to_array(init)
        if a.size < min_elements or not np.array_equal(a.astype(np.float16).astype(np.float32), a):
            kept += a.size
            continue
        name = init.name
        half = numpy_helper.from_array(a.astype(np.float16), name + "__fp16")
        m.graph.initializer.remove(init)
        m.graph.initializer.append(half)
        casts.append(helper.make_node("Cast", [half.name], [name], to=TensorProto.FLOAT, name=name + "__cast"))
        converted += a.size
    for i, node in enumerate(casts):
        m.graph.node.insert(i, node)
    onnx.checker.check_model(m)
    tmp = Path(path).with_suffix(".onnx.tmp")
    onnx.save(m, str(tmp))
    os.replace(tmp, path)
    return {"fp16_elements": int(converted), "fp32_elements_kept": int(kept), "casts": len(casts)}


class Clipped(torch.nn.Module):
    """What ships: the restorer with its output clipped to the value range."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x).clamp(0.0, 1.0)


def export_restorer(net, path: Path) -> Path:
    """The shipped restorer: `net` with its output clipped to [0, 1], H and W dynamic."""
    return export_onnx(Clipped(net).eval(), (torch.rand(1, 3, 64, 64),), path, ["input"], ["output"], opset=17)


def restorer_parity(net, path: Path, h: int = 48, w: int = 80, seed: int = 0) -> float:
    """Max abs difference PyTorch vs onnxruntime-node on a seeded random image of h x w."""
    x = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        ref = Clipped(net).eval()(x).numpy()
    out = run_ort_node(Path(path), {"input": x.numpy()})["output"]
    return float(np.abs(out - ref).max())


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def update_manifest(entry: dict, default_key: str = None, manifest_path: Path = MODELS / "manifest.json") -> dict:
    """Replace the model with entry['id'] where it stands, or add it after the last model of its kind (the app lists
    models in manifest order, so a re-export must not reorder them); other entries are left as they are. Atomic write."""
    m = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"version": 1, "models": []}
    models = m.get("models", [])
    at = next((i for i, x in enumerate(models) if x["id"] == entry["id"]), None)
    if at is not None:
        models[at] = entry
    else:
        same = [i for i, x in enumerate(models) if x["kind"] == entry["kind"]]
        models.insert(same[-1] + 1 if same else len(models), entry)
    m["models"] = models
    if default_key:
        m[default_key] = entry["id"]
    tmp = manifest_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(m, indent=2) + "\n")
    os.replace(tmp, manifest_path)
    return m
