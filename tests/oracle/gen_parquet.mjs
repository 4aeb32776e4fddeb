// gen_parquet.mjs OUTDIR — writes parquet files with DuckDB (an independent writer) and, beside
// each NAME.parquet, NAME.jsonl: the same table exported by DuckDB as JSON lines (from the
// in-memory table, not from the parquet file), plus NAME.enc: the encodings DuckDB reports
// for each column chunk. Used by tests/script_parquet_oracle.sh.
//
// Cases: every codec (uncompressed, snappy, gzip, zstd) x writer version (V1 = data page v1,
// V2 = data page v2 with DELTA_* and BYTE_STREAM_SPLIT encodings), dictionary and plain
// (DICTIONARY_SIZE_LIMIT 1) strings, nulls in every type, several row groups; a LAION-shaped
// file; a nested (STRUCT) and a LIST file, which must be refused with a clear error.
import { DuckDBInstance } from '@duckdb/node-api';
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
writeFileSync(`${out}/cases.txt`, cases.join('\n') + '\n');
