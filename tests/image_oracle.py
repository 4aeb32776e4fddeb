#!/usr/bin/python3
"""image_oracle.py — checks facesift's resize, similarity transform, affine warp, norm_crop and
draw_kps against independent implementations: Pillow (Image.resize), skimage
(SimilarityTransform.estimate) and OpenCV (warpAffine, ellipse2Poly/fillConvexPoly/circle).

It writes the inputs as .npy files and a manifest into a work folder, runs the C driver
(tests/test_image_oracle.c) once on the manifest, then compares the driver's outputs with the
oracles' and prints the agreement. Exit 0: all within the bounds of issue 3; 1: a bound is
missed; 77: an oracle module or the test photos are missing (the reason is printed).

Usage: image_oracle.py DRIVER WORKDIR [--quick | --thorough] [--only=resize|similarity|warp|kps|cli]
(--thorough: ten times the random cases; minutes, for a one-off check)
"""
import math
import os
import subprocess
import sys

try:
    import numpy as np
    from PIL import Image
    import cv2
    from skimage.transform import SimilarityTransform
    import skimage.data  # noqa: F401
except ImportError as e:  # pragma: no cover
    print("SKIP: python oracle missing: %s" % e)
    sys.exit(77)

SKDATA = os.path.join(os.path.dirname(skimage.data.__file__))
PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "camera.png"]
FILTERS = {0: Image.NEAREST, 1: Image.BOX, 2: Image.BILINEAR, 3: Image.BICUBIC}
FNAMES = {0: "NEAREST", 1: "BOX", 2: "BILINEAR", 3: "BICUBIC"}
THOROUGH = "--thorough" in sys.argv
TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                     [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float32)


def photo(name):
    p = os.path.join(SKDATA, name)
    if not os.path.exists(p):
        print("SKIP: test photo %s missing" % p)
        sys.exit(77)
    return np.asarray(Image.open(p))


class Work:
    def __init__(self, folder):
        self.folder = folder
        self.lines = []
        self.n = 0
        os.makedirs(folder, exist_ok=True)

    def name(self, stem):
        self.n += 1
        return "%s_%d.npy" % (stem, self.n)

    def save(self, stem, arr):
        nm = self.name(stem)
        np.save(os.path.join(self.folder, nm), arr)
        return nm

    def load(self, nm):
        return np.load(os.path.join(self.folder, nm))


def resize_cases(rng, quick):
    """(source image, out w, out h) covering up/down, odd, extreme and 1-pixel sizes."""
    astro = photo("astronaut.png")
    cam = photo("camera.png")
    sizes = [((1, 1), (7, 5)), ((7, 5), (1, 1)), ((1, 9), (13, 1)), ((3, 1), (1, 40)),
             ((512, 512), (224, 224)), ((512, 512), (97, 131)), ((512, 512), (640, 641)),
             ((300, 200), (301, 199)), ((300, 200), (3, 2)), ((640, 20), (20, 640)),
             ((1000, 3), (7, 1000)), ((255, 257), (256, 256)), ((64, 64), (512, 512)),
             ((512, 400), (512, 97)), ((400, 512), (33, 512)), ((2, 2), (3, 3)),
             ((513, 769), (224, 336)), ((1021, 17), (16, 3))]
    for _ in range(6 if quick else 300 if THOROUGH else 30):
        sw, sh = int(rng.integers(1, 700)), int(rng.integers(1, 700))
        dw, dh = int(rng.integers(1, 900)), int(rng.integers(1, 900))
        sizes.append(((sw, sh), (dw, dh)))
    cases = []
    for i, ((sw, sh), (dw, dh)) in enumerate(sizes):
        kind = i % 4
        if kind == 0:  # photo crop (resampled to the source size by cropping / tiling)
            img = np.resize(astro, (sh, sw, 3)) if (sh > 512 or sw > 512) else astro[:sh, :sw]
        elif kind == 1:
            img = rng.integers(0, 256, (sh, sw, 3), dtype=np.uint8)
        elif kind == 2:  # gray photo
            img = np.resize(cam, (sh, sw)) if (sh > 512 or sw > 512) else cam[:sh, :sw]
        else:  # high-contrast pattern: checkerboard of 0/255 (worst case for clipping)
            yy, xx = np.mgrid[0:sh, 0:sw]
            img = (((yy // 3 + xx // 2) % 2) * 255).astype(np.uint8)
        cases.append((np.ascontiguousarray(img), dw, dh))
    return cases


def check_resize(w, rng, quick, post):
    cases = resize_cases(rng, quick)
    jobs = []
    for img, dw, dh in cases:
        src = w.save("rs_in", img)
        for f in FILTERS:
            out = w.name("rs_out")
            w.lines.append("resize %s %d %d %d %s" % (src, dw, dh, f, out))
            jobs.append((img, dw, dh, f, out))

    def compare():
        ok = True
        for f in FILTERS:
            total = within = exact = 0
            worst = 0
            for img, dw, dh, ff, out in jobs:
                if ff != f:
                    continue
                ref = np.asarray(Image.fromarray(img).resize((dw, dh), FILTERS[f])).astype(np.int32)
                got = w.load(out).astype(np.int32)
                if got.shape != ref.shape:
                    print("resize %s: shape %s vs Pillow %s" % (FNAMES[f], got.shape, ref.shape))
                    ok = False
                    continue
                d = np.abs(got - ref)
                total += d.size
                within += int((d <= 1).sum())
                exact += int((d == 0).sum())
                worst = max(worst, int(d.max()))
            frac = within / max(total, 1)
            print("resize %-8s: %d values over %d cases: %.5f%% within ±1, %.5f%% exact, max |diff| %d"
                  % (FNAMES[f], total, len(jobs) // 4, 100 * frac, 100 * exact / max(total, 1), worst))
            ok &= frac >= 0.999
        return ok
    post.append(compare)


def umeyama_cases(rng, quick):
    sets = []
    count = 300 if quick else 15000 if THOROUGH else 1500
    for i in range(count):
        n = int(rng.integers(2, 12))
        src = rng.normal(0, 1, (n, 2)) * rng.uniform(0.01, 500) + rng.uniform(-1000, 1000, 2)
        kind = i % 6
        ang = rng.uniform(-math.pi, math.pi)
        s = rng.uniform(0.05, 20)
        R = s * np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]])
        dst = src @ R.T + rng.uniform(-500, 500, 2)
        if kind == 1:  # noisy
            dst += rng.normal(0, 0.05 * s * src.std(), dst.shape)
        elif kind == 2:  # reflected
            dst[:, 0] = -dst[:, 0]
        elif kind == 3:  # near-degenerate: nearly collinear source points
            t = rng.uniform(-1, 1, n)
            src = np.stack([t * 100, t * 37 + rng.normal(0, 1e-6, n)], 1)
            dst = rng.normal(0, 50, (n, 2))
        elif kind == 4:  # unrelated point sets
            dst = rng.normal(0, 100, (n, 2))
        elif kind == 5 and n == 5:  # landmark-like: face points to the ArcFace template
            src = TEMPLATE.astype(np.float64) * rng.uniform(0.5, 5) + rng.uniform(0, 800, 2)
            src += rng.normal(0, 2, src.shape)
            dst = TEMPLATE.astype(np.float64)
        sets.append((src, dst))
    # degenerate: all source points equal; all destination points equal
    sets.append((np.ones((4, 2)) * 3.0, rng.normal(0, 1, (4, 2))))
    sets.append((rng.normal(0, 1, (4, 2)), np.ones((4, 2)) * 7.0))
    return sets


def check_similarity(w, rng, quick, post):
    sets = umeyama_cases(rng, quick)
    groups = {}
    for idx, (s, d) in enumerate(sets):
        groups.setdefault(len(s), []).append(idx)
    outs = []
    for n, idxs in groups.items():
        arr = np.stack([np.concatenate([sets[i][0], sets[i][1]], 1) for i in idxs]).astype(np.float64)
        src = w.save("sim_in", arr)
        out = w.name("sim_out")
        w.lines.append("sim %s %s" % (src, out))
        outs.append((idxs, out))

    def compare():
        worst = 0.0
        bad = 0
        checked = 0
        degenerate_ok = 0
        for idxs, out in outs:
            got = w.load(out)
            for j, i in enumerate(idxs):
                s, d = sets[i]
                t = SimilarityTransform()
                t.estimate(s, d)
                ref = t.params[:2]
                g = got[j]
                if not np.all(np.isfinite(ref)):
                    if np.all(np.isnan(g)):
                        degenerate_ok += 1
                    else:
                        bad += 1
                        print("similarity: skimage has no transform for set %d, facesift gave one" % i)
                    continue
                checked += 1
                # absolute 1e-5 on the matrix, relative for the translation when it is large
                scale = max(1.0, float(np.abs(ref[:, 2]).max()) / 1e3)
                err = max(float(np.abs(g[:, :2] - ref[:, :2]).max()),
                          float(np.abs(g[:, 2] - ref[:, 2]).max()) / scale)
                if not np.isfinite(err) or err > 1e-5:
                    bad += 1
                    if bad < 5:
                        print("similarity set %d (n=%d): err %.3g\n ref %s\n got %s" % (i, len(s), err, ref, g))
                worst = max(worst, err if np.isfinite(err) else 1e9)
        print("similarity: %d random point sets vs skimage: max error %.3g, %d over 1e-5; "
              "%d degenerate sets rejected as skimage does" % (checked, worst, bad, degenerate_ok))
        return bad == 0 and checked >= (250 if quick else 1000)
    post.append(compare)


def random_face_kps(rng, w, h):
    """5 landmarks of a plausible face somewhere in (and sometimes partly out of) the image."""
    size = rng.uniform(0.08, 0.6) * min(w, h)
    ang = rng.normal(0, 0.4)
    c = np.array([rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h])
    base = (TEMPLATE.astype(np.float64) - [56, 72]) / 112.0 * size
    if rng.uniform() < 0.2:
        base[:, 0] = -base[:, 0]  # mirrored face
    R = np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]])
    pts = base @ R.T + c + rng.normal(0, size * 0.02, (5, 2))
    return pts.astype(np.float32)


def check_warp(w, rng, quick, post):
    jobs = []
    for name in PHOTOS:
        img = photo(name)
        src = w.save("wa_in", np.ascontiguousarray(img))
        # generic affine matrices and norm_crop-like similarity matrices
        for k in range(3 if quick else 10):
            if k % 2 == 0:
                M = np.array([[rng.uniform(-2, 2), rng.uniform(-2, 2), rng.uniform(-300, 300)],
                              [rng.uniform(-2, 2), rng.uniform(-2, 2), rng.uniform(-300, 300)]])
            else:
                a = rng.uniform(0.1, 3)
                t = rng.uniform(-math.pi, math.pi)
                M = np.array([[a * math.cos(t), -a * math.sin(t), rng.uniform(-400, 400)],
                              [a * math.sin(t), a * math.cos(t), rng.uniform(-400, 400)]])
            ow, oh = int(rng.integers(1, 300)), int(rng.integers(1, 300))
            mn = w.save("wa_m", M)
            out = w.name("wa_out")
            w.lines.append("warp %s %s %d %d %s" % (src, mn, ow, oh, out))
            jobs.append((img, M, ow, oh, out))
    crops = []
    for name in PHOTOS:
        img = photo(name)
        h, wd = img.shape[:2]
        src = w.save("nc_in", np.ascontiguousarray(img))
        kps = np.stack([random_face_kps(rng, wd, h) for _ in range(20 if quick else 60)])
        for size in (112, 224, 128):
            kn = w.save("nc_kps", kps)
            out, mout = w.name("nc_out"), w.name("nc_m")
            w.lines.append("normcrop %s %s %d %s %s" % (src, kn, size, out, mout))
            crops.append((img, kps, size, out, mout))

    def compare():
        ok = True
        total = within = exact = 0
        for img, M, ow, oh, out in jobs:
            ref = cv2.warpAffine(img, M, (ow, oh), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(np.int32)
            got = w.load(out).astype(np.int32)
            d = np.abs(got - ref.reshape(got.shape))
            total += d.size
            within += int((d <= 1).sum())
            exact += int((d == 0).sum())
        print("warp_affine: %d cases, %d values: %.5f%% within ±1, %.5f%% exact vs cv2.warpAffine"
              % (len(jobs), total, 100 * within / total, 100 * exact / total))
        ok &= within == total
        total = within = exact = 0
        merr = 0.0
        for img, kps, size, out, mout in crops:
            got = w.load(out).astype(np.int32)
            gm = w.load(mout)
            ratio = size / 112.0 if size % 112 == 0 else size / 128.0
            dst = TEMPLATE * ratio
            if size % 112 != 0:
                dst[:, 0] += 8.0 * ratio
            for k in range(len(kps)):
                t = SimilarityTransform()
                t.estimate(kps[k].astype(np.float64), dst.astype(np.float64))
                M = t.params[:2]
                merr = max(merr, float(np.abs(M - gm[k]).max()))
                ref = cv2.warpAffine(img, M, (size, size), borderValue=0.0).astype(np.int32)
                d = np.abs(got[k] - ref.reshape(got[k].shape))
                total += d.size
                within += int((d <= 1).sum())
                exact += int((d == 0).sum())
        print("norm_crop: %d crops (sizes 112, 224, 128) on %d photos: %.5f%% within ±1, %.5f%% exact "
              "vs cv2.warpAffine with skimage's M (max |M diff| %.2g)"
              % (sum(len(c[1]) for c in crops), len(PHOTOS), 100 * within / total, 100 * exact / total, merr))
        ok &= within == total
        return ok
    post.append(compare)


def draw_kps_ref(w, h, kps):
    """InstantID's draw_kps as REFERENCE.md describes it, with OpenCV."""
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255)]
    limbs = [[0, 2], [1, 2], [3, 2], [4, 2]]
    kps = np.array(kps)
    out = np.zeros([h, w, 3])
    for a, b in limbs:
        x = kps[[a, b]][:, 0]
        y = kps[[a, b]][:, 1]
        length = ((x[0] - x[1]) ** 2 + (y[0] - y[1]) ** 2) ** 0.5
        angle = math.degrees(math.atan2(y[0] - y[1], x[0] - x[1]))
        poly = cv2.ellipse2Poly((int(np.mean(x)), int(np.mean(y))), (int(length / 2), 4), int(angle), 0, 360, 1)
        out = cv2.fillConvexPoly(out.copy(), poly, colors[a])
    out = (out * 0.6).astype(np.uint8)
    for i, (x, y) in enumerate(kps):
        out = cv2.circle(out.copy(), (int(x), int(y)), 10, colors[i], -1)
    return out


# edge cases: all points equal (zero-length limbs), a vertical line, points a pixel apart,
# negative coordinates near 0 (truncation toward zero), points on the borders
SPECIAL_KPS = [
    [[100, 100]] * 5,
    [[50, 10], [50, 30], [50, 60], [50, 90], [50, 120.5]],
    [[200, 200], [201, 200], [200.5, 200.9], [199.2, 201], [200, 201.7]],
    [[-0.7, -0.2], [-9.9, 5], [3, -4.5], [-20, -20], [0.4, 0.6]],
    [[0, 0], [511, 0], [255.5, 255.5], [0, 511], [511, 511]],
]


def check_kps(w, rng, quick, post):
    jobs = []
    for i in range(20 if quick else 1000 if THOROUGH else 100):
        W, H = int(rng.integers(512, 1025)), int(rng.integers(512, 1025))
        if i % 10 == 0:  # landmarks anywhere, including far out and very long limbs
            kps = rng.uniform(-0.3, 1.3, (1, 5, 2)).astype(np.float32) * [W, H]
        else:
            kps = random_face_kps(rng, W, H)[None]
        kps = kps.astype(np.float32)
        if i < len(SPECIAL_KPS):
            kps = np.array(SPECIAL_KPS[i], dtype=np.float32)[None]
        kn = w.save("kps_in", kps)
        out = w.name("kps_out")
        w.lines.append("kps %d %d %s %s" % (W, H, kn, out))
        jobs.append((W, H, kps[0], out))

    def compare():
        worst = 0.0
        tot_diff = tot = 0
        for W, H, kps, out in jobs:
            ref = draw_kps_ref(W, H, kps.astype(np.float64).tolist())
            got = w.load(out)[0]
            diff = int(np.any(got != ref, axis=2).sum())
            tot_diff += diff
            tot += W * H
            worst = max(worst, diff / (W * H))
        print("draw_kps: %d landmark sets: %d of %d pixels differ from OpenCV's rendering "
              "(worst image %.4f%%)" % (len(jobs), tot_diff, tot, 100 * worst))
        return worst <= 0.001
    post.append(compare)


def check_cli(w, rng, quick, post):
    """facesift kps on photos with EXIF orientations 1 and 6 (the control image takes the
    displayed size: w and h swapped for 6) against the OpenCV rendering."""
    fbin = os.environ.get("FSIFT_BIN")
    if not fbin or not os.path.exists(fbin):
        print("kps CLI: skipped (FSIFT_BIN not set)")
        return
    img = Image.fromarray(photo("coffee.png"))  # 600x400
    results = []
    for orient in (1, 6):
        path = os.path.join(w.folder, "cli_o%d.jpg" % orient)
        exif = Image.Exif()
        exif[0x0112] = orient
        img.save(path, quality=90, exif=exif.tobytes())
        W, H = (img.width, img.height) if orient < 5 else (img.height, img.width)
        kps = random_face_kps(rng, W, H)
        outp = os.path.join(w.folder, "cli_o%d.png" % orient)
        arg = ",".join("%.4f" % v for v in kps.reshape(-1))
        r = subprocess.run([fbin, "kps", path, "--kps", arg, "-o", outp])
        results.append((r.returncode, outp, W, H, np.array([[float("%.4f" % v) for v in p] for p in kps],
                                                           dtype=np.float32)))

    def compare():
        ok = True
        for rc, outp, W, H, kps in results:
            if rc != 0 or not os.path.exists(outp):
                print("kps CLI: facesift kps failed (%d)" % rc)
                ok = False
                continue
            got = np.asarray(Image.open(outp).convert("RGB"))
            ref = draw_kps_ref(W, H, kps.astype(np.float64).tolist())
            same = got.shape == ref.shape and np.array_equal(got, ref)
            print("kps CLI: %dx%d control image %s OpenCV's" % (W, H, "equals" if same else "DIFFERS from"))
            ok &= same
        return ok
    post.append(compare)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    driver, folder = sys.argv[1], sys.argv[2]
    quick = "--quick" in sys.argv
    only = [a[7:] for a in sys.argv if a.startswith("--only=")]
    rng = np.random.default_rng(20261127)
    w = Work(folder)
    post = []
    checks = {"resize": check_resize, "similarity": check_similarity, "warp": check_warp, "kps": check_kps,
              "cli": check_cli}
    for name, fn in checks.items():
        if not only or name in only:
            fn(w, rng, quick, post)
    manifest = os.path.join(folder, "manifest.txt")
    with open(manifest, "w") as f:
        f.write("\n".join(w.lines) + "\n")
    r = subprocess.run([driver, manifest])
    if r.returncode != 0:
        print("FAIL: the C driver failed (%d)" % r.returncode)
        return 1
    ok = True
    for fn in post:
        ok &= bool(fn())
    print("image oracle: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
