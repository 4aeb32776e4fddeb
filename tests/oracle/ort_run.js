#!/usr/bin/env node
'use strict';
// Run an ONNX model with ONNX Runtime (onnxruntime-node, CPU execution provider): the
// reference that facesift's runtime is compared with.
//
//   node tests/oracle/ort_run.js MODEL.onnx IN0.npy [IN1.npy ...] -o DIR [--threads N]
//                                [--opt all|basic|extended|disabled]
//
// Inputs are given in the graph's input order. Writes DIR/0.npy, DIR/1.npy, ... in the
// graph's output order (float32 as '<f4', int64 as '<i8', C order, .npy format 1.0), and
// prints one line per output: index, name, dtype, shape. Exit 1 on any error, 2 on bad usage.

const fs = require('fs');
const path = require('path');
const { readNpy, writeNpy, DESCR_OF_ORT } = require('./npy.js');

function usage(msg) {
  if (msg) process.stderr.write(`ort_run: ${msg}\n`);
  process.stderr.write('usage: ort_run.js MODEL.onnx IN0.npy [IN1.npy ...] -o DIR [--threads N] [--opt LEVEL]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { model: null, inputs: [], out: null, threads: 1, opt: 'all' };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === '-o' || s === '--out') { a.out = argv[++i]; }
    else if (s === '--threads') { a.threads = Number(argv[++i]); }
    else if (s === '--opt') { a.opt = argv[++i]; }
    else if (s === '-h' || s === '--help') { usage(); }
    else if (s.startsWith('-')) { usage(`unknown option ${s}`); }
    else if (a.model === null) { a.model = s; }
    else { a.inputs.push(s); }
  }
  if (!a.model || !a.out) usage('MODEL and -o DIR are required');
  if (!Number.isInteger(a.threads) || a.threads < 1) usage('--threads must be a positive integer');
  if (!['all', 'basic', 'extended', 'disabled'].includes(a.opt)) usage('--opt must be all, basic, extended or disabled');
  return a;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(args.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: args.opt,
    logSeverityLevel: 3, // errors only: ORT warns about unused initializers in some exports
  });
  if (args.inputs.length !== session.inputNames.length) {
    throw new Error(`${args.model} has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}), ${args.inputs.length} .npy files given`);
  }
  const feeds = {};
  session.inputNames.forEach((name, i) => {
    const a = readNpy(args.inputs[i]);
    feeds[name] = new ort.Tensor(a.dtype, a.data, a.shape);
  });
  const results = await session.run(feeds);
  fs.mkdirSync(args.out, { recursive: true });
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    const descr = DESCR_OF_ORT[t.type];
    if (!descr || t.type === 'float16') throw new Error(`output ${name}: unsupported type ${t.type}`);
    let data = t.data;
    if (t.type === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
    writeNpy(path.join(args.out, `${i}.npy`), descr, t.dims.map(Number), data);
    process.stdout.write(`${i}\t${name}\t${t.type}\t[${t.dims.join(',')}]\n`);
  });
  if (session.release) await session.release();
}

main().catch((e) => {
  process.stderr.write(`ort_run: error: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
