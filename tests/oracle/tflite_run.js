#!/usr/bin/env node
'use strict';
// Run a TFLite model with the real TensorFlow Lite runtime, compiled to WebAssembly, from
// @tensorflow/tfjs-tflite (TFLite C++ kernels + XNNPACK), under plain Node.js.
//
//   node tests/oracle/tflite_run.js MODEL.tflite IN0.npy [IN1.npy ...] -o DIR
//
// The same contract as tflite_run.py / ort_run.js: inputs in the model's input order,
// DIR/0.npy, DIR/1.npy, ... in output order, one line per output (index, name, dtype, shape).
// Input shapes must equal the model's (the WASM API cannot resize inputs; tflite_run.py can).
//
// tfjs-tflite is written for browsers: its loader reads `self.location`, loads the
// Emscripten glue with `importScripts` and the .wasm with `fetch`. The shims below give it
// exactly that from the package's own wasm/ folder, with no network: any other URL is an
// error. MessageChannel is hidden so that the loader picks the single-threaded build (the
// threaded one needs Web Workers).

const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { readNpy, writeNpy, DESCR_OF_ORT } = require('./npy.js');

const WASM_DIR = path.join(path.dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
const BASE = 'http://tfjs-tflite.local.invalid/';

function localPath(url) {
  const s = String(url);
  if (!s.startsWith(BASE)) throw new Error(`tfjs-tflite asked for ${s}: only its own wasm/ files are served`);
  const p = path.join(WASM_DIR, s.slice(BASE.length));
  if (path.dirname(p) !== WASM_DIR) throw new Error(`bad path ${s}`);
  return p;
}

function installShims() {
  globalThis.self = globalThis;
  globalThis.location = { origin: BASE.slice(0, -1), href: `${BASE}index.html` };
  globalThis.MessageChannel = undefined;
  globalThis.importScripts = (url) => {
    const p = localPath(url);
    vm.runInThisContext(fs.readFileSync(p, 'utf8'), { filename: p });
  };
  globalThis.fetch = async (url) => new Response(fs.readFileSync(localPath(url)), {
    headers: { 'Content-Type': 'application/wasm' },
  });
}

function usage(msg) {
  if (msg) process.stderr.write(`tflite_run: ${msg}\n`);
  process.stderr.write('usage: tflite_run.js MODEL.tflite IN0.npy [IN1.npy ...] -o DIR\n');
  process.exit(2);
}

/** Load a model; returns {model, tf}. Exported for the benchmark and other tools. */
async function loadModel(file) {
  installShims();
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-cpu');
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner
  await tf.setBackend('cpu');
  const tflite = require('@tensorflow/tfjs-tflite');
  tflite.setWasmPath(BASE);
  const buf = fs.readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  // The WASM runtime prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." on
  // stdout while it loads; keep stdout for our own lines.
  const log = console.log;
  console.log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
  try {
    const model = await tflite.loadTFLiteModel(ab, { numThreads: 1 });
    return { model, tf };
  } finally {
    console.log = log;
  }
}

async function main() {
  const argv = process.argv.slice(2);
  let modelPath = null;
  let out = null;
  const inputs = [];
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === '-o' || s === '--out') out = argv[++i];
    else if (s === '-h' || s === '--help') usage();
    else if (s.startsWith('-')) usage(`unknown option ${s}`);
    else if (modelPath === null) modelPath = s;
    else inputs.push(s);
  }
  if (!modelPath || !out) usage('MODEL and -o DIR are required');

  const { model, tf } = await loadModel(modelPath);
  if (inputs.length !== model.inputs.length) {
    throw new Error(`${modelPath} has ${model.inputs.length} inputs, ${inputs.length} .npy files given`);
  }
  const xs = model.inputs.map((info, i) => {
    const a = readNpy(inputs[i]);
    if (a.dtype !== info.dtype) throw new Error(`input ${i} (${info.name}): dtype ${a.dtype}, model wants ${info.dtype}`);
    if (a.shape.join(',') !== info.shape.join(',')) {
      throw new Error(`input ${i} (${info.name}): shape [${a.shape}], model wants [${info.shape}] (use tflite_run.py for other sizes)`);
    }
    return tf.tensor(a.data, a.shape, a.dtype);
  });
  const res = model.predict(xs.length === 1 ? xs[0] : xs);
  const outs = res instanceof tf.Tensor ? [res] : Array.isArray(res) ? res : model.outputs.map((o) => res[o.name]);
  fs.mkdirSync(out, { recursive: true });
  outs.forEach((t, i) => {
    const descr = DESCR_OF_ORT[t.dtype];
    if (!descr) throw new Error(`output ${i}: unsupported dtype ${t.dtype}`);
    writeNpy(path.join(out, `${i}.npy`), descr, t.shape, t.dataSync());
    process.stdout.write(`${i}\t${model.outputs[i].name}\t${t.dtype}\t[${t.shape.join(',')}]\n`);
  });
}

module.exports = { loadModel };

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`tflite_run: error: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
  });
}
