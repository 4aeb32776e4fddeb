/*
 * draw.c — drawing: InstantID's draw_kps control image with OpenCV-compatible rasterisation,
 * and clipped preview primitives (rectangles, discs, 5×7 bitmap text) for reports.
 *
 * draw_kps (REFERENCE.md) is reproduced pixel for pixel from OpenCV's documented behaviour:
 *  - ellipse2Poly(centre, (length/2, 4), angle, 0, 360, 1): points at whole degrees from a
 *    table of sines given to 7 decimals (as OpenCV's float table), rotated by the (integer)
 *    angle's table cos/sin, rounded half to even, consecutive duplicates dropped;
 *  - fillConvexPoly (8-connected, shift 0): the polygon's edges drawn as 8-connected
 *    Bresenham lines (clipped to the image as OpenCV clips them), then a scanline fill that
 *    walks the left and right chains from the top vertex in 16.16 fixed point and fills
 *    [round(xl), round(xr)] on each row;
 *  - the canvas, float in InstantID, is scaled by 0.6 and truncated: 255 → 153;
 *  - filled circles of radius 10 with OpenCV's midpoint circle (horizontal spans for the
 *    eight octants).
 * Every write is clipped to the image: any coordinates, however large or negative, are safe.
 * No global state; thread-safe.
 */
#include <math.h>
#include <string.h>

#include "facesift/image.h"
#include "image/font5x7.h"

#define XY_SHIFT 16
#define XY_ONE (1 << XY_SHIFT)

typedef struct pt {
    int64_t x, y;
} pt;

/* Pixel writers; all clip. */
static void put_px(fsift_image *img, int64_t x, int64_t y, const uint8_t *c) {
    if (x < 0 || y < 0 || x >= img->width || y >= img->height) return;
    uint8_t *p = img->data + (size_t)y * img->stride + (size_t)x * img->channels;
    if (img->channels == 3) {
        p[0] = c[0];
        p[1] = c[1];
        p[2] = c[2];
    } else {
        p[0] = c[0];
    }
}

static void hline(fsift_image *img, int64_t y, int64_t x1, int64_t x2, const uint8_t *c) {
    if (y < 0 || y >= img->height) return;
    if (x1 > x2) {
        int64_t t = x1;
        x1 = x2;
        x2 = t;
    }
    if (x2 < 0 || x1 >= img->width) return;
    if (x1 < 0) x1 = 0;
    if (x2 >= img->width) x2 = img->width - 1;
    uint8_t *p = img->data + (size_t)y * img->stride + (size_t)x1 * img->channels;
    for (int64_t x = x1; x <= x2; x++, p += img->channels) {
        p[0] = c[0];
        if (img->channels == 3) {
            p[1] = c[1];
            p[2] = c[2];
        }
    }
}

/* Cohen–Sutherland-style clipping of a segment to [0, w-1]×[0, h-1], as OpenCV's clipLine
 * (integer arithmetic, intersections computed from the original endpoints). Returns 0 when
 * nothing is visible. */
static int clip_line(int64_t w, int64_t h, int64_t *x1p, int64_t *y1p, int64_t *x2p, int64_t *y2p) {
    int64_t x1 = *x1p, y1 = *y1p, x2 = *x2p, y2 = *y2p;
    int64_t right = w - 1, bottom = h - 1;
    if (w <= 0 || h <= 0) return 0;
    int c1 = (x1 < 0) + (x1 > right) * 2 + (y1 < 0) * 4 + (y1 > bottom) * 8;
    int c2 = (x2 < 0) + (x2 > right) * 2 + (y2 < 0) * 4 + (y2 > bottom) * 8;
    if ((c1 & c2) == 0 && (c1 | c2) != 0) {
        int64_t a;
        if (c1 & 12) {
            a = c1 < 8 ? 0 : bottom;
            x1 += (int64_t)((double)(a - y1) * (x2 - x1) / (y2 - y1));
            y1 = a;
            c1 = (x1 < 0) + (x1 > right) * 2;
        }
        if (c2 & 12) {
            a = c2 < 8 ? 0 : bottom;
            x2 += (int64_t)((double)(a - y2) * (x2 - x1) / (y2 - y1));
            y2 = a;
            c2 = (x2 < 0) + (x2 > right) * 2;
        }
        if ((c1 & c2) == 0 && (c1 | c2) != 0) {
            if (c1) {
                a = c1 == 1 ? 0 : right;
                y1 += (int64_t)((double)(a - x1) * (y2 - y1) / (x2 - x1));
                x1 = a;
                c1 = 0;
            }
            if (c2) {
                a = c2 == 1 ? 0 : right;
                y2 += (int64_t)((double)(a - x2) * (y2 - y1) / (x2 - x1));
                x2 = a;
                c2 = 0;
            }
        }
    }
    *x1p = x1;
    *y1p = y1;
    *x2p = x2;
    *y2p = y2;
    return (c1 | c2) == 0;
}

/* 8-connected line from p1 to p2, always walked left to right after clipping. */
static void line8(fsift_image *img, int64_t x1, int64_t y1, int64_t x2, int64_t y2, const uint8_t *c) {
    if (!clip_line(img->width, img->height, &x1, &y1, &x2, &y2)) return;
    if (x2 < x1) {
        int64_t t = x1;
        x1 = x2;
        x2 = t;
        t = y1;
        y1 = y2;
        y2 = t;
    }
    int64_t dx = x2 - x1, dy = y2 - y1;
    int64_t sy = dy < 0 ? -1 : 1;
    if (dy < 0) dy = -dy;
    /* major axis steps every iteration; the minor axis steps when the error goes negative */
    int steep = dy > dx;
    int64_t major = steep ? dy : dx, minor = steep ? dx : dy;
    int64_t err = major - 2 * minor;
    int64_t x = x1, y = y1;
    for (int64_t i = 0; i <= major; i++) {
        put_px(img, x, y, c);
        if (err < 0) {
            err += 2 * major - 2 * minor;
            x++;
            y += sy;
        } else {
            err -= 2 * minor;
            if (steep)
                y += sy;
            else
                x++;
        }
    }
}

/* OpenCV-compatible fillConvexPoly (8-connected, shift 0). */
static void fill_convex_poly(fsift_image *img, const pt *v, int npts, const uint8_t *c) {
    if (npts <= 0) return;
    int imin = 0;
    int64_t xmin = v[0].x, xmax = v[0].x, ymin = v[0].y, ymax = v[0].y;
    pt p0 = v[npts - 1];
    for (int i = 0; i < npts; i++) {
        pt p = v[i];
        if (p.y < ymin) {
            ymin = p.y;
            imin = i;
        }
        if (p.y > ymax) ymax = p.y;
        if (p.x > xmax) xmax = p.x;
        if (p.x < xmin) xmin = p.x;
        line8(img, p0.x, p0.y, p.x, p.y, c);
        p0 = p;
    }
    if (npts < 3 || xmax < 0 || ymax < 0 || xmin >= img->width || ymin >= img->height) return;
    if (ymax > img->height - 1) ymax = img->height - 1;
    struct {
        int idx, di;
        int64_t x, dx, ye;
    } edge[2];
    int64_t y = ymin;
    int edges = npts;
    edge[0].idx = edge[1].idx = imin;
    edge[0].ye = edge[1].ye = y;
    edge[0].di = 1;
    edge[1].di = npts - 1;
    edge[0].x = edge[1].x = -XY_ONE;
    edge[0].dx = edge[1].dx = 0;
    do {
        for (int i = 0; i < 2; i++) {
            if (y >= edge[i].ye) {
                int idx0 = edge[i].idx, di = edge[i].di;
                int idx = idx0 + di;
                if (idx >= npts) idx -= npts;
                for (; edges-- > 0;) {
                    int64_t ty = v[idx].y;
                    if (ty > y) {
                        int64_t xs = v[idx0].x * XY_ONE, xe = v[idx].x * XY_ONE;
                        edge[i].ye = ty;
                        edge[i].dx = ((xe - xs) * 2 + (ty - y)) / (2 * (ty - y));
                        edge[i].x = xs;
                        edge[i].idx = idx;
                        break;
                    }
                    idx0 = idx;
                    idx += di;
                    if (idx >= npts) idx -= npts;
                }
            }
        }
        if (edges < 0) break;
        if (y >= 0) {
            int left = edge[0].x > edge[1].x ? 1 : 0, right = 1 - left;
            int64_t xx1 = (edge[left].x + (XY_ONE >> 1)) >> XY_SHIFT;
            int64_t xx2 = (edge[right].x + (XY_ONE >> 1)) >> XY_SHIFT;
            if (xx2 >= 0 && xx1 < img->width) hline(img, y, xx1, xx2, c);
        }
        edge[0].x += edge[0].dx;
        edge[1].x += edge[1].dx;
    } while (++y <= ymax);
}

/* OpenCV's filled circle (midpoint algorithm, horizontal spans). */
static void fill_circle(fsift_image *img, int64_t cx, int64_t cy, int64_t radius, const uint8_t *c) {
    int64_t err = 0, dx = radius, dy = 0, plus = 1, minus = (radius << 1) - 1;
    while (dx >= dy) {
        hline(img, cy - dy, cx - dx, cx + dx, c);
        hline(img, cy + dy, cx - dx, cx + dx, c);
        hline(img, cy - dx, cx - dy, cx + dy, c);
        hline(img, cy + dx, cx - dy, cx + dy, c);
        dy++;
        err += plus;
        plus += 2;
        int64_t mask = (err <= 0) - 1;
        err -= minus & mask;
        dx += mask;
        minus -= mask & 2;
    }
}

/* ellipse2Poly(center, axes, angle, 0, 360, 1) with integer output points. */
static int ellipse_poly(int64_t cx, int64_t cy, int64_t ax, int64_t ay, int angle, pt *out) {
    float tab[451];
    for (int i = 0; i <= 450; i++) {
        double s = sin((double)i * (3.14159265358979323846 / 180.0));
        tab[i] = (float)(nearbyint(s * 1e7) / 1e7);
    }
    while (angle < 0) angle += 360;
    while (angle > 360) angle -= 360;
    float alpha = tab[450 - angle], beta = tab[angle]; /* cos, sin */
    int n = 0;
    int64_t px = INT64_MIN, py = INT64_MIN;
    for (int i = 0; i <= 360; i++) {
        double x = (double)ax * tab[450 - i];
        double y = (double)ay * tab[i];
        double fx = (double)cx + x * alpha - y * beta;
        double fy = (double)cy + x * beta + y * alpha;
        int64_t ix = (int64_t)nearbyint(fx), iy = (int64_t)nearbyint(fy);
        if (ix != px || iy != py) {
            out[n].x = ix;
            out[n].y = iy;
            n++;
            px = ix;
            py = iy;
        }
    }
    if (n == 1) {
        out[0].x = out[1].x = cx;
        out[0].y = out[1].y = cy;
        n = 2;
    }
    return n;
}

/* Python's int(float): truncation toward zero, clamped so that absurd values stay finite. */
static int64_t py_int(double v) {
    if (!(v == v)) return 0;
    if (v > 1e12) return (int64_t)1e12;
    if (v < -1e12) return (int64_t)-1e12;
    return (int64_t)v;
}

fsift_status fsift_draw_kps(int width, int height, const float kps[5][2], fsift_image *out) {
    static const uint8_t colors[5][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {255, 0, 255}};
    static const int limbs[4][2] = {{0, 2}, {1, 2}, {3, 2}, {4, 2}};
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "draw_kps: out is NULL");
    memset(out, 0, sizeof *out);
    if (!kps) return fsift_error(FSIFT_E_INVALID_ARG, "draw_kps: kps is NULL");
    for (int i = 0; i < 5; i++)
        if (!isfinite(kps[i][0]) || !isfinite(kps[i][1]) || fabsf(kps[i][0]) > 1e9f || fabsf(kps[i][1]) > 1e9f)
            return fsift_error(FSIFT_E_INVALID_ARG, "draw_kps: landmark %d is not a finite coordinate", i);
    fsift_status st = fsift_image_new(width, height, 3, out);
    if (st) return st;
    pt poly[362];
    for (int l = 0; l < 4; l++) {
        const float *a = kps[limbs[l][0]], *b = kps[limbs[l][1]];
        double x0 = a[0], y0 = a[1], x1 = b[0], y1 = b[1];
        double len = sqrt((x0 - x1) * (x0 - x1) + (y0 - y1) * (y0 - y1));
        double ang = atan2(y0 - y1, x0 - x1) * (180.0 / 3.14159265358979323846);
        int64_t cx = py_int((x0 + x1) / 2.0), cy = py_int((y0 + y1) / 2.0);
        int n = ellipse_poly(cx, cy, py_int(len / 2.0), 4, (int)py_int(ang), poly);
        fill_convex_poly(out, poly, n, colors[limbs[l][0]]);
    }
    uint8_t dim[256]; /* (uint8)(v * 0.6) as NumPy computes it on the float canvas */
    for (int v = 0; v < 256; v++) dim[v] = (uint8_t)((double)v * 0.6);
    size_t rowlen = (size_t)width * 3;
    for (int y = 0; y < height; y++) {
        uint8_t *p = out->data + (size_t)y * out->stride;
        for (size_t i = 0; i < rowlen; i++) p[i] = dim[p[i]];
    }
    for (int i = 0; i < 5; i++) fill_circle(out, py_int(kps[i][0]), py_int(kps[i][1]), 10, colors[i]);
    return FSIFT_OK;
}

static int image_ok(const fsift_image *img) {
    return img && img->data && img->width > 0 && img->height > 0 &&
           (img->channels == 3 || img->channels == 1) &&
           img->stride >= (size_t)img->width * (size_t)img->channels;
}

static void fill_rect(fsift_image *img, int64_t x1, int64_t y1, int64_t x2, int64_t y2, const uint8_t *c) {
    if (y1 < 0) y1 = 0;
    if (y2 > img->height - 1) y2 = img->height - 1;
    for (int64_t y = y1; y <= y2; y++) hline(img, y, x1, x2, c);
}

void fsift_draw_rect(fsift_image *img, int x1, int y1, int x2, int y2, const uint8_t rgb[3], int thickness) {
    if (!image_ok(img) || !rgb) return;
    if (thickness < 1) thickness = 1;
    if (thickness > 1 << 20) thickness = 1 << 20;
    int64_t ax = x1 < x2 ? x1 : x2, bx = x1 < x2 ? x2 : x1;
    int64_t ay = y1 < y2 ? y1 : y2, by = y1 < y2 ? y2 : y1;
    int64_t t = thickness - 1;
    fill_rect(img, ax, ay, bx, ay + t, rgb);       /* top */
    fill_rect(img, ax, by - t, bx, by, rgb);       /* bottom */
    fill_rect(img, ax, ay, ax + t, by, rgb);       /* left */
    fill_rect(img, bx - t, ay, bx, by, rgb);       /* right */
}

void fsift_draw_disc(fsift_image *img, float cx, float cy, float radius, const uint8_t rgb[3]) {
    if (!image_ok(img) || !rgb || !isfinite(cx) || !isfinite(cy) || !isfinite(radius) || radius < 0) return;
    double r2 = (double)radius * radius;
    double y0 = floor(cy - radius), y1 = ceil(cy + radius);
    if (y0 < 0) y0 = 0;
    if (y1 > img->height - 1) y1 = img->height - 1;
    for (double y = y0; y <= y1; y++) {
        double dy = y + 0.5 - cy;
        double h = r2 - dy * dy;
        if (h < 0) continue;
        h = sqrt(h);
        double xa = ceil(cx - h - 0.5), xb = floor(cx + h - 0.5);
        if (xb < 0 || xa > img->width - 1 || xa > xb) continue;
        hline(img, (int64_t)y, (int64_t)(xa < 0 ? 0 : xa), (int64_t)(xb > img->width ? img->width : xb), rgb); /* hline clips */
    }
}

void fsift_draw_text(fsift_image *img, int x, int y, const char *text, const uint8_t rgb[3], int scale) {
    if (!image_ok(img) || !text || !rgb) return;
    if (scale < 1) scale = 1;
    if (scale > 256) scale = 256;
    int64_t pen = x, top = y;
    for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
        unsigned ch = *s;
        if (ch == '\n') {
            pen = x;
            top += 8 * (int64_t)scale;
            continue;
        }
        if (ch < 32 || ch > 126) ch = '?';
        const uint8_t *g = fsift_font5x7[ch - 32];
        for (int r = 0; r < 7; r++)
            for (int col = 0; col < 5; col++)
                if (g[r] & (0x10 >> col)) {
                    int64_t px = pen + (int64_t)col * scale, py = top + (int64_t)r * scale;
                    fill_rect(img, px, py, px + scale - 1, py + scale - 1, rgb);
                }
        pen += 6 * (int64_t)scale;
        if (pen > (int64_t)img->width + 16 * (int64_t)scale && pen > x) {
            /* the rest of this line is off the image: skip to the next line or the end */
            while (s[1] && s[1] != '\n') s++;
        }
    }
}
