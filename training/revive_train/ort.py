"""Every onnxruntime-node run of the training scripts, in one place: the runtime the app ships, driven through the
small Node scripts in training/scripts (ort_run.cjs: one run by input name; ort_batch.cjs: one model over many
inputs; ort_time.cjs: time one evaluation; ort_speed.cjs: throughput of restoration models on one image)."""
import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch

from .paths import ROOT, SCRIPTS


def _node(script: str, *args) -> str:
    r = subprocess.run(["node", str(SCRIPTS / script), *map(str, args)], check=True, capture_output=True, text=True,
                       cwd=str(ROOT))
    return r.stdout


def run_ort_node(onnx_path: Path, inputs: dict) -> dict:
    """Run the model through onnxruntime-node; inputs/outputs are float32 numpy arrays by name."""
    with tempfile.TemporaryDirectory() as d:
        spec = {"model": str(onnx_path), "outDir": d, "inputs": {}}
        for name, a in inputs.items():
            f = os.path.join(d, f"in_{name}.bin")
            np.ascontiguousarray(a, dtype="<f4").tofile(f)
            spec["inputs"][name] = {"file": f, "shape": list(a.shape)}
        with open(os.path.join(d, "spec.json"), "w") as fh:
            json.dump(spec, fh)
        _node("ort_run.cjs", os.path.join(d, "spec.json"))
        out = {}
        for f in Path(d).glob("*.json"):
            if f.name == "spec.json":
                continue
            shape = json.loads(f.read_text())
            out[f.stem] = np.fromfile(f.with_suffix(".bin"), dtype="<f4").reshape(shape)
        return out


def ort_batch(model: Path, images: list) -> tuple:
    """Run the ONNX model over [3,H,W] tensors with onnxruntime-node (one session); returns (outputs, seconds)."""
    with tempfile.TemporaryDirectory() as d:
        items = []
        for i, x in enumerate(images):
            f = Path(d) / f"in{i}.bin"
            x[None].numpy().astype("<f4").tofile(f)
            items.append({"input": str(f), "shape": [1, *x.shape], "output": str(Path(d) / f"out{i}.bin")})
        spec = Path(d) / "spec.json"
        spec.write_text(json.dumps({"model": str(model), "items": items}))
        stdout = _node("ort_batch.cjs", spec)
        outs = [torch.from_numpy(np.fromfile(it["output"], dtype="<f4").reshape(x.shape)) for it, x in
                zip(items, images)]
        return outs, json.loads(stdout.strip().splitlines()[-1])["seconds"]


def ort_time(onnx_path: Path, feeds: dict, reps: int = 5) -> dict:
    """{median_ms, min_ms, reps} of one evaluation with inputs of these shapes ({"name": [dims]})."""
    return json.loads(_node("ort_time.cjs", onnx_path, json.dumps(feeds), reps))


def ort_speed(*models: str, reps: int = 5) -> list:
    """Throughput of restoration models ("file.onnx[:size multiple]") on one 481x321 image, measured in one run."""
    return [json.loads(l) for l in _node("ort_speed.cjs", "--reps", reps, *models).strip().splitlines()]
