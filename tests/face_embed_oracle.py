#!/usr/bin/python3
"""face_embed_oracle.py — the recognizer's input as insightface builds it, vs facesift analyze.

    face_embed_oracle.py FACESIFT_BIN WORKDIR MODELS_DIR

For each face `facesift analyze` reports (its landmarks and raw embedding), this script
rebuilds the recognizer input independently — skimage SimilarityTransform.estimate from the
5 landmarks to the ArcFace template, cv2.warpAffine to 112x112 (bilinear, border 0), then the
normalisation REFERENCE.md gives for the model (MobileFaceNet: (v - 127.5) / 128, RGB, NHWC;
ArcFace: (v - 127.5) / 127.5, RGB, NCHW) — runs the same network with `facesift model run`,
and requires cosine >= 0.999 with facesift's embedding (the crops may differ by +-1 grey
level: norm_crop's own oracle is tests/image_oracle.py). The same input with the channels
swapped (BGR) is printed beside it, to show how far a wrong pre-processing lands.
Sets: the embedded default (MobileFaceNet) on the astronaut and Grace Hopper, and the
antelopev2 path on generated graphs (tests/face_scrfd_oracle.py's SCRFD + IResNet ArcFace).
"""
import json
import os
import subprocess
import sys

import cv2
import numpy as np
from PIL import Image
from skimage.transform import SimilarityTransform

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import face_scrfd_oracle as scrfd  # noqa: E402

TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                     [41.5493, 92.3655], [70.7299, 92.2041]], np.float32)


def crop(img, kps):
    t = SimilarityTransform()
    t.estimate(np.asarray(kps, np.float32), TEMPLATE)
    return cv2.warpAffine(img, t.params[0:2, :], (112, 112), borderValue=0.0)


def embed(fs, work, model, c, nchw, scale, tag):
    x = (c.astype(np.float32) - 127.5) * np.float32(scale)
    x = x.transpose(2, 0, 1)[None] if nchw else x[None]
    p = os.path.join(work, tag + ".npy")
    np.save(p, np.ascontiguousarray(x, np.float32))
    out = os.path.join(work, tag + ".out")
    os.makedirs(out, exist_ok=True)
    subprocess.run([fs, "model", "run", model, p, "-o", out, "--threads", "1"], check=True, stdout=subprocess.DEVNULL)
    return np.load(os.path.join(out, "0.npy")).reshape(-1)


def cos(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def check(fs, work, models_arg, model_file, nchw, scale, images, max_faces):
    ok = True
    for path in images:
        r = subprocess.run([fs, "analyze", path, "--models", models_arg, "--max-faces", str(max_faces)],
                           check=True, capture_output=True, text=True)
        d = json.loads(r.stdout)
        img = np.asarray(Image.open(path).convert("RGB"))
        if not d["faces"]:
            print("%s: no face found" % path)
            ok = False
        for i, f in enumerate(d["faces"]):
            c = crop(img, f["kps"])
            tag = "%s_%d" % (os.path.basename(path), i)
            e = embed(fs, work, model_file, c, nchw, scale, tag)
            e_bgr = embed(fs, work, model_file, c[:, :, ::-1], nchw, scale, tag + "_bgr")
            if len(e) != len(f["embedding"]):
                print("%s face %d: dimension %d vs %d" % (path, i, len(f["embedding"]), len(e)))
                ok = False
                continue
            cs, cb = cos(e, f["embedding"]), cos(e_bgr, f["embedding"])
            good = cs >= 0.999
            ok &= good
            print("%-44s face %d: cosine %.6f (with BGR input: %.4f) -> %s" % (
                models_arg.split(":")[0] + " " + os.path.basename(path), i, cs, cb, "ok" if good else "MISMATCH"))
    return ok


def main():
    fs, work, models = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(work, exist_ok=True)
    sk = "/usr/lib/python3/dist-packages/skimage/data"
    photos = [os.path.join(sk, "astronaut.png")]
    gh = os.path.join(os.path.dirname(HERE), "samples", "photos", "grace_hopper.jpg")
    if os.path.exists(gh):
        photos.append(gh)
    ok = check(fs, work, "mtcnn", os.path.join(models, "mobilefacenet", "MobileFaceNet.tflite"), False, 1 / 128.0,
               photos, 5)
    gen = scrfd.build_models(os.path.join(work, "antelope"))
    ok &= check(fs, work, "antelopev2:" + gen["static"], os.path.join(gen["static"], "arcface_like.onnx"), True,
                1 / 127.5, photos[:1], 3)
    print("recognizer input: facesift %s the skimage + cv2 pipeline" % ("agrees with" if ok else "DISAGREES with"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
