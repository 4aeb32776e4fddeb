/*
 * eval_internal.h — shared inside src/eval/: the list of items to evaluate (items.c reads a
 * manifest or matches folders by name; run.c scores them and writes the results).
 */
#ifndef FSIFT_EVAL_INTERNAL_H
#define FSIFT_EVAL_INTERNAL_H

#include "facesift/eval.h"

typedef struct eval_item {
    int line;          /* manifest line (1-based) or position in the folder listing */
    char *generated;   /* paths resolved against the manifest's folder; NULL when missing */
    char *reference;
    char *prompt;      /* NULL: no prompt (CLIP-T not computed for this item) */
    char *error;       /* a bad line: why (the item is reported, not scored) */
} eval_item;

typedef struct eval_items {
    eval_item *v;
    int n, cap;
} eval_items;

/* Both report each bad line on stderr (unless quiet) and keep it as an item with error set;
 * only an unreadable manifest / folder is an error. */
fsift_status eval_items_from_manifest(const char *path, eval_items *out, int quiet);
/* The same from memory (borrowed; fuzz_eval_manifest); base_dir may be "". */
fsift_status eval_items_from_manifest_memory(const char *data, size_t len, const char *base_dir, eval_items *out,
                                             int quiet);
fsift_status eval_items_from_dirs(const char *generated_dir, const char *reference, const char *prompts,
                                  eval_items *out, int quiet);
void eval_items_free(eval_items *it);

/* mkdir -p */
fsift_status eval_mkdirs(const char *dir);

#endif
