import shutil
import sys
from pathlib import Path

import onnx
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from export_restorer import export, parity
from revive_train.onnx_export import ROOT
from revive_train.restorer import Restorer

pytestmark = pytest.mark.skipif(shutil.which("node") is None or not (ROOT / "node_modules" / "onnxruntime-node").exists(),
                                reason="node / onnxruntime-node missing")


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
