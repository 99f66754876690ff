import json

from revive_train.onnx_export import update_manifest


def test_a_re_export_keeps_the_manifest_order_and_a_new_model_joins_its_kind(tmp_path):
    p = tmp_path / "manifest.json"
    models = [{"id": "diffusion-cpu", "kind": "diffusion"}, {"id": "restore-b", "kind": "restore"},
              {"id": "restore-a", "kind": "restore"}, {"id": "tone-v1", "kind": "tone"}]
    p.write_text(json.dumps({"version": 1, "models": models, "default_restore": "restore-b"}))
    update_manifest({"id": "restore-b", "kind": "restore", "v": 2}, None, p)
    m = json.loads(p.read_text())
    assert [x["id"] for x in m["models"]] == ["diffusion-cpu", "restore-b", "restore-a", "tone-v1"]
    assert m["models"][1]["v"] == 2 and m["default_restore"] == "restore-b"
    update_manifest({"id": "restore-c", "kind": "restore"}, "default_restore", p)
    m = json.loads(p.read_text())
    assert [x["id"] for x in m["models"]] == ["diffusion-cpu", "restore-b", "restore-a", "restore-c", "tone-v1"]
    assert m["default_restore"] == "restore-c"
    update_manifest({"id": "scratch-v1", "kind": "scratch"}, None, p)
    assert json.loads(p.read_text())["models"][-1]["id"] == "scratch-v1"
