import sys
from pathlib import Path

import onnx
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from revive_train.onnx_export import export_restorer as export, restorer_parity as parity
from revive_train.restorer import Restorer

# node and onnxruntime-node (npm ci) are part of the test set-up: without them these tests fail, they are not skipped


def test_onnx_parity_and_dynamic_size(tmp_path):
    torch.manual_seed(0)
    net = Restorer(width=8, enc_blocks=(1, 1, 1), mid_blocks=1, dec_blocks=(1, 1, 1))
    for p in net.parameters():
        p.data.normal_(0, 0.1)
    path = export(net.eval(), tmp_path / "r.onnx")
    m = onnx.load(str(path))
    assert m.opset_import[0].version == 17
    assert [i.name for i in m.graph.input] == ["input"] and [o.name for o in m.graph.output] == ["output"]
    dims = m.graph.input[0].type.tensor_type.shape.dim
    assert dims[2].dim_param and dims[3].dim_param  # dynamic H and W
    for s, hw in enumerate([(48, 80), (96, 32)]):
        assert parity(net, path, *hw, seed=s) < 1e-4


def test_store_fp16_halves_the_file_and_computes_the_same(tmp_path):
    """float16-rounded weights stored as float16 + Cast: the same outputs as the float32 file, fewer bytes; weights
    that are not float16 numbers stay float32 (converting them would change the function)."""
    from revive_train.onnx_export import export_onnx, run_ort_node, store_fp16

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(64, 3, 3, padding=1))
    rounded = {k: (v.half().float() if k.startswith("0.") else v) for k, v in net.state_dict().items()}
    net.load_state_dict(rounded)  # the first conv is float16-rounded, the second is not
    path = export_onnx(net.eval(), (torch.rand(1, 3, 16, 16),), tmp_path / "n.onnx", ["x"], ["y"])
    before = path.stat().st_size
    x = torch.rand(1, 3, 24, 40, generator=torch.Generator().manual_seed(1))
    ref = run_ort_node(path, {"x": x.numpy()})["y"]
    info = store_fp16(path)
    assert info == {"fp16_elements": 64 * 27, "fp32_elements_kept": 64 + 3 * 64 * 9 + 3, "casts": 1}
    assert path.stat().st_size < before - 64 * 27 * 2 + 200
    out = run_ort_node(path, {"x": x.numpy()})["y"]
    assert abs(out - ref).max() < 1e-6
    kinds = [i.data_type for i in onnx.load(str(path)).graph.initializer]
    assert kinds.count(onnx.TensorProto.FLOAT16) == 1
