#!/usr/bin/python3
"""image_bench.py — the Pillow side of the image benchmarks, and a driver that runs it beside
bench_image (facesift) on the same files in the same run.

  image_bench.py gen DIR                         writes the JPEG test set into DIR
  image_bench.py pillow [--iters N] ROW FILE...  times Pillow; prints bench_image's JSON line
  image_bench.py compare BENCH_IMAGE DIR [--iters N] [--rounds 2]
                                                 both engines, alternating, table on stdout

JPEG set: LAION-like photos from skimage's public-domain data (astronaut, chelsea, coffee,
and 2x upscales of them: 300x451 … 1200x800 px), quality 90 4:2:0, as Pillow writes them.
Pillow rows: Image.open(BytesIO(bytes)); im.draft('RGB', (w//n, h//n)) for n > 1; im.load()
— the same libjpeg-turbo underneath. crc32 is zlib.crc32 over im.tobytes(), so equal CRCs
mean identical pixels.
"""
import io
import json
import os
import subprocess
import sys
import time
import zlib

from PIL import Image

SKI = "/usr/lib/python3/dist-packages/skimage/data"


def gen(d):
    os.makedirs(d, exist_ok=True)
    n = 0
    for name in ("astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png"):
        p = os.path.join(SKI, name)
        if not os.path.exists(p):
            continue
        im = Image.open(p).convert("RGB")
        for f in (1, 2):
            im2 = im if f == 1 else im.resize((im.width * 2, im.height * 2), Image.BICUBIC)
            im2.save(os.path.join(d, f"{name[:-4]}_x{f}.jpg"), quality=90)
            n += 1
    print(f"{n} JPEGs in {d}")


def pillow_row(row, files, iters, warmup=3):
    scale = int(row.rsplit("_", 1)[1])
    blobs = [open(f, "rb").read() for f in files]
    times = []
    cpus = []
    crc = 0
    mpix = 0.0
    for it in range(-warmup, iters):
        t0 = time.perf_counter()
        c0 = time.thread_time()
        px = 0
        for b in blobs:
            im = Image.open(io.BytesIO(b))
            w, h = im.size
            px += w * h
            if scale > 1:
                im.draft("RGB", (w // scale, h // scale))
            im.load()
            if it == 0:
                crc = zlib.crc32(im.tobytes(), crc)
        dt = (time.perf_counter() - t0) * 1000
        if it >= 0:
            times.append(dt)
            cpus.append((time.thread_time() - c0) * 1000)
        mpix = px / 1e6
    times.sort()
    cpus.sort()
    n = len(times)
    k = len(blobs)
    return {"engine": "pillow", "row": row, "images": k, "median_ms": times[n // 2] / k,
            "p10_ms": times[n // 10] / k, "p90_ms": times[(n * 9) // 10] / k, "median_cpu_ms": cpus[n // 2] / k,
            "mpix_per_s": mpix / (times[n // 2] / 1000), "crc32": f"{crc:08x}",
            "pillow": Image.__version__}


def compare(bench_bin, d, iters, rounds, rows=("jpeg_decode_1", "jpeg_decode_4")):
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".jpg"))
    best = {}
    tj = {}
    for _ in range(rounds):
        for row in rows:
            out = subprocess.run([bench_bin, "--iters", str(iters), "--rows", row] + files,
                                 check=True, capture_output=True, text=True).stdout
            fs = json.loads(out.strip().splitlines()[-1])
            pl = pillow_row(row, files, iters)
            out = subprocess.run([bench_bin, "--iters", str(iters), "--rows", "turbo" + row] + files,
                                 capture_output=True, text=True).stdout.strip().splitlines()
            if out:
                t = json.loads(out[-1])
                if row not in tj or t["median_cpu_ms"] < tj[row]["median_cpu_ms"]:
                    tj[row] = t
            for r in (fs, pl):
                key = (row, r["engine"])
                if key not in best:
                    best[key] = r
                else:  # keep the better median of each measure over the rounds
                    for m in ("median_ms", "median_cpu_ms"):
                        best[key][m] = min(best[key][m], r[m])
    print(f"| row | images | facesift ms/image (wall) | Pillow {Image.__version__} ms/image (wall) | speed-up (wall) | facesift CPU ms | Pillow CPU ms | speed-up (CPU) | identical pixels |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        f, p = best[(row, "facesift")], best[(row, "pillow")]
        print(f"| {row} | {f['images']} | {f['median_ms']:.3f} | {p['median_ms']:.3f} | "
              f"{p['median_ms'] / f['median_ms']:.2f}x | {f['median_cpu_ms']:.3f} | {p['median_cpu_ms']:.3f} | "
              f"{p['median_cpu_ms'] / f['median_cpu_ms']:.2f}x | {'yes' if f['crc32'] == p['crc32'] else 'NO'} |")
    print("(best median of each engine over the rounds; each round alternates the engines)")
    if tj:
        print()
        print("| row | facesift CPU ms | TurboJPEG API CPU ms (same libjpeg-turbo, reused buffer) | identical pixels |")
        print("|---|---|---|---|")
        for row in rows:
            f, t = best[(row, "facesift")], tj[row]
            print(f"| {row} | {f['median_cpu_ms']:.3f} | {t['median_cpu_ms']:.3f} | {'yes' if f['crc32'] == t['crc32'] else 'NO'} |")
    for v in best.values():
        print(json.dumps(v), file=sys.stderr)


def main(a):
    if len(a) >= 2 and a[0] == "gen":
        gen(a[1])
    elif len(a) >= 3 and a[0] == "pillow":
        iters = 30
        if a[1] == "--iters":
            iters = int(a[2]); a = a[2:]
        print(json.dumps(pillow_row(a[1], a[2:], iters)))
    elif len(a) >= 3 and a[0] == "compare":
        iters, rounds = 30, 2
        rest = a[3:]
        while rest:
            if rest[0] == "--iters": iters = int(rest[1])
            elif rest[0] == "--rounds": rounds = int(rest[1])
            rest = rest[2:]
        compare(a[1], a[2], iters, rounds)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
