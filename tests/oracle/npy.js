'use strict';
// A small reader/writer for NumPy .npy files, for the Node oracles (ort_run.js, ort_bench.js).
//
// Reads format versions 1.0, 2.0 and 3.0, C order, little-endian or byte-order-free dtypes.
// Writes format 1.0 exactly as NumPy 1.24's np.save does (the same header padding, including
// the growth room after the first dimension), so a file written here and one written by
// NumPy from the same array are byte-identical.

const fs = require('fs');

// descr -> [typed array constructor, onnxruntime tensor type]
const DTYPES = {
  '<f4': [Float32Array, 'float32'],
  '<f8': [Float64Array, 'float64'],
  '<i8': [BigInt64Array, 'int64'],
  '<u8': [BigUint64Array, 'uint64'],
  '<i4': [Int32Array, 'int32'],
  '<u4': [Uint32Array, 'uint32'],
  '<i2': [Int16Array, 'int16'],
  '<u2': [Uint16Array, 'uint16'],
  '|i1': [Int8Array, 'int8'],
  '|u1': [Uint8Array, 'uint8'],
  '|b1': [Uint8Array, 'bool'],
};
const DESCR_OF_ORT = {};
for (const [descr, [, ort]] of Object.entries(DTYPES)) DESCR_OF_ORT[ort] = descr;
DESCR_OF_ORT.float16 = '<f2';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

function parseHeader(text, file) {
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new Error(`${file}: malformed .npy header: ${text.trim()}`);
  if (fortran[1] === 'True') throw new Error(`${file}: Fortran-order arrays are not supported`);
  let d = descr[1];
  if (d === '<i1' || d === '|i1') d = '|i1';
  if (d === '<u1' || d === '|u1') d = '|u1';
  if (d === '<b1') d = '|b1';
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const v = Number(s.replace(/L$/, ''));
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${file}: bad dimension ${s}`);
    return v;
  });
  return { descr: d, shape: dims };
}

/** Read a .npy file: returns {descr, dtype (ORT name), shape: number[], data: TypedArray}. */
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  let hlen, hstart;
  if (major === 1) { hlen = buf.readUInt16LE(8); hstart = 10; }
  else if (major === 2 || major === 3) { hlen = buf.readUInt32LE(8); hstart = 12; }
  else throw new Error(`${file}: unsupported .npy version ${major}.${buf[7]}`);
  if (hstart + hlen > buf.length) throw new Error(`${file}: truncated header`);
  const text = buf.subarray(hstart, hstart + hlen).toString(major === 3 ? 'utf8' : 'latin1');
  const { descr, shape } = parseHeader(text, file);
  const dt = DTYPES[descr];
  if (!dt) throw new Error(`${file}: unsupported dtype ${descr}`);
  const [Ctor, ort] = dt;
  const count = shape.reduce((a, b) => a * b, 1);
  const off = hstart + hlen;
  const nbytes = count * Ctor.BYTES_PER_ELEMENT;
  if (buf.length - off < nbytes) throw new Error(`${file}: ${buf.length - off} data bytes, shape needs ${nbytes}`);
  // Copy into a fresh, aligned ArrayBuffer.
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(off, off + nbytes));
  return { descr, dtype: ort, shape, data: new Ctor(ab) };
}

function shapeRepr(shape) {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** Encode an array as .npy format 1.0 bytes. descr: '<f4', '<i8', ... */
function encodeNpy(descr, shape, data) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, 21 - String(shape[0]).length));
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  if (header.length > 65535) throw new Error('.npy header too long');
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

/** Write an array as .npy (format 1.0) atomically: temporary name, then rename. */
function writeNpy(file, descr, shape, data) {
  const tmp = `${file}.tmp${process.pid}`;
  fs.writeFileSync(tmp, encodeNpy(descr, shape, data));
  fs.renameSync(tmp, file);
}

module.exports = { readNpy, writeNpy, encodeNpy, DTYPES, DESCR_OF_ORT };
