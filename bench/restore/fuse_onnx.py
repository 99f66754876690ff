"""Exact graph rewrites of an exported NAFNet-style restorer (models/restore-*.onnx) that leave fewer memory-bound
operators for onnxruntime's CPU provider; the arithmetic is the same up to float rounding.

1. LayerNorm affine into the next 1x1 conv: LN(x) * g + b -> conv(W, c) becomes conv(W * g, c + W b) on LN(x).
2. Residual scale into the conv before it: conv(W, c) * beta becomes conv(W * beta, c * beta).
3. SimpleGate without Slice: conv1x1 (C -> 2C) [-> depthwise conv (2C)] -> split halves -> multiply becomes two
   half-size convs (and two half-size depthwise convs: a depthwise conv's output channel k reads input channel k only)
   whose outputs are multiplied: the same MACs, no copies of the halves.

Usage: /usr/bin/python3 bench/restore/fuse_onnx.py models/restore-naf32-v2.onnx bench/.tmp/restore/fused.onnx
4. (--mean-conv) the LayerNorm's channel means as 1x1 convs with weights 1/C instead of ReduceMean.

Prints how many of each rewrite it made. The fused graph (with --mean-conv) is the base of the shipped int8 copies
(int8_quality.py --install; docs/BENCHMARKS.md, "CPU: int8 copies of the restore models").
"""

import sys
from collections import defaultdict

import numpy as np
import onnx
from onnx import helper, numpy_helper


class Graph:
    def __init__(self, model):
        self.model = model
        self.g = model.graph
        self.inits = {i.name: i for i in self.g.initializer}
        self.counter = 0

    def consumers(self):
        out = defaultdict(list)
        for n in self.g.node:
            for i in n.input:
                out[i].append(n)
        return out

    def producer(self):
        return {o: n for n in self.g.node for o in n.output}

    def const(self, name):
        """numpy value of an initializer or a Constant node's output, else None."""
        if name in self.inits:
            return numpy_helper.to_array(self.inits[name])
        n = self.producer().get(name)
        if n is not None and n.op_type == "Constant":
            return numpy_helper.to_array(n.attribute[0].t)
        return None

    def set_init(self, name, value):
        t = numpy_helper.from_array(value.astype(np.float32), name)
        if name in self.inits:
            self.inits[name].CopyFrom(t)
        else:
            self.g.initializer.append(t)
            self.inits[name] = self.g.initializer[-1]

    def fresh(self, base):
        self.counter += 1
        return f"{base}__fused{self.counter}"

    def attr(self, node, name, default=None):
        for a in node.attribute:
            if a.name == name:
                return helper.get_attribute_value(a)
        return default

    def is_conv1x1(self, n):
        return n.op_type == "Conv" and list(self.attr(n, "kernel_shape", [])) == [1, 1] and self.attr(n, "group", 1) == 1

    def rewire(self, old, new):
        for n in self.g.node:
            for k, i in enumerate(n.input):
                if i == old:
                    n.input[k] = new
        for o in self.g.output:
            if o.name == old:
                raise ValueError("cannot rewire a graph output")

    def toposort(self):
        have = {i.name for i in self.g.input} | set(self.inits)
        nodes, order = list(self.g.node), []
        while nodes:
            ready = [n for n in nodes if all(i == "" or i in have for i in n.input)]
            if not ready:
                raise ValueError("graph has a cycle or a missing input")
            for n in ready:
                order.append(n)
                have.update(n.output)
                nodes.remove(n)
        del self.g.node[:]
        self.g.node.extend(order)

    def prune(self):
        """Drops nodes whose outputs nobody uses, and unused initializers; keeps the nodes in topological order."""
        self.toposort()
        while True:
            used = {o.name for o in self.g.output}
            for n in self.g.node:
                used.update(n.input)
            dead = [n for n in self.g.node if not any(o in used for o in n.output)]
            if not dead:
                break
            for n in dead:
                self.g.node.remove(n)
        used = set()
        for n in self.g.node:
            used.update(n.input)
        for name in [i.name for i in self.g.initializer if i.name not in used]:
            self.g.initializer.remove(self.inits.pop(name))


def channel_vector(v, c):
    """A [1, C, 1, 1] (or [C, 1, 1] / [C]) per-channel constant as a [C] vector, else None."""
    if v is None:
        return None
    v = np.asarray(v, np.float32)
    if v.size == c and (v.ndim <= 1 or all(d == 1 for i, d in enumerate(v.shape) if i != v.ndim - 3)):
        return v.reshape(c)
    return None


def fold_affine_into_next_conv(G):
    n_done = 0
    for mul in list(G.g.node):
        if mul.op_type != "Mul":
            continue
        cons = G.consumers()
        add = cons[mul.output[0]]
        if len(add) != 1 or add[0].op_type != "Add":
            continue
        add = add[0]
        convs = cons[add.output[0]]
        if len(convs) != 1 or not G.is_conv1x1(convs[0]) or convs[0].input[0] != add.output[0]:
            continue
        conv = convs[0]
        w = G.const(conv.input[1])
        c_in = w.shape[1]
        x_name, g = mul.input[0], channel_vector(G.const(mul.input[1]), c_in)
        if g is None:
            x_name, g = mul.input[1], channel_vector(G.const(mul.input[0]), c_in)
        other = add.input[1] if add.input[0] == mul.output[0] else add.input[0]
        b = channel_vector(G.const(other), c_in)
        if g is None or b is None:
            continue
        bias = G.const(conv.input[2]) if len(conv.input) > 2 else np.zeros(w.shape[0], np.float32)
        w2 = w * g.reshape(1, -1, 1, 1)
        b2 = bias + (w[:, :, 0, 0] @ b)
        wn, bn = G.fresh(conv.input[1]), G.fresh("bias")
        G.set_init(wn, w2)
        G.set_init(bn, b2)
        conv.input[0] = x_name
        conv.input[1] = wn
        if len(conv.input) > 2:
            conv.input[2] = bn
        else:
            conv.input.append(bn)
        n_done += 1
    G.prune()
    return n_done


def fold_scale_into_prev_conv(G):
    n_done = 0
    for mul in list(G.g.node):
        if mul.op_type != "Mul":
            continue
        prod = G.producer()
        cons = G.consumers()
        for k in (0, 1):
            conv = prod.get(mul.input[k])
            if conv is None or conv.op_type != "Conv" or len(cons[conv.output[0]]) != 1:
                continue
            w = G.const(conv.input[1])
            if w is None:
                continue
            s = channel_vector(G.const(mul.input[1 - k]), w.shape[0])
            if s is None:
                continue
            bias = G.const(conv.input[2]) if len(conv.input) > 2 else np.zeros(w.shape[0], np.float32)
            wn, bn = G.fresh(conv.input[1]), G.fresh("bias")
            G.set_init(wn, w * s.reshape(-1, 1, 1, 1))
            G.set_init(bn, bias * s)
            conv.input[1] = wn
            if len(conv.input) > 2:
                conv.input[2] = bn
            else:
                conv.input.append(bn)
            G.rewire(mul.output[0], conv.output[0])
            n_done += 1
            break
    G.prune()
    return n_done


def halves_of(G, t, cons):
    """The two Slice nodes that cut tensor t into its channel halves (first, second), else None."""
    sl = [n for n in cons[t] if n.op_type == "Slice"]
    others = [n for n in cons[t] if n.op_type not in ("Slice", "Shape")]
    if len(sl) != 2 or others:
        return None
    return sl  # order checked by the caller through the Mul


def split_gate(G):
    """conv1x1(C->2C) [-> depthwise] -> Slice x2 -> Mul  =>  two half convs [-> two half depthwise] -> Mul."""
    n_done = 0
    for mul in list(G.g.node):
        if mul.op_type != "Mul":
            continue
        prod = G.producer()
        cons = G.consumers()
        a, b = (prod.get(i) for i in mul.input)
        if a is None or b is None or a.op_type != "Slice" or b.op_type != "Slice" or a.input[0] != b.input[0]:
            continue
        src = a.input[0]
        if any(len(n.input) < 4 or list(np.ravel(G.const(n.input[3]))) != [1] for n in (a, b)):
            continue  # not a split along the channels
        if any(n.op_type not in ("Slice", "Shape") for n in cons[src]):
            continue
        chain = []
        node = prod.get(src)
        if node is not None and node.op_type == "Conv" and not G.is_conv1x1(node):
            dw = node
            w = G.const(dw.input[1])
            if w is None or G.attr(dw, "group", 1) != w.shape[0] or w.shape[1] != 1 or len(cons[dw.input[0]]) != 1:
                continue
            chain.append(dw)
            node = prod.get(dw.input[0])
        if node is None or not G.is_conv1x1(node) or (chain and len(cons[node.output[0]]) != 1):
            continue
        chain.append(node)  # chain = [depthwise?, 1x1], last is the 1x1
        c2 = G.const(node.input[1]).shape[0]
        if c2 % 2:
            continue
        c = c2 // 2
        # which Slice is the first half? Check its starts (a constant or computed 0) by running the split on the
        # shapes is not possible here; NAFNet's SimpleGate is x1 * x2 with x1 = first half, and the product is
        # symmetric, so the order of the halves does not matter.
        x = node.input[0]
        outs = []
        for h in (0, 1):
            sel = slice(h * c, (h + 1) * c)
            t = x
            for conv in reversed(chain):
                w = G.const(conv.input[1])[sel]
                bias = G.const(conv.input[2])[sel] if len(conv.input) > 2 else np.zeros(c, np.float32)
                wn, bn, on = G.fresh(conv.input[1]), G.fresh("bias"), G.fresh(conv.output[0])
                G.set_init(wn, w)
                G.set_init(bn, bias)
                attrs = {a.name: helper.get_attribute_value(a) for a in conv.attribute}
                if conv is not node:
                    attrs["group"] = c
                G.g.node.append(helper.make_node("Conv", [t, wn, bn], [on], name=G.fresh(conv.name), **attrs))
                t = on
            outs.append(t)
        mul.input[0], mul.input[1] = outs
        n_done += 1
    G.prune()
    return n_done


def layernorm_op(G):
    """(experiment, --ln-op) the channel LayerNorm's 7 elementwise/reduce nodes -> Transpose to NHWC,
    LayerNormalization over the last axis (one fused kernel), Transpose back."""
    n_done = 0
    for rm in list(G.g.node):
        if rm.op_type != "ReduceMean" or list(G.attr(rm, "axes", [])) != [1]:
            continue
        prod, cons = G.producer(), G.consumers()
        x = rm.input[0]
        sub = [n for n in cons[rm.output[0]] if n.op_type == "Sub"]
        if len(sub) != 1:
            continue
        sub = sub[0]
        div = [n for n in cons[sub.output[0]] if n.op_type == "Div"]
        if len(div) != 1:
            continue
        div = div[0]
        add = prod[prod[div.input[1]].input[0]]  # Div(Sub, Sqrt(Add(ReduceMean(Sub^2), eps)))
        eps = float(np.ravel(G.const(add.input[1]))[0])
        w = None
        for c in cons[div.output[0]]:
            if c.op_type == "Conv":
                w = G.const(c.input[1])
        if w is None:
            continue
        ch = w.shape[1]
        ones, zeros = G.fresh("ln_scale"), G.fresh("ln_bias")
        G.set_init(ones, np.ones(ch, np.float32))
        G.set_init(zeros, np.zeros(ch, np.float32))
        t1, t2 = G.fresh("nhwc"), G.fresh("ln")
        G.g.node.append(helper.make_node("Transpose", [x], [t1], perm=[0, 2, 3, 1], name=G.fresh("ln_t1")))
        G.g.node.append(helper.make_node("LayerNormalization", [t1, ones, zeros], [t2], axis=-1, epsilon=eps, name=G.fresh("ln")))
        G.g.node.append(helper.make_node("Transpose", [t2], [div.output[0] + "_ln"], perm=[0, 3, 1, 2], name=G.fresh("ln_t2")))
        G.rewire(div.output[0], div.output[0] + "_ln")
        n_done += 1
    G.prune()
    return n_done


def reducemean_conv(G):
    """(--mean-conv) a channel mean, ReduceMean(axes=[1], keepdims=1) of an NCHW tensor with C channels, as a 1x1
    Conv with one output channel and weights 1/C: the same sum in another order, run by the conv kernels (and their
    NCHWc layout) instead of a strided reduction."""
    inferred = onnx.shape_inference.infer_shapes(G.model)
    chans = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input):
        d = vi.type.tensor_type.shape.dim
        if len(d) == 4 and d[1].HasField("dim_value"):
            chans[vi.name] = d[1].dim_value
    n_done = 0
    for i, rm in enumerate(list(G.g.node)):
        if rm.op_type != "ReduceMean" or list(G.attr(rm, "axes", [])) != [1] or G.attr(rm, "keepdims", 1) != 1:
            continue
        c = chans.get(rm.input[0])
        if not c:
            continue
        w = G.fresh("mean_w")
        G.set_init(w, np.full((1, c, 1, 1), 1.0 / c, np.float32))
        conv = helper.make_node("Conv", [rm.input[0], w], list(rm.output), kernel_shape=[1, 1], name=G.fresh("mean_conv"))
        G.g.node.remove(rm)
        G.g.node.append(conv)
        n_done += 1
    G.toposort()
    return n_done


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    src, dst = args[0], args[1]
    model = onnx.load(src)
    G = Graph(model)
    before = len(model.graph.node)
    done = {
        "layernorm affine -> next conv": fold_affine_into_next_conv(G),
        "residual scale -> previous conv": fold_scale_into_prev_conv(G),
        "simple gate split": split_gate(G),
    }
    if "--mean-conv" in sys.argv:
        done["channel mean -> 1x1 conv"] = reducemean_conv(G)
    if "--ln-op" in sys.argv:
        done["layernorm -> LayerNormalization (NHWC)"] = layernorm_op(G)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print({**done, "nodes": f"{before} -> {len(model.graph.node)}"})


if __name__ == "__main__":
    main()
