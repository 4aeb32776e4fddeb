/*
 * decode_gif.c — the first frame of a GIF with giflib's low-level reader (never DGifSlurp,
 * which would read every frame of an animation into memory). The logical screen size is the
 * image size (as Pillow's GifImagePlugin reports it) and is checked against the limits before
 * anything is allocated. Records are read up to the first image descriptor, keeping the
 * Graphics Control Extension's transparent index; the frame's rows (Adam-style GIF
 * interlacing handled: passes start at 0, 4, 2, 1 with steps 8, 8, 4, 2) are mapped through
 * the local or global colour table. Transparent pixels are white (alpha onto white, as for
 * PNG); the screen area outside the frame is white when the frame has a transparent index
 * and the background colour otherwise (as Pillow 9.4 fills frame 0); indices past the colour
 * table are black.
 *
 * Truncated data is an error unless allow_truncated, which keeps the rows read so far (the
 * others keep the fill above). Thread-safe: one GifFileType per call, reading from memory.
 */
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

#include "image/image_internal.h"

typedef struct mem_reader {
    const uint8_t *data;
    size_t size, pos;
} mem_reader;

static int read_mem(GifFileType *g, GifByteType *buf, int n) {
    mem_reader *r = g->UserData;
    if (n <= 0) return 0;
    size_t left = r->size - r->pos, k = (size_t)n < left ? (size_t)n : left;
    memcpy(buf, r->data + r->pos, k);
    r->pos += k;
    return (int)k;
}

static fsift_status open_gif(const uint8_t *data, size_t size, mem_reader *r, GifFileType **out,
                             fsift_image_info *info) {
    r->data = data, r->size = size, r->pos = 0;
    int err = 0;
    GifFileType *g = DGifOpen(r, read_mem, &err);
    if (!g) return fsift_error(FSIFT_E_FORMAT, "gif: %s", GifErrorString(err));
    info->format = FSIFT_IMG_GIF;
    info->width = g->SWidth;
    info->height = g->SHeight;
    info->orientation = 1;
    *out = g;
    return FSIFT_OK;
}

fsift_status img_gif_probe(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                           fsift_image_info *info) {
    mem_reader r;
    GifFileType *g = NULL;
    fsift_status st = open_gif(data, size, &r, &g, info);
    if (!st) DGifCloseFile(g, NULL);
    return st;
}

static fsift_status gif_err(GifFileType *g, const char *what) {
    return fsift_error(FSIFT_E_FORMAT, "gif: %s: %s", what, GifErrorString(g->Error));
}

fsift_status img_gif_decode(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                            fsift_image *out, fsift_image_info *info) {
    memset(out, 0, sizeof *out);
    mem_reader r;
    GifFileType *g = NULL;
    fsift_status st = open_gif(data, size, &r, &g, info);
    if (st) return st;
    st = img_check_size(g->SWidth, g->SHeight, o, "gif");
    if (st) {
        DGifCloseFile(g, NULL);
        return st;
    }
    fsift_image img;
    memset(&img, 0, sizeof img);
    uint8_t *line = NULL;
    int transparent = -1;
    GifRecordType rt;
    for (;;) {
        if (DGifGetRecordType(g, &rt) == GIF_ERROR) {
            st = gif_err(g, "reading records");
            goto done;
        }
        if (rt == TERMINATE_RECORD_TYPE) {
            st = fsift_error(FSIFT_E_FORMAT, "gif: no image in the file");
            goto done;
        }
        if (rt == EXTENSION_RECORD_TYPE) {
            int code;
            GifByteType *ext;
            if (DGifGetExtension(g, &code, &ext) == GIF_ERROR) {
                st = gif_err(g, "extension");
                goto done;
            }
            if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4)
                transparent = (ext[1] & 1) ? ext[4] : -1;
            while (ext) {
                if (DGifGetExtensionNext(g, &ext) == GIF_ERROR) {
                    st = gif_err(g, "extension data");
                    goto done;
                }
            }
            continue;
        }
        if (rt == IMAGE_DESC_RECORD_TYPE) break;
    }
    if (DGifGetImageDesc(g) == GIF_ERROR) {
        st = gif_err(g, "image descriptor");
        goto done;
    }
    const int W = g->SWidth, H = g->SHeight;
    const int fl = g->Image.Left, ft = g->Image.Top, fw = g->Image.Width, fh = g->Image.Height;
    if (fw <= 0 || fh <= 0) {
        st = fsift_error(FSIFT_E_FORMAT, "gif: first frame has no pixels (%dx%d)", fw, fh);
        goto done;
    }
    const ColorMapObject *cm = g->Image.ColorMap ? g->Image.ColorMap : g->SColorMap;
    uint8_t pal[256][3];
    memset(pal, 0, sizeof pal);
    if (cm && cm->Colors)
        for (int i = 0; i < cm->ColorCount && i < 256; i++)
            pal[i][0] = cm->Colors[i].Red, pal[i][1] = cm->Colors[i].Green,
            pal[i][2] = cm->Colors[i].Blue;
    if (transparent >= 0) pal[transparent][0] = pal[transparent][1] = pal[transparent][2] = 255;
    if ((st = img_alloc(W, H, 3, &img))) goto done;
    /* The screen outside the frame: transparent (→ white) when the frame has a transparent
     * index, else the background colour through the frame's colour table (Pillow 9.4). */
    if (transparent >= 0) {
        memset(img.data, 255, img.stride * (size_t)H);
    } else {
        const uint8_t *bg = pal[g->SBackGroundColor & 255];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                uint8_t *q = img.data + (size_t)y * img.stride + 3 * (size_t)x;
                q[0] = bg[0], q[1] = bg[1], q[2] = bg[2];
            }
    }
    if (!(line = malloc((size_t)fw))) {
        st = fsift_error(FSIFT_E_NOMEM, "gif: out of memory");
        goto done;
    }
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    const int passes = g->Image.Interlace ? 4 : 1;
    for (int p = 0; p < passes; p++) {
        int y0 = g->Image.Interlace ? start[p] : 0, dy = g->Image.Interlace ? step[p] : 1;
        for (int fy = y0; fy < fh; fy += dy) {
            if (DGifGetLine(g, line, fw) == GIF_ERROR) {
                if (o->allow_truncated) goto done; /* keep what was read */
                st = gif_err(g, "image data (truncated or corrupt)");
                goto done;
            }
            int y = ft + fy;
            if (y < 0 || y >= H) continue;
            uint8_t *d = img.data + (size_t)y * img.stride;
            for (int fx = 0; fx < fw; fx++) {
                int x = fl + fx;
                if (x >= W) break;
                const uint8_t *c = pal[line[fx]];
                d[3 * x] = c[0], d[3 * x + 1] = c[1], d[3 * x + 2] = c[2];
            }
        }
    }
done:
    free(line);
    DGifCloseFile(g, NULL);
    if (st) fsift_image_free(&img);
    else *out = img;
    return st;
}
