/*
 * parquet_meta.c — the Thrift compact protocol and the two parquet structures facesift reads
 * with it: the footer (FileMetaData: schema, row groups, column chunk metadata) and page
 * headers.
 *
 * The decoder is a cursor over a borrowed buffer. Every read checks the remaining bytes and
 * sets a sticky error flag instead of reading past the end; varints are at most 10 bytes;
 * nesting is bounded (64 levels); list counts are bounded by the bytes left (every element
 * takes at least one byte, bools in lists included), so a hostile footer cannot make the
 * parser allocate more than a small multiple of its own size. Unknown fields are skipped, as
 * Thrift requires, so files from newer writers still parse.
 */
#include <stdlib.h>
#include <string.h>

#include "data/parquet_internal.h"

#define TC_MAX_DEPTH 64

static uint64_t tc_varint(pq_tc *c) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (c->p >= c->end) {
            c->err = 1;
            return 0;
        }
        uint8_t b = *c->p++;
        if (shift == 63 && (b & 0x7e)) {
            c->err = 1;
            return 0;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    c->err = 1;
    return 0;
}

static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

int64_t pq_tc_int(pq_tc *c) { return unzigzag(tc_varint(c)); }

int64_t pq_tc_int_typed(pq_tc *c, int type) {
    if (type == TC_BYTE) {
        if (c->p >= c->end) {
            c->err = 1;
            return 0;
        }
        return (int8_t)*c->p++;
    }
    if (type == TC_I16 || type == TC_I32 || type == TC_I64) return pq_tc_int(c);
    c->err = 1; /* a field of the wrong type */
    return 0;
}

int pq_tc_bool(pq_tc *c, int type) {
    if (type == TC_TRUE) return 1;
    if (type == TC_FALSE) return 0;
    c->err = 1;
    return 0;
}

int pq_tc_field(pq_tc *c, int *last, int *id, int *type) {
    if (c->err || c->p >= c->end) {
        c->err = 1;
        return 0;
    }
    uint8_t b = *c->p++;
    *type = b & 0x0f;
    if (*type == TC_STOP) return 0;
    int delta = b >> 4;
    if (delta) *id = *last + delta;
    else *id = (int)pq_tc_int(c);
    *last = *id;
    if (*type > TC_STRUCT) {
        c->err = 1;
        return 0;
    }
    return !c->err;
}

const uint8_t *pq_tc_binary(pq_tc *c, size_t *len) {
    uint64_t n = tc_varint(c);
    if (c->err || n > (uint64_t)(c->end - c->p)) {
        c->err = 1;
        *len = 0;
        return NULL;
    }
    const uint8_t *s = c->p;
    c->p += n;
    *len = (size_t)n;
    return s;
}

int64_t pq_tc_list(pq_tc *c, int *etype) {
    if (c->p >= c->end) {
        c->err = 1;
        return 0;
    }
    uint8_t b = *c->p++;
    *etype = b & 0x0f;
    uint64_t n = b >> 4;
    if (n == 15) n = tc_varint(c);
    if (c->err || n > (uint64_t)(c->end - c->p) || *etype == TC_STOP || *etype > TC_STRUCT) {
        if (n != 0 || c->err) c->err = 1;
        return 0;
    }
    return (int64_t)n;
}

int pq_tc_struct_begin(pq_tc *c) {
    if (++c->depth > TC_MAX_DEPTH) c->err = 1;
    return !c->err;
}

void pq_tc_struct_end(pq_tc *c) { c->depth--; }

void pq_tc_skip(pq_tc *c, int type) {
    if (c->err) return;
    switch (type) {
    case TC_TRUE:
    case TC_FALSE:
        return;
    case TC_BYTE:
        if (c->p >= c->end) c->err = 1;
        else c->p++;
        return;
    case TC_I16:
    case TC_I32:
    case TC_I64:
        (void)tc_varint(c);
        return;
    case TC_DOUBLE:
        if (c->end - c->p < 8) c->err = 1;
        else c->p += 8;
        return;
    case TC_BINARY: {
        size_t n;
        (void)pq_tc_binary(c, &n);
        return;
    }
    case TC_LIST:
    case TC_SET: {
        int et;
        int64_t n = pq_tc_list(c, &et);
        if (!pq_tc_struct_begin(c)) return;
        for (int64_t i = 0; i < n && !c->err; i++) {
            if (et == TC_TRUE || et == TC_FALSE) pq_tc_skip(c, TC_BYTE); /* one byte each */
            else pq_tc_skip(c, et);
        }
        pq_tc_struct_end(c);
        return;
    }
    case TC_MAP: {
        uint64_t n = tc_varint(c);
        if (c->err || n == 0) return;
        if (n > (uint64_t)(c->end - c->p) || c->p >= c->end) {
            c->err = 1;
            return;
        }
        uint8_t kv = *c->p++;
        if (!pq_tc_struct_begin(c)) return;
        for (uint64_t i = 0; i < n && !c->err; i++) {
            int kt = kv >> 4, vt = kv & 15;
            pq_tc_skip(c, kt == TC_TRUE || kt == TC_FALSE ? TC_BYTE : kt);
            pq_tc_skip(c, vt == TC_TRUE || vt == TC_FALSE ? TC_BYTE : vt);
        }
        pq_tc_struct_end(c);
        return;
    }
    case TC_STRUCT: {
        if (!pq_tc_struct_begin(c)) return;
        int last = 0, id, t;
        while (pq_tc_field(c, &last, &id, &t)) pq_tc_skip(c, t);
        pq_tc_struct_end(c);
        return;
    }
    default:
        c->err = 1;
    }
}

/* ---- names ------------------------------------------------------------------------------- */

const char *pq_codec_name(int codec) {
    static const char *n[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
    return codec >= 0 && codec < 8 ? n[codec] : "unknown codec";
}

const char *pq_encoding_name(int enc) {
    static const char *n[] = {"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED",
                              "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
                              "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
    return enc >= 0 && enc < 10 ? n[enc] : "unknown encoding";
}

const char *pq_type_name(int type) {
    static const char *n[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY",
                              "FIXED_LEN_BYTE_ARRAY"};
    return type >= 0 && type < 8 ? n[type] : "unknown type";
}

/* ---- schema -------------------------------------------------------------------------------- */

typedef struct schema_el {
    int type, type_length, repetition, num_children, converted, logical_string, scale;
    const uint8_t *name;
    size_t name_len;
} schema_el;

static void parse_logical(pq_tc *c, schema_el *e) {
    /* LogicalType union: 1 STRING, 4 ENUM, 12 JSON mark text columns. */
    if (!pq_tc_struct_begin(c)) return;
    int last = 0, id, t;
    while (pq_tc_field(c, &last, &id, &t)) {
        if (t == TC_STRUCT && (id == 1 || id == 4 || id == 12)) e->logical_string = 1;
        pq_tc_skip(c, t);
    }
    pq_tc_struct_end(c);
}

static void parse_schema_el(pq_tc *c, schema_el *e) {
    memset(e, 0, sizeof *e);
    e->type = -1;
    e->converted = -1;
    if (!pq_tc_struct_begin(c)) return;
    int last = 0, id, t;
    while (pq_tc_field(c, &last, &id, &t)) {
        switch (id) {
        case 1: e->type = (int)pq_tc_int_typed(c, t); break;
        case 2: e->type_length = (int)pq_tc_int_typed(c, t); break;
        case 3: e->repetition = (int)pq_tc_int_typed(c, t); break;
        case 4:
            if (t != TC_BINARY) c->err = 1;
            else e->name = pq_tc_binary(c, &e->name_len);
            break;
        case 5: e->num_children = (int)pq_tc_int_typed(c, t); break;
        case 6: e->converted = (int)pq_tc_int_typed(c, t); break;
        case 7: e->scale = (int)pq_tc_int_typed(c, t); break;
        case 10:
            if (t == TC_STRUCT) parse_logical(c, e);
            else pq_tc_skip(c, t);
            break;
        default: pq_tc_skip(c, t);
        }
    }
    pq_tc_struct_end(c);
}

/* ---- row groups ------------------------------------------------------------------------------ */

static void parse_column_meta(pq_tc *c, pq_chunk_meta *m) {
    if (!pq_tc_struct_begin(c)) return;
    int last = 0, id, t;
    while (pq_tc_field(c, &last, &id, &t)) {
        switch (id) {
        case 1: m->type = (int)pq_tc_int_typed(c, t); break;
        case 4: m->codec = (int)pq_tc_int_typed(c, t); break;
        case 5: m->num_values = pq_tc_int_typed(c, t); break;
        case 6: m->total_uncompressed = pq_tc_int_typed(c, t); break;
        case 7: m->total_compressed = pq_tc_int_typed(c, t); break;
        case 9: m->data_page_offset = pq_tc_int_typed(c, t); break;
        case 11: m->dict_page_offset = pq_tc_int_typed(c, t); break;
        default: pq_tc_skip(c, t);
        }
    }
    pq_tc_struct_end(c);
}

static void parse_column_chunk(pq_tc *c, pq_chunk_meta *m, int *has_meta) {
    if (!pq_tc_struct_begin(c)) return;
    int last = 0, id, t;
    while (pq_tc_field(c, &last, &id, &t)) {
        if (id == 1 && t == TC_BINARY) {
            size_t n;
            (void)pq_tc_binary(c, &n);
            m->has_file_path = 1;
        } else if (id == 3 && t == TC_STRUCT) {
            parse_column_meta(c, m);
            *has_meta = 1;
        } else {
            pq_tc_skip(c, t);
        }
    }
    pq_tc_struct_end(c);
}

static fsift_status parse_row_group(pq_tc *c, pq_meta *m, pq_row_group *g) {
    if (!pq_tc_struct_begin(c)) return fsift_error(FSIFT_E_FORMAT, "parquet: footer nested too deep");
    int last = 0, id, t, seen_cols = 0;
    while (pq_tc_field(c, &last, &id, &t)) {
        if (id == 1 && t == TC_LIST && !seen_cols) {
            int et;
            int64_t n = pq_tc_list(c, &et);
            if (c->err) break;
            if (n != m->ncolumns || et != TC_STRUCT)
                return fsift_error(FSIFT_E_FORMAT, "parquet: a row group has %lld column chunks for %d columns",
                                   (long long)n, m->ncolumns);
            g->chunks = calloc((size_t)m->ncolumns > 0 ? (size_t)m->ncolumns : 1, sizeof *g->chunks);
            if (!g->chunks) return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
            for (int64_t i = 0; i < n && !c->err; i++) {
                int has_meta = 0;
                parse_column_chunk(c, &g->chunks[i], &has_meta);
                if (!c->err && !has_meta)
                    return fsift_error(FSIFT_E_UNSUPPORTED, "parquet: column chunk without metadata (encrypted "
                                                            "or external columns are not supported)");
            }
            seen_cols = 1;
        } else if (id == 3) {
            g->num_rows = pq_tc_int_typed(c, t);
        } else {
            pq_tc_skip(c, t);
        }
    }
    pq_tc_struct_end(c);
    if (c->err) return fsift_error(FSIFT_E_FORMAT, "parquet: malformed row group in the footer");
    if (!seen_cols) return fsift_error(FSIFT_E_FORMAT, "parquet: a row group lists no column chunks");
    if (g->num_rows < 0) return fsift_error(FSIFT_E_FORMAT, "parquet: a row group has a negative row count");
    return FSIFT_OK;
}

/* ---- FileMetaData ---------------------------------------------------------------------------- */

void pq_meta_free(pq_meta *m) {
    if (!m) return;
    if (m->names)
        for (int i = 0; i < m->ncolumns; i++) free(m->names[i]);
    free(m->names);
    free(m->cols);
    if (m->groups)
        for (int i = 0; i < m->nrow_groups; i++) free(m->groups[i].chunks);
    free(m->groups);
    memset(m, 0, sizeof *m);
}

static fsift_status build_columns(pq_meta *m, const schema_el *els, int64_t n) {
    if (n < 1 || els[0].num_children < 0 || els[0].num_children != n - 1) {
        for (int64_t i = 1; i < n; i++)
            if (els[i].num_children > 0) {
                return fsift_error(FSIFT_E_UNSUPPORTED, "parquet: column '%.*s' is a nested group; only flat "
                                                        "schemas (top-level primitive columns) are supported",
                                   (int)els[i].name_len, (const char *)els[i].name);
            }
        return fsift_error(FSIFT_E_FORMAT, "parquet: the schema's root declares %d children for %lld elements",
                           n ? els[0].num_children : 0, (long long)n - 1);
    }
    m->ncolumns = (int)(n - 1);
    m->cols = calloc((size_t)n, sizeof *m->cols);
    m->names = calloc((size_t)n, sizeof *m->names);
    if (!m->cols || !m->names) return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
    for (int i = 0; i < m->ncolumns; i++) {
        const schema_el *e = &els[i + 1];
        if (!e->name) return fsift_error(FSIFT_E_FORMAT, "parquet: schema element %d has no name", i + 1);
        m->names[i] = malloc(e->name_len + 1);
        if (!m->names[i]) return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
        memcpy(m->names[i], e->name, e->name_len);
        m->names[i][e->name_len] = 0;
        if (e->num_children > 0 || e->type < 0)
            return fsift_error(FSIFT_E_UNSUPPORTED, "parquet: column '%s' is a nested group; only flat schemas "
                                                    "(top-level primitive columns) are supported", m->names[i]);
        if (e->repetition == 2)
            return fsift_error(FSIFT_E_UNSUPPORTED, "parquet: column '%s' is REPEATED; only REQUIRED and OPTIONAL "
                                                    "columns are supported", m->names[i]);
        if (e->repetition < 0 || e->repetition > 2 || e->type > 7)
            return fsift_error(FSIFT_E_FORMAT, "parquet: column '%s' has an invalid type or repetition", m->names[i]);
        fsift_parquet_column_info *ci = &m->cols[i];
        ci->name = m->names[i];
        ci->type = e->type;
        ci->type_length = e->type == FSIFT_PQ_INT96 ? 12 : e->type_length;
        if (e->type == FSIFT_PQ_FIXED && (e->type_length <= 0 || e->type_length > (1 << 20)))
            return fsift_error(FSIFT_E_FORMAT, "parquet: column '%s' has fixed length %d", m->names[i], e->type_length);
        ci->optional = e->repetition == 1;
        ci->converted_type = e->converted;
        ci->decimal_scale = -1;
        if (e->converted == 5 && (e->type == FSIFT_PQ_INT32 || e->type == FSIFT_PQ_INT64)) {
            if (e->scale < 0 || e->scale > 18)
                return fsift_error(FSIFT_E_FORMAT, "parquet: column '%s' has decimal scale %d", m->names[i], e->scale);
            ci->decimal_scale = e->scale;
        }
        ci->is_string = e->type == FSIFT_PQ_BYTE_ARRAY &&
                        (e->logical_string || e->converted == 0 || e->converted == 4 || e->converted == 19);
    }
    return FSIFT_OK;
}

fsift_status pq_meta_parse(const uint8_t *footer, size_t size, pq_meta *m) {
    memset(m, 0, sizeof *m);
    pq_tc c = {footer, footer + size, 0, 0};
    schema_el *els = NULL;
    int64_t nels = 0;
    int seen_schema = 0, seen_groups = 0;
    fsift_status st = FSIFT_OK;
    int last = 0, id, t;
    pq_tc_struct_begin(&c);
    while (st == FSIFT_OK && pq_tc_field(&c, &last, &id, &t)) {
        if (id == 2 && t == TC_LIST && !seen_schema) {
            int et;
            nels = pq_tc_list(&c, &et);
            if (c.err || et != TC_STRUCT) break;
            els = calloc((size_t)nels + 1, sizeof *els);
            if (!els) {
                st = fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
                break;
            }
            for (int64_t i = 0; i < nels && !c.err; i++) parse_schema_el(&c, &els[i]);
            if (c.err) break;
            seen_schema = 1;
            st = build_columns(m, els, nels);
        } else if (id == 4 && t == TC_LIST && seen_schema && !seen_groups) {
            int et;
            int64_t n = pq_tc_list(&c, &et);
            if (c.err || (n && et != TC_STRUCT)) break;
            m->groups = calloc((size_t)n + 1, sizeof *m->groups);
            if (!m->groups) {
                st = fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
                break;
            }
            m->nrow_groups = (int)n;
            for (int64_t i = 0; i < n && st == FSIFT_OK; i++) st = parse_row_group(&c, m, &m->groups[i]);
            seen_groups = 1;
        } else if (id == 3) {
            m->num_rows = pq_tc_int_typed(&c, t);
        } else if (id == 4 && !seen_schema) {
            st = fsift_error(FSIFT_E_FORMAT, "parquet: row groups before the schema in the footer");
        } else {
            pq_tc_skip(&c, t);
        }
    }
    free(els);
    if (st == FSIFT_OK && c.err) st = fsift_error(FSIFT_E_FORMAT, "parquet: malformed footer (Thrift metadata)");
    if (st == FSIFT_OK && !seen_schema) st = fsift_error(FSIFT_E_FORMAT, "parquet: the footer has no schema");
    if (st == FSIFT_OK && m->ncolumns == 0) st = fsift_error(FSIFT_E_FORMAT, "parquet: the schema has no columns");
    if (st == FSIFT_OK) {
        int64_t total = 0;
        for (int i = 0; i < m->nrow_groups; i++) {
            total += m->groups[i].num_rows;
            if (total < 0 || m->groups[i].num_rows < 0) break;
        }
        if (total != m->num_rows)
            st = fsift_error(FSIFT_E_FORMAT, "parquet: the footer says %lld rows but its row groups hold %lld",
                             (long long)m->num_rows, (long long)total);
    }
    if (st != FSIFT_OK) pq_meta_free(m);
    return st;
}

/* ---- page headers ------------------------------------------------------------------------------ */

static void parse_page_sub(pq_tc *c, pq_page_header *h, int kind) {
    if (!pq_tc_struct_begin(c)) return;
    int last = 0, id, t;
    while (pq_tc_field(c, &last, &id, &t)) {
        if (kind == 5 && id == 1) h->num_values = pq_tc_int_typed(c, t);       /* DataPageHeader */
        else if (kind == 5 && id == 2) h->encoding = (int)pq_tc_int_typed(c, t);
        else if (kind == 5 && id == 3) h->def_encoding = (int)pq_tc_int_typed(c, t);
        else if (kind == 7 && id == 1) h->num_values = pq_tc_int_typed(c, t);  /* DictionaryPageHeader */
        else if (kind == 7 && id == 2) h->encoding = (int)pq_tc_int_typed(c, t);
        else if (kind == 8 && id == 1) h->num_values = pq_tc_int_typed(c, t);  /* DataPageHeaderV2 */
        else if (kind == 8 && id == 2) h->num_nulls = pq_tc_int_typed(c, t);
        else if (kind == 8 && id == 3) h->num_rows = pq_tc_int_typed(c, t);
        else if (kind == 8 && id == 4) h->encoding = (int)pq_tc_int_typed(c, t);
        else if (kind == 8 && id == 5) h->def_len = pq_tc_int_typed(c, t);
        else if (kind == 8 && id == 6) h->rep_len = pq_tc_int_typed(c, t);
        else if (kind == 8 && id == 7) h->is_compressed = pq_tc_bool(c, t);
        else pq_tc_skip(c, t);
    }
    pq_tc_struct_end(c);
}

fsift_status pq_page_header_parse(const uint8_t *p, size_t size, pq_page_header *h, size_t *hdr_len) {
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->is_compressed = 1;
    pq_tc c = {p, p + size, 0, 0};
    int last = 0, id, t, sub = 0;
    pq_tc_struct_begin(&c);
    while (pq_tc_field(&c, &last, &id, &t)) {
        if (id == 1) h->type = (int)pq_tc_int_typed(&c, t);
        else if (id == 2) h->uncompressed_size = pq_tc_int_typed(&c, t);
        else if (id == 3) h->compressed_size = pq_tc_int_typed(&c, t);
        else if ((id == 5 || id == 7 || id == 8) && t == TC_STRUCT) {
            parse_page_sub(&c, h, id);
            sub = id;
        } else pq_tc_skip(&c, t);
    }
    if (c.err) return fsift_error(FSIFT_E_FORMAT, "parquet: malformed page header");
    if (h->uncompressed_size < 0 || h->compressed_size < 0 || h->num_values < 0 || h->def_len < 0 ||
        h->rep_len < 0 || h->num_nulls < 0)
        return fsift_error(FSIFT_E_FORMAT, "parquet: page header with a negative size or count");
    if ((h->type == 0 && sub != 5) || (h->type == 2 && sub != 7) || (h->type == 3 && sub != 8))
        return fsift_error(FSIFT_E_FORMAT, "parquet: page header of type %d lacks its details", h->type);
    *hdr_len = (size_t)(c.p - p);
    return FSIFT_OK;
}
