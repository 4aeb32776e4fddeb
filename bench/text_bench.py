#!/usr/bin/env python3
"""text_bench.py — the caption-filter benchmark (bench/sections/60_text.sh): facesift text
beside ripgrep, GNU grep and a Python `re` baseline on the same LAION-like JSONL corpus and
the same term list, in one run, alternating turns. Prints a markdown table.

usage: text_bench.py FACESIFT CORPUS PATTERNS WORKDIR [--turns N]
Each command's wall time and CPU time (user + system of the child, from getrusage) are
measured; MB/s per core = corpus MB / CPU seconds, the number that stays meaningful on a
machine shared with other jobs. The best turn of each tool is reported.
"""
import json
import os
import resource
import subprocess
import sys
import time

PY_BASELINE = r'''
import json, re, sys
pats = [l.strip() for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
pats.sort(key=len, reverse=True)
rx = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in pats) + r")\b", re.IGNORECASE)
n = 0
with open(sys.argv[2], encoding="utf-8", errors="replace") as f:
    for line in f:
        try:
            cap = json.loads(line).get("caption") or ""
        except ValueError:
            continue
        if rx.search(cap.replace("-", " ")):
            n += 1
print(n)
'''


def run(cmd, stdout=subprocess.PIPE, timeout=None):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout)
        out = p.stdout.decode(errors="replace").strip() if p.stdout else ""
        rc = p.returncode
    except subprocess.TimeoutExpired:
        out, rc = None, None
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return out, rc, wall, cpu


def slice_file(src, dst, mb):
    want = int(mb * 1e6)
    with open(src, "rb") as f, open(dst, "wb") as o:
        data = f.read(want)
        data = data[: data.rfind(b"\n") + 1]
        o.write(data)
    return len(data)


def main():
    fs, corpus, patterns, work = sys.argv[1:5]
    os.environ["LC_ALL"] = "C"  # grep's fast byte path; rg, Python and facesift do not use the locale
    turns = int(sys.argv[sys.argv.index("--turns") + 1]) if "--turns" in sys.argv else 3
    size = os.path.getsize(corpus)
    npat = sum(1 for l in open(patterns, encoding="utf-8") if l.strip())
    s50 = os.path.join(work, "slice50.jsonl")
    s10 = os.path.join(work, "slice10.jsonl")
    n50 = slice_file(corpus, s50, 50)
    n10 = slice_file(corpus, s10, 10)
    pyfile = os.path.join(work, "re_baseline.py")
    open(pyfile, "w").write(PY_BASELINE)

    tools = [
        ("facesift text (JSON parsed, caption only, whole words)", [fs, "text", corpus, "-o", "-"], size, "rows"),
        ("ripgrep `rg -c -F -i -w -f` (-j1)", ["rg", "-j1", "-c", "-F", "-i", "-w", "-f", patterns, corpus], size, "lines"),
        ("`LC_ALL=C grep -c -F -i -f` (no word rule)", ["grep", "-c", "-F", "-i", "-f", patterns, corpus], size, "lines"),
    ]
    best = {}
    counts = {}
    for t in range(turns):
        for name, cmd, nbytes, unit in tools:
            if name.startswith("facesift"):
                out, rc, wall, cpu = run(cmd, stdout=subprocess.DEVNULL)
            else:
                out, rc, wall, cpu = run(cmd, timeout=900)
                if out is not None:
                    counts[name] = (out.splitlines()[-1] if out else "0") + " lines"
            b = best.get(name)
            if b is None or cpu < b[1]:
                best[name] = (wall, cpu, nbytes)
    # facesift's kept-row count
    subprocess.run([fs, "text", corpus, "-o", "-", "--stats", os.path.join(work, "text_stats.json")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    st = json.load(open(os.path.join(work, "text_stats.json")))
    counts[tools[0][0]] = "%d of %d rows" % (st["kept"], st["rows_read"])
    # grep -Fiwf on the 50 MB slice: one turn, bounded
    name = "GNU `LC_ALL=C grep -c -F -i -w -f` (50 MB slice)"
    out, rc, wall, cpu = run(["grep", "-c", "-F", "-i", "-w", "-f", patterns, s50], timeout=240)
    best[name] = (wall, cpu, n50) if out is not None else (None, cpu, n50)
    counts[name] = (out + " lines") if out is not None else "(stopped after %.0f s wall, %.0f s CPU)" % (wall, cpu)
    # facesift on the same slices, for the slice rows
    fs50 = run([fs, "text", s50, "-o", "-"], stdout=subprocess.DEVNULL)
    # Python re on the 10 MB slice: one turn
    pname = "Python 3 `re` alternation with \\b + json.loads (10 MB slice)"
    out, rc, wall, cpu = run([sys.executable, pyfile, patterns, s10], timeout=600)
    best[pname] = (wall, cpu, n10) if out is not None else (None, cpu, n10)
    counts[pname] = (out + " rows") if out is not None else "(stopped after %.0f s wall, %.0f s CPU)" % (wall, cpu)
    fs10 = run([fs, "text", s10, "-o", "-"], stdout=subprocess.DEVNULL)

    def mbps(nbytes, secs):
        return nbytes / 1e6 / secs if secs else float("nan")

    fs_wall, fs_cpu, _ = best[tools[0][0]]
    fs_rate = mbps(size, fs_cpu)
    print("| tool | input | MB/s per core (CPU time) | MB/s wall | matched | facesift per core is |")
    print("|---|---|---|---|---|---|")
    rows = [(tools[0][0], size)] + [(n, size) for n, _, _, _ in tools[1:]] + [(name, n50), (pname, n10)]
    for tname, nbytes in rows:
        wall, cpu, nb = best[tname]
        rate = mbps(nb, cpu)
        ref = fs50 if tname == name else fs10
        if wall is None:  # stopped: the rate is an upper bound
            print("| %s | %.0f MB | < %.3g | — | %s | > %.0f× faster (facesift on the same slice: %.0f MB/s) |"
                  % (tname, nb / 1e6, rate, counts.get(tname, ""), mbps(nb, ref[3]) / rate, mbps(nb, ref[3])))
            continue
        ratio = "—" if tname == tools[0][0] else "%.1f× faster" % (fs_rate / rate)
        if tname == name:
            ratio = "%.0f× faster (facesift on the same slice: %.0f MB/s)" % (mbps(n50, fs50[3]) / rate, mbps(n50, fs50[3]))
        if tname == pname:
            ratio = "%.0f× faster (facesift on the same slice: %.0f MB/s)" % (mbps(n10, fs10[3]) / rate, mbps(n10, fs10[3]))
        print("| %s | %.0f MB | %.3g | %.3g | %s | %s |" % (tname, nb / 1e6, rate, mbps(nb, wall), counts.get(tname, ""), ratio))
    print()
    print("Term list: %d patterns (`facesift text --print-patterns`: every lexicon term and generated plural, "
          "folded; the first-name rule and the exclusions have no grep equivalent and are left out). "
          "Best of %d alternating turns for the full-corpus rows, one turn for the slices." % (npat, turns))


if __name__ == "__main__":
    main()
