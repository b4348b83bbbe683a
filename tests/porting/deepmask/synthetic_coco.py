"""A tiny synthetic COCO-format dataset for the deepmask port's tests (a stand-in for COCO 2014, not part of the
port): ``write(datadir, split, ...)`` writes ``annotations/instances_<split>2014.json`` and the images under
``<split>2014/``. Each image is grey noise with bright filled polygons (one per object, every one of COCO's 80
category ids used at least once), so an object's mask is what a net can learn to see."""
import json
import math
import os

import numpy

import legonn as lg
from legonn import image

from . import coco


def write(datadir, split, n_images=4, size=96, n_objects=80, seed=0):
    rng = numpy.random.RandomState(seed)
    os.makedirs(os.path.join(datadir, 'annotations'), exist_ok=True)
    os.makedirs(os.path.join(datadir, split + '2014'), exist_ok=True)
    images, annotations = [], []
    canvases = [rng.uniform(0.2, 0.4, (3, size, size)) for _ in range(n_images)]
    for k in range(n_objects):
        img = k % n_images
        m = numpy.zeros((1, 1), bool)
        while m.sum() < 150:   # DataSampler's maskSampling redraws its category's objects until one is this big
            r = rng.uniform(8, 18)
            cx, cy = rng.uniform(r, size - r, 2)
            angles = numpy.sort(rng.uniform(0, 2 * math.pi, 7))
            poly = numpy.stack([cx + r * numpy.cos(angles), cy + r * numpy.sin(angles)], 1).reshape(-1)
            R = coco.MaskApi.frPoly([lg.DoubleTensor(poly)], size, size)
            m = coco.MaskApi.decode(R)[0].numpy().astype(bool)
        canvases[img][:, m] = 0.9
        ys, xs = numpy.nonzero(m)
        x0, y0 = float(poly[0::2].min()), float(poly[1::2].min())
        annotations.append({'id': k + 1, 'image_id': img + 1, 'category_id': k % 80 + 1, 'iscrowd': 0,
                            'area': float(m.sum()), 'segmentation': [poly.tolist()],
                            'bbox': [x0, y0, float(poly[0::2].max()) - x0, float(poly[1::2].max()) - y0]})
    for i in range(n_images):
        name = 'COCO_%s2014_%012d.png' % (split, i + 1)
        image.save(os.path.join(datadir, split + '2014', name), lg.Tensor(canvases[i].astype(numpy.float32)))
        images.append({'id': i + 1, 'file_name': name, 'height': size, 'width': size})
    categories = [{'id': c + 1, 'name': 'cat%d' % (c + 1)} for c in range(80)]
    with open(os.path.join(datadir, 'annotations', 'instances_%s2014.json' % split), 'w') as f:
        json.dump({'images': images, 'annotations': annotations, 'categories': categories}, f)
