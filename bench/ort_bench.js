#!/usr/bin/env node
'use strict';
// Time ONNX Runtime (onnxruntime-node, CPU execution provider) on one model: the peer that
// facesift's runtime is compared with in bench/ and docs/perf.md.
//
//   node bench/ort_bench.js MODEL.onnx --threads N [--warmup 20] [--iters 200]
//                           [--shape 1,3,640,640 | --shape NAME=1,3,640,640 ...] [--seed 1]
//                           [--opt all|basic|extended|disabled]
//
// Random inputs (float: uniform [-1, 1]; integer: uniform [0, 1000); seeded), intra-op
// threads N, inter-op threads 1, sequential execution. Symbolic input dimensions need a
// --shape (one per input in input order, or NAME=dims). After the warm-up runs, each of the
// timed runs is one session.run; prints one JSON line:
//   {"model", "threads", "median_ms", "p10_ms", "p90_ms", "min_ms", "iters", "warmup",
//    "shapes", "ort", "node", "cpu"}
// Needs scripts/setup-oracles.sh (onnxruntime-node under tests/oracle/node_modules).

const os = require('os');
const path = require('path');
const { createRequire } = require('module');

const oracleRequire = createRequire(path.join(__dirname, '..', 'tests', 'oracle', 'package.json'));

function usage(msg) {
  if (msg) process.stderr.write(`ort_bench: ${msg}\n`);
  process.stderr.write('usage: ort_bench.js MODEL.onnx --threads N [--warmup 20] [--iters 200] [--shape DIMS|NAME=DIMS ...] [--seed S] [--opt LEVEL]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { model: null, threads: null, warmup: 20, iters: 200, shapes: [], seed: 1, opt: 'all' };
  const num = (s, name) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 0) usage(`${name} must be a non-negative integer`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === '--threads') a.threads = num(argv[++i], '--threads');
    else if (s === '--warmup') a.warmup = num(argv[++i], '--warmup');
    else if (s === '--iters') a.iters = num(argv[++i], '--iters');
    else if (s === '--seed') a.seed = num(argv[++i], '--seed');
    else if (s === '--shape') a.shapes.push(argv[++i] || usage('--shape needs a value'));
    else if (s === '--opt') a.opt = argv[++i];
    else if (s === '-h' || s === '--help') usage();
    else if (s.startsWith('-')) usage(`unknown option ${s}`);
    else if (a.model === null) a.model = s;
    else usage(`unexpected argument ${s}`);
  }
  if (!a.model) usage('MODEL is required');
  if (!a.threads) usage('--threads N is required (N >= 1)');
  if (a.iters < 1) usage('--iters must be at least 1');
  return a;
}

// xorshift32: a small seeded generator, so that runs are repeatable.
function rng(seed) {
  let x = (seed >>> 0) || 0x9e3779b9;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

function randomTensor(ort, type, dims, next) {
  const n = dims.reduce((p, d) => p * d, 1);
  switch (type) {
    case 'float32': return new ort.Tensor(type, Float32Array.from({ length: n }, () => next() * 2 - 1), dims);
    case 'float64': return new ort.Tensor(type, Float64Array.from({ length: n }, () => next() * 2 - 1), dims);
    case 'int64': return new ort.Tensor(type, BigInt64Array.from({ length: n }, () => BigInt(Math.floor(next() * 1000))), dims);
    case 'int32': return new ort.Tensor(type, Int32Array.from({ length: n }, () => Math.floor(next() * 1000)), dims);
    case 'uint8': return new ort.Tensor(type, Uint8Array.from({ length: n }, () => Math.floor(next() * 256)), dims);
    default: throw new Error(`input type ${type} is not supported by the benchmark`);
  }
}

function percentile(sorted, p) {
  const idx = (sorted.length - 1) * p;
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (idx - lo);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = oracleRequire('onnxruntime-node');
  const session = await ort.InferenceSession.create(args.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: args.opt,
    logSeverityLevel: 3,
  });
  const meta = session.inputMetadata;
  const named = {};
  const positional = [];
  for (const s of args.shapes) {
    const eq = s.indexOf('=');
    const dims = (eq >= 0 ? s.slice(eq + 1) : s).split(/[,x]/).map(Number);
    if (dims.some((d) => !Number.isInteger(d) || d < 0)) usage(`bad shape ${s}`);
    if (eq >= 0) named[s.slice(0, eq)] = dims; else positional.push(dims);
  }
  const next = rng(args.seed);
  const feeds = {};
  const shapes = {};
  meta.forEach((m, i) => {
    let dims = named[m.name] || positional[i];
    if (!dims) {
      if (m.shape.some((d) => typeof d !== 'number' || d < 0)) {
        throw new Error(`input ${m.name} has symbolic dims [${m.shape}]: give --shape`);
      }
      dims = m.shape;
    }
    shapes[m.name] = dims;
    feeds[m.name] = randomTensor(ort, m.type, dims, next);
  });

  for (let i = 0; i < args.warmup; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < args.iters; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const r = (v) => Math.round(v * 1000) / 1000;
  const cpus = os.cpus();
  process.stdout.write(`${JSON.stringify({
    model: path.basename(args.model),
    threads: args.threads,
    median_ms: r(percentile(times, 0.5)),
    p10_ms: r(percentile(times, 0.1)),
    p90_ms: r(percentile(times, 0.9)),
    min_ms: r(times[0]),
    iters: args.iters,
    warmup: args.warmup,
    shapes,
    ort: ort.env.versions.node,
    node: process.version,
    cpu: cpus.length ? `${cpus[0].model} x${cpus.length}` : 'unknown',
  })}\n`);
}

main().catch((e) => {
  process.stderr.write(`ort_bench: error: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
