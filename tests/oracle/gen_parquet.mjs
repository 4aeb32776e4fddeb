// gen_parquet.mjs OUTDIR — writes parquet files with two independent writers, DuckDB and
// parquet-wasm (the Rust arrow-rs writer compiled to WebAssembly), and, beside
// each NAME.parquet, NAME.jsonl: the same table exported by DuckDB as JSON lines (from the
// in-memory table, not from the parquet file), plus NAME.enc: the encodings DuckDB reports
// for each column chunk. Used by tests/script_parquet_oracle.sh.
//
// Cases: every codec (uncompressed, snappy, gzip, zstd) x writer version (V1 = data page v1,
// V2 = data page v2 with DELTA_* and BYTE_STREAM_SPLIT encodings), dictionary and plain
// (DICTIONARY_SIZE_LIMIT 1) strings, nulls in every type, several row groups; a LAION-shaped
// file; a nested (STRUCT) and a LIST file, which must be refused with a clear error.
// DuckDB writes data page v1 only (its V2 means V2 encodings); parquet-wasm files (w_*) give
// data page v2 (WriterVersion V2), DELTA_BYTE_ARRAY, RLE booleans and arrow-rs's page layout,
// each with NAME.jsonl written from the same JavaScript arrays, and NAME.pages saying which
// page kind (v1 or v2) the file must hold.
import { DuckDBInstance } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { writeFileSync } from 'node:fs';

const out = process.argv[2];
if (!out) throw new Error('usage: gen_parquet.mjs OUTDIR');
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();

await c.run(`CREATE TABLE t AS SELECT
  i::BIGINT AS id,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i * 7919 - 20000)::INTEGER END AS i32,
  CASE WHEN i % 13 = 5 THEN NULL ELSE (i * 123456789012 - 9000000000000)::BIGINT END AS i64,
  (i * 0.25 - 100)::FLOAT AS f,
  CASE WHEN i % 17 = 0 THEN NULL ELSE i / 7.0 END::DOUBLE AS d,
  CASE WHEN i % 19 = 1 THEN NULL ELSE i % 3 = 0 END AS b,
  CASE WHEN i % 23 = 2 THEN NULL WHEN i % 29 = 0 THEN '' ELSE 'row ' || i || ' é✓ ' || repeat('x', i % 40) END AS s,
  CASE WHEN i % 31 = 4 THEN NULL ELSE 'cat' || (i % 6) END AS cat,
  (i % 7)::INTEGER AS small,
  CASE WHEN i % 37 = 6 THEN NULL ELSE (i * 0.01 - 3)::DECIMAL(9, 2) END AS dec32,
  (i * 1.0001 - 7)::DECIMAL(18, 4) AS dec64
FROM range(5000) r(i)`);

async function copy(table, name, opts) {
  await c.run(`COPY ${table} TO '${out}/${name}.parquet' (FORMAT parquet, ${opts})`);
  await c.run(`COPY ${table} TO '${out}/${name}.jsonl' (FORMAT json)`);
  const r = await c.runAndReadAll(
    `SELECT path_in_schema, encodings, compression FROM parquet_metadata('${out}/${name}.parquet')`);
  writeFileSync(`${out}/${name}.enc`, r.getRows().map((x) => x.join('\t')).join('\n') + '\n');
}

const cases = [];
for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd'])
  for (const ver of ['V1', 'V2'])
    for (const dict of ['dict', 'plain']) {
      const name = `t_${codec}_${ver}_${dict}`;
      const d = dict === 'plain' ? ', DICTIONARY_SIZE_LIMIT 1' : '';
      await copy('t', name, `COMPRESSION ${codec}, PARQUET_VERSION ${ver}, ROW_GROUP_SIZE 2048${d}`);
      cases.push(name);
    }

// LAION-shaped (laion2B-en's columns and types), snappy as the published files.
await c.run(`CREATE TABLE laion AS SELECT
  'https://img' || (i % 97) || '.example.com/p/' || i || '.jpg' AS URL,
  CASE WHEN i % 41 = 0 THEN NULL ELSE 'A photo of a woman, number ' || i || ' "quoted", ünïcode' END AS TEXT,
  CASE WHEN i % 43 = 0 THEN NULL ELSE (200 + i % 1800)::DOUBLE END AS WIDTH,
  CASE WHEN i % 43 = 0 THEN NULL ELSE (300 + i % 1500)::DOUBLE END AS HEIGHT,
  (i % 1000) / 3000.0 AS similarity,
  (hash(i) // 2)::BIGINT AS hash,
  ((i % 128) / 128.0)::FLOAT AS punsafe,
  ((i % 64) / 64.0)::FLOAT AS pwatermark
FROM range(3000) r(i)`);
await copy('laion', 'laion', 'COMPRESSION snappy, ROW_GROUP_SIZE 1000');
cases.push('laion');

await c.run(`COPY (SELECT i, {'a': i, 'b': 'x'} AS st FROM range(10) r(i)) TO '${out}/nested_struct.parquet' (FORMAT parquet)`);
await c.run(`COPY (SELECT i, [i, i + 1] AS li FROM range(10) r(i)) TO '${out}/nested_list.parquet' (FORMAT parquet)`);
// parquet-wasm (arrow-rs): codecs x writer version (V1 = data page v1, V2 = data page v2) x
// dictionary on / off (off: DELTA_BYTE_ARRAY strings, DELTA_BINARY_PACKED integers,
// BYTE_STREAM_SPLIT floats); pages of ~4 KiB, row groups of 1500.
{
  const n = 4000, cols = { id: [], s: [], d: [], f: [], b: [], i32: [] };
  for (let i = 0; i < n; i++) {
    cols.id.push(BigInt(i) * 1000003n - 5000000n);
    cols.s.push(i % 17 === 3 ? null : 'prefix-shared-' + Math.floor(i / 7) + '-' + '\u00e9'.repeat(i % 3));
    cols.d.push(i % 13 === 0 ? null : i / 8);
    cols.f.push(i * 0.5 - 99);
    cols.b.push(i % 11 === 0 ? null : i % 3 === 0);
    cols.i32.push(i % 5 === 0 ? null : (i * 7919) % 100000 - 50000);
  }
  const table = new arrow.Table({
    id: arrow.vectorFromArray(cols.id, new arrow.Int64()),
    s: arrow.vectorFromArray(cols.s, new arrow.Utf8()),
    d: arrow.vectorFromArray(cols.d, new arrow.Float64()),
    f: arrow.vectorFromArray(cols.f, new arrow.Float32()),
    b: arrow.vectorFromArray(cols.b, new arrow.Bool()),
    i32: arrow.vectorFromArray(cols.i32, new arrow.Int32()),
  });
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push(`{"id":${cols.id[i]},"s":${JSON.stringify(cols.s[i])},"d":${JSON.stringify(cols.d[i])},` +
      `"f":${cols.f[i]},"b":${JSON.stringify(cols.b[i])},"i32":${JSON.stringify(cols.i32[i])}}`);
  }
  const codecs = { uncompressed: pw.Compression.UNCOMPRESSED, snappy: pw.Compression.SNAPPY,
                   gzip: pw.Compression.GZIP, zstd: pw.Compression.ZSTD };
  for (const [cname, codec] of Object.entries(codecs))
    for (const ver of ['V1', 'V2'])
      for (const dict of ['dict', 'plain']) {
        const name = `w_${cname}_${ver}_${dict}`;
        let b = new pw.WriterPropertiesBuilder().setWriterVersion(pw.WriterVersion[ver]).setCompression(codec)
          .setMaxRowGroupSize(1500).setDataPageSizeLimit(4096).setWriteBatchSize(256);
        if (dict === 'plain') {
          b = b.setDictionaryEnabled(false).setColumnEncoding('s', pw.Encoding.DELTA_BYTE_ARRAY)
            .setColumnEncoding('id', pw.Encoding.DELTA_BINARY_PACKED).setColumnEncoding('i32', pw.Encoding.DELTA_BINARY_PACKED)
            .setColumnEncoding('f', pw.Encoding.BYTE_STREAM_SPLIT).setColumnEncoding('d', pw.Encoding.BYTE_STREAM_SPLIT);
        }
        const bytes = pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), b.build());
        writeFileSync(`${out}/${name}.parquet`, bytes);
        writeFileSync(`${out}/${name}.jsonl`, lines.join('\n') + '\n');
        writeFileSync(`${out}/${name}.pages`, ver === 'V2' ? 'v2\n' : 'v1\n');
        const r = await c.runAndReadAll(`SELECT path_in_schema, encodings, compression FROM parquet_metadata('${out}/${name}.parquet')`);
        writeFileSync(`${out}/${name}.enc`, r.getRows().map((x) => x.join('\t')).join('\n') + '\n');
        cases.push(name);
      }
}
writeFileSync(`${out}/cases.txt`, cases.join('\n') + '\n');
