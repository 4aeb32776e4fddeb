#!/usr/bin/python3
"""Random-weight CLIP towers shaped like OpenAI's ViT-B/32 export, for `facesift eval` tests
and the eval benchmark.

    clip_graphs.py OUT_DIR [--layers N] [--vocab V] [--seed S] [--only NAME,NAME]

Writes (all seeded, batch 1):
  OUT/image_op17.onnx  image tower: pixel_values [1,3,224,224] → image_embeds [1,512];
                       patch-32 Conv, class token, 50 positions, width 768, 12 heads,
                       LayerNormalization, QuickGELU/erf-GELU MLPs alternating, ln_post on the
                       class token, projection.
  OUT/image_op14.onnx  the same weights with LayerNorm written as ReduceMean/Sub/Pow/Sqrt/Div.
  OUT/text_op17.onnx   text tower: input_ids int64 [1,77] → text_embeds [1,512]; width 512,
                       8 heads, causal mask built with Range/Less/Where, pooled in the graph
                       at the end token (ArgMax of the ids), projection.
  OUT/text_op14.onnx   the same weights, constant causal mask, decomposed LayerNorm.
  OUT/text_nopool.onnx the same weights, projection applied to every position and NO pooling:
                       output [1,77,512] (facesift pools at argmax(ids) itself).
  OUT/text_mask.onnx   text_nopool with a second input attention_mask int64 [1,77] turned
                       into an additive key mask (Cast/Sub/Mul/Reshape/Add), as HF exports do.
  OUT/image.in0.npy, OUT/text.in0.npy   an input for each (random pixels in [-2, 2]; ids:
                       start, random tokens, end, zeros); OUT/text.in1.npy the matching
                       attention mask (1 up to the end token) for text_mask.
The layer builders come from tests/oracle/gen_graphs.py (the runtime's own CLIP-shaped test
graphs); only the sizes differ: --layers (default 12) blocks in each tower, --vocab
(default 49408) rows in the token table; the end token is vocab − 1; --only writes just the
named graphs (the benchmark's full-depth towers are 350 MB and 250 MB each).
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle"))
import gen_graphs as gg  # noqa: E402


def image_weights(rng, layers):
    W = gg.clip_image_weights(rng, width=768, patch=32, size=224, embed=512, blocks=layers)
    W["heads"] = 12
    return W


def text_weights(rng, layers, vocab):
    gg.VOCAB = vocab
    W = gg.clip_text_weights(rng, width=512, ctx=77, embed=512, blocks=layers)
    W["heads"] = 8
    return W


def build_text_nopool(W, with_mask=False):
    g = gg.Graph("clip_text_nopool")
    width, ctx = W["width"], W["ctx"]
    ids = g.input("input_ids", TensorProto.INT64, [1, ctx])
    y = g.op("Gather", [g.const(W["tok"], "token_embedding"), ids], axis=0)
    y = g.op("Add", [y, g.const(W["pos"], "positional_embedding")])
    m = np.triu(np.full((ctx, ctx), -1e9, dtype=np.float32), 1)
    mask = g.const(m, "causal_mask")
    if with_mask:
        # Hugging Face style: attention_mask [1,77] (1 = token, 0 = padding) -> additive
        # (1 - m) * -1e9 on the keys, added to the causal mask.
        am = g.input("attention_mask", TensorProto.INT64, [1, ctx])
        f = g.op("Cast", [am], to=TensorProto.FLOAT)
        add = g.op("Mul", [g.op("Sub", [g.f32(1.0, "one"), f]), g.f32(-1e9, "big")])
        mask = g.op("Add", [mask, g.op("Reshape", [add, g.i64([1, 1, 1, ctx])])])
    for i, bw in enumerate(W["blocks"]):
        y = gg.clip_block(g, y, bw, W["heads"], width, 14, mask, gg.quick_gelu if i % 2 == 0 else gg.gelu_erf)
    y = gg.layer_norm(g, y, *W["ln_final"], 14)
    out = g.op("MatMul", [y, g.const(W["proj"], "proj")])
    g.output(out, "last_hidden_projected", TensorProto.FLOAT, [1, ctx, W["embed"]])
    return g.model(14, ir_version=8)


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    out = argv[0]
    opt = lambda name, d: int(argv[argv.index(name) + 1]) if name in argv else d  # noqa: E731
    layers, vocab, seed = opt("--layers", 12), opt("--vocab", 49408), opt("--seed", 8)
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    Wi = image_weights(rng, layers)
    Wt = text_weights(rng, layers, vocab)
    models = {
        "image_op17": gg.build_clip_image(Wi, 17),
        "image_op14": gg.build_clip_image(Wi, 14),
        "text_op17": gg.build_clip_text(Wt, 17, 1),
        "text_op14": gg.build_clip_text(Wt, 14, 1),
        "text_nopool": build_text_nopool(Wt),
        "text_mask": build_text_nopool(Wt, with_mask=True),
    }
    only = argv[argv.index("--only") + 1].split(",") if "--only" in argv else list(models)
    for name, m in models.items():
        if name not in only:
            continue
        tmp = os.path.join(out, name + ".onnx.tmp")
        onnx.save(m, tmp)
        os.replace(tmp, os.path.join(out, name + ".onnx"))
    np.save(os.path.join(out, "image.in0.npy"), rng.uniform(-2, 2, (1, 3, 224, 224)).astype(np.float32))
    ids = np.zeros((1, 77), dtype=np.int64)
    n = 12
    ids[0, 0] = vocab - 2
    ids[0, 1:n + 1] = rng.integers(256, vocab - 2, n)
    ids[0, n + 1] = vocab - 1
    np.save(os.path.join(out, "text.in0.npy"), ids)
    np.save(os.path.join(out, "text.in1.npy"), (np.arange(77) <= n + 1).astype(np.int64)[None])
    print("clip_graphs: %d layers, vocabulary %d -> %s" % (layers, vocab, out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
