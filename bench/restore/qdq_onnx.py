"""int8 QDQ version of a restorer's ONNX graph, for onnxruntime's CPU provider (which turns
DequantizeLinear -> Conv -> QuantizeLinear into QLinearConv with u8s8 kernels, VNNI where the CPU has it).

Every Conv gets: its input quantised to uint8 (per tensor), its weights int8 per output channel (symmetric), its bias
int32 at scale s_in * s_w, and its output quantised to uint8 (per tensor); everything else stays float32.
Activation ranges come from --ranges (a JSON {tensor name: [min, max]} written by a calibration run), or, for a
speed-only experiment, from --fixed-range R ([-R, R] everywhere: the output is wrong, the timing is not).
onnxruntime's python package (with its quantize_static) is not installable here (no Debian package, no pip
network), so this is written against the onnx package only.

Usage: /usr/bin/python3 bench/restore/qdq_onnx.py IN.onnx OUT.onnx (--ranges R.json | --fixed-range 8)
       /usr/bin/python3 bench/restore/qdq_onnx.py IN.onnx OUT.onnx --calibration-model CAL.onnx
         (writes CAL.onnx: IN with every Conv input and output as an extra graph output, for the calibration run)
"""

import argparse
import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def conv_tensors(g):
    names = []
    for n in g.node:
        if n.op_type == "Conv":
            names += [n.input[0], n.output[0]]
    return list(dict.fromkeys(names))


def u8_params(lo, hi):
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = max(hi - lo, 1e-8) / 255.0
    zp = int(np.clip(round(-lo / scale), 0, 255))
    return np.float32(scale), np.uint8(zp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--ranges")
    ap.add_argument("--fixed-range", type=float)
    ap.add_argument("--calibration-model", action="store_true")
    ap.add_argument("--float-ends", action="store_true", help="keep the first and the last Conv in float32")
    ap.add_argument("--weight-bits", type=int, default=8, choices=[7, 8],
                    help="7: weights in [-63, 63] (onnxruntime's reduce_range), so the u8s8 kernels of x86 CPUs "
                         "without VNNI (VPMADDUBSW, 16-bit sums) cannot saturate")
    ap.add_argument("--range-kind", default="minmax", choices=["minmax", "quantile"],
                    help="from --ranges: min/max, or the 0.01 %% / 99.99 %% quantiles")
    a = ap.parse_args()
    model = onnx.load(a.src)
    g = model.graph
    if a.calibration_model:
        have = {o.name for o in g.output}
        for t in conv_tensors(g):
            if t not in have:
                g.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
        onnx.save(model, a.dst)
        print({"outputs": len(g.output)})
        return
    ranges = {}
    if a.ranges:
        for t, r in json.load(open(a.ranges)).items():
            ranges[t] = (r["min"], r["max"]) if a.range_kind == "minmax" else (r["q0001"], r["q9999"])
    inits = {i.name: i for i in g.initializer}
    new_inits, new_nodes = [], []
    qdq_of = {}  # float tensor -> its dequantised copy

    def qdq(t):
        if t in qdq_of:
            return qdq_of[t]
        lo, hi = ranges.get(t, (-a.fixed_range, a.fixed_range)) if a.fixed_range else ranges[t]
        s, z = u8_params(lo, hi)
        sn, zn = f"{t}__s", f"{t}__z"
        new_inits.extend([numpy_helper.from_array(np.array(s), sn), numpy_helper.from_array(np.array(z), zn)])
        q, d = f"{t}__q", f"{t}__dq"
        new_nodes.append(helper.make_node("QuantizeLinear", [t, sn, zn], [q], name=f"{t}__Q"))
        new_nodes.append(helper.make_node("DequantizeLinear", [q, sn, zn], [d], name=f"{t}__DQ"))
        qdq_of[t] = (d, float(s))
        return qdq_of[t]

    count = 0
    convs = [n for n in g.node if n.op_type == "Conv"]
    if a.float_ends:
        convs = convs[1:-1]
    # the channel means of fuse_onnx.py --mean-conv stay float: one of them averages squared deviations, whose range
    # no 8-bit scale covers well, and they are a sliver of the MACs
    convs = [n for n in convs if not n.name.startswith("mean_conv")]
    for conv in convs:
        x = conv.input[0]
        dx, sx = qdq(x)
        w = numpy_helper.to_array(inits[conv.input[1]]).astype(np.float32)
        qmax = 127 if a.weight_bits == 8 else 63
        sw = np.maximum(np.abs(w).reshape(w.shape[0], -1).max(1), 1e-8) / qmax
        wq = np.clip(np.round(w / sw.reshape(-1, 1, 1, 1)), -qmax, qmax).astype(np.int8)
        wn = conv.input[1] + "__i8"
        new_inits += [
            numpy_helper.from_array(wq, wn),
            numpy_helper.from_array(sw.astype(np.float32), wn + "_s"),
            numpy_helper.from_array(np.zeros(w.shape[0], np.int8), wn + "_z"),
        ]
        new_nodes.append(helper.make_node("DequantizeLinear", [wn, wn + "_s", wn + "_z"], [wn + "_dq"], axis=0, name=wn + "__DQ"))
        ins = [dx, wn + "_dq"]
        if len(conv.input) > 2:
            b = numpy_helper.to_array(inits[conv.input[2]]).astype(np.float64)
            sb = (sx * sw).astype(np.float32)
            bq = np.round(b / sb).astype(np.int32)
            bn = conv.input[2] + "__i32"
            new_inits += [
                numpy_helper.from_array(bq, bn),
                numpy_helper.from_array(sb, bn + "_s"),
                numpy_helper.from_array(np.zeros(w.shape[0], np.int32), bn + "_z"),
            ]
            new_nodes.append(helper.make_node("DequantizeLinear", [bn, bn + "_s", bn + "_z"], [bn + "_dq"], axis=0, name=bn + "__DQ"))
            ins.append(bn + "_dq")
        del conv.input[:]
        conv.input.extend(ins)
        # the output: Q -> DQ, and every consumer reads the dequantised copy
        y = conv.output[0]
        conv.output[0] = y + "__raw"
        lo, hi = (-a.fixed_range, a.fixed_range) if a.fixed_range else ranges[y]
        s, z = u8_params(lo, hi)
        new_inits += [numpy_helper.from_array(np.array(s), y + "__os"), numpy_helper.from_array(np.array(z), y + "__oz")]
        new_nodes.append(helper.make_node("QuantizeLinear", [y + "__raw", y + "__os", y + "__oz"], [y + "__oq"], name=y + "__OQ"))
        new_nodes.append(helper.make_node("DequantizeLinear", [y + "__oq", y + "__os", y + "__oz"], [y], name=y + "__ODQ"))
        count += 1
    g.initializer.extend(new_inits)
    g.node.extend(new_nodes)
    # topological order
    have = {i.name for i in g.input} | {i.name for i in g.initializer}
    nodes, order = list(g.node), []
    while nodes:
        ready = [n for n in nodes if all(i == "" or i in have for i in n.input)]
        if not ready:
            raise ValueError("cycle")
        for n in ready:
            order.append(n)
            have.update(n.output)
            nodes.remove(n)
    del g.node[:]
    g.node.extend(order)
    used = {i for n in g.node for i in n.input}
    for init in [i for i in g.initializer if i.name not in used]:
        g.initializer.remove(init)
    onnx.checker.check_model(model)
    onnx.save(model, a.dst)
    print({"convs quantised": count})


if __name__ == "__main__":
    main()
