/*
 * facesift.h — the whole public API: include this one header.
 *
 * Subsystems (one header each): core.h (status, errors, logging, thread pool, .npy, files),
 * nn.h (the neural-network runtime), image.h (decode, resize, geometry, encode, draw), face.h
 * (detect, landmarks, align, embed), text.h (caption rule, CLIP tokenizer), data.h (rows,
 * parquet, tar/webdataset, release layout). Pipeline, release, fetch and eval headers join
 * as those subsystems land.
 */
#ifndef FACESIFT_H
#define FACESIFT_H

#include "facesift/core.h"
#include "facesift/image.h"
#include "facesift/nn.h"
#include "facesift/face.h"
#include "facesift/text.h"
#include "facesift/data.h"
#include "facesift/fetch.h"
#include "facesift/pipeline.h"
#include "facesift/release.h"
#include "facesift/eval.h"

#endif
