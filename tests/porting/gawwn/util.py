"""util.lua: affine <-> normalized bounding-box conversions and drawing of boxes and keypoints on a 3 x H x W image.
Coordinates the Lua computes 1-based (pixel ``x`` of ``math.floor(bbox[1] * iW)``, keypoint pixels) keep their
values; an index into a tensor takes 1 off. ``bbox_to_affine`` and ``normalize_box`` are ported as written: the
first reads the undefined globals ``loc`` and ``loc_affine``, the second ``w_sc`` (nil in Lua: an arithmetic error
there, a NameError here); nothing in the repository calls either."""
import math

import legonn as lg


# returns bbox in normalized coordinates.
def affine_to_bbox(imgdim, affine):
    bbox = lg.zeros(4, affine.size(0))
    for b in range(bbox.size(1)):
        scale_Y = affine[b, 0, 0]
        scale_X = affine[b, 1, 1]
        t_y = affine[b, 0, 2]
        t_x = affine[b, 1, 2]

        bbox[0, b] = 0.5 + t_x / 2.0 - scale_X / 2.0
        bbox[1, b] = 0.5 + t_y / 2.0 - scale_Y / 2.0
        bbox[2, b] = scale_X
        bbox[3, b] = scale_Y
    return bbox


# assumes bbox is in normalized coordinates.
def bbox_to_affine(imgdim, bbox):
    affine = lg.zeros(bbox.size(1), 2, 3)
    for b in range(bbox.size(1)):
        b_x = bbox[0, b]
        b_y = bbox[1, b]
        bW = loc[2, b]  # noqa: F821 (the Lua's undefined global)
        bH = loc[3, b]  # noqa: F821
        t_x = 2 * ((b_x + bW / 2.0) - 0.5)
        t_y = 2 * ((b_y + bH / 2.0) - 0.5)
        scale_X = bW
        scale_Y = bH
        loc_affine[b, 0, 0] = scale_Y  # noqa: F821
        loc_affine[b, 1, 1] = scale_X  # noqa: F821
        loc_affine[b, 0, 2] = t_y  # noqa: F821
        loc_affine[b, 1, 2] = t_x  # noqa: F821
    return affine


def invert_affine(affine):
    inv_aff = affine.clone()
    for b in range(affine.size(0)):
        inv_aff[b, 0, 0] = 1.0 / affine[b, 0, 0]
        inv_aff[b, 1, 1] = 1.0 / affine[b, 1, 1]
        inv_aff[b, 0, 2] = -affine[b, 0, 2] / affine[b, 0, 0]
        inv_aff[b, 1, 2] = -affine[b, 1, 2] / affine[b, 1, 1]
    return inv_aff


def normalize_box(img, box):
    w_scale = box[2] / img.size(2)
    h_scale = box[3] / img.size(1)
    box[0] = box[0] * w_sc  # noqa: F821 (the Lua's nil global)
    box[1] = box[1] * h_scale
    box[2] = w_scale
    box[3] = h_scale
    return box


# assumes bbox is in normalized coordinates.
def draw_all_boxes(img, bbox, thickness):
    return img


def draw_keypoints(img, points, sz=None, thickness=None):
    sz = sz or 0.06
    thickness = thickness or 1
    iW = img.size(2)
    bW = math.floor(sz * iW * 0.5)
    iH = img.size(1)
    bH = math.floor(sz * iH * 0.5)

    for b in range(points.size(0)):
        if points[b, 2] > 0.5:
            box = lg.zeros(4)
            box[0] = (points[b, 0] - bW) / iW
            box[1] = (points[b, 1] - bH) / iH
            box[2] = bW * 2 / iW
            box[3] = bH * 2 / iH
            img = draw_box(img, box, thickness)
    return img


# assumes bbox is in normalized coordinates.
def draw_box(img, bbox, thickness=None):
    thickness = thickness or 3
    boxcolor = lg.zeros(3)
    boxcolor[2] = 1

    iW = img.size(2)
    iH = img.size(1)

    x = math.floor(bbox[0] * iW)
    y = math.floor(bbox[1] * iH)
    width = math.floor(bbox[2] * iW)
    height = math.floor(bbox[3] * iH)

    # top bar
    for n in range(1, width + 1):
        for t in range(1, thickness + 1):
            offset = -math.floor(thickness / 2) + (t - 1)
            if (y + offset) <= img.size(1) and (y + offset) >= 1:
                if x + n - 1 <= img.size(2) and (x + n - 1 > 0):
                    img[:, y + offset - 1, x + n - 2].copy(boxcolor)
    # bottom bar
    for n in range(1, width + 1):
        for t in range(1, thickness + 1):
            offset = -math.floor(thickness / 2) + (t - 1)
            if (y + height + offset) <= img.size(1) and (y + height + offset) >= 1:
                if x + n - 1 <= img.size(2) and (x + n - 1 > 0):
                    img[:, y + height + offset - 1, x + n - 2].copy(boxcolor)
    # left bar
    for n in range(1, height + 1):
        for t in range(1, thickness + 1):
            offset = -math.floor(thickness / 2) + (t - 1)
            if (x + offset) <= img.size(2) and (x + offset) >= 1:
                if y + n - 1 <= img.size(1) and (y + n - 1 > 0):
                    img[:, y + n - 2, x + offset - 1].copy(boxcolor)
    # right bar
    for n in range(1, height + 1):
        for t in range(1, thickness + 1):
            offset = -math.floor(thickness / 2) + (t - 1)
            if (x + width + offset) <= img.size(2) and (x + width + offset) >= 1:
                if y + n - 1 <= img.size(1) and (y + n - 1 > 0):
                    img[:, y + n - 2, x + width + offset - 1].copy(boxcolor)

    return img
