/*
 * data.h — readers and writers of outside data: caption rows (JSONL/CSV/TSV, parquet; gzip and
 * zstd streams), tar / webdataset shards, folders and the FaceID-6M release layout. Every
 * reader bounds what it allocates and turns malformed input into an error or a counted bad
 * row, never a crash. See DESIGN.md §3.
 */
#ifndef FSIFT_DATA_H
#define FSIFT_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/core.h"

/* ==== byte streams and caption rows: JSONL / CSV / TSV (owner: issue 5, caption filter) === */

/* ==== parquet (owner: issue 9, ingestion) ================================================= */

/* ==== tar / webdataset shards, folders, release layout (owner: issue 6, build) ============ */

#endif
