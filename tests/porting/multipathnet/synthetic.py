"""STAND-INS for the test (not part of the port, not part of legonn): a small COCO-format detection set with
its proposal files, and a small trunk of VGG16's module layout for ``data/models/imagenet_pretrained_vgg.t7``.

``write(root, split, n_images, n_files, seed)`` writes ``data/annotations/instances_<split>2014.json`` (COCO's
80 categories; objects are filled rectangles whose colour says their category, of categories 1 to 3 only),
the first ``n_files`` images under ``<split>2014/`` (DataSetJSON reads the annotations and proposals of every
image, BatchProviderROI:setupData those of the first 1000, but only sampled images are loaded), and
``data/proposals/coco/deepmask/<split>.t7``: per image, boxes ``(y1, x1, y2, x2)`` (the proposal files'
order, which DataSetJSON permutes) near each object and at random, with scores.

``vgg_standin()`` is VGG16's 30 feature modules (13 convolutions with ReLUs, 4 max poolings, so conv5 is at
stride 16 as inn.ROIPooling(7, 7, 1/16) expects) with 4 to 16 planes, and a classifier top ending in 4096
features (models/vgg.lua's classAndBBoxLinear(4096)), in the ``{features = {model = ...}, top = {model =
...}}`` tables utils.safe_unpack reads."""
import json
import os

import numpy

import legonn as lg
from legonn import image, nn

COLOURS = {1: (0.9, 0.1, 0.1), 2: (0.1, 0.9, 0.1), 3: (0.1, 0.1, 0.9)}


def write(root, split, n_images=1000, n_files=6, size=64, seed=0):
    rng = numpy.random.RandomState(seed)
    ann_dir = os.path.join(root, 'data', 'annotations')
    img_dir = os.path.join(root, split + '2014')
    prop_dir = os.path.join(root, 'data', 'proposals', 'coco', 'deepmask')
    for d in (ann_dir, img_dir, prop_dir):
        os.makedirs(d, exist_ok=True)
    images, annotations, proposals, scores, names = [], [], [], [], []
    for i in range(n_images):
        name = 'COCO_%s2014_%012d.png' % (split, i + 1)
        canvas = rng.uniform(0.3, 0.5, (3, size, size))
        boxes = []
        for k in range(rng.randint(1, 3)):
            w, h = rng.randint(14, 30, 2)
            x, y = rng.randint(0, size - w), rng.randint(0, size - h)
            cat = int(rng.randint(1, 4))
            canvas[:, y:y + h, x:x + w] = numpy.asarray(COLOURS[cat])[:, None, None]
            annotations.append({'id': len(annotations) + 1, 'image_id': i + 1, 'category_id': cat, 'iscrowd': 0,
                                'area': float(w * h), 'bbox': [float(x), float(y), float(w), float(h)]})
            boxes.append((x, y, x + w - 1, y + h - 1))
        if i < n_files:
            image.save(os.path.join(img_dir, name), lg.Tensor(canvas.astype(numpy.float32)))
        props = []
        for (x1, y1, x2, y2) in boxes:
            for _ in range(6):
                jitter = rng.uniform(-3, 3, 4)
                props.append((y1 + jitter[1], x1 + jitter[0], y2 + jitter[3], x2 + jitter[2]))
        for _ in range(24):
            x1, y1 = rng.uniform(0, size - 12, 2)
            w, h = rng.uniform(8, size / 2, 2)
            props.append((y1, x1, min(size - 1, y1 + h), min(size - 1, x1 + w)))
        proposals.append(lg.FloatTensor(numpy.asarray(props, dtype=numpy.float32)))
        scores.append(lg.FloatTensor(rng.uniform(0, 1, len(props)).astype(numpy.float32)))
        names.append(name)
        images.append({'id': i + 1, 'file_name': name, 'height': size, 'width': size})
    categories = [{'id': c + 1, 'name': 'cat%d' % (c + 1)} for c in range(80)]
    with open(os.path.join(ann_dir, 'instances_%s2014.json' % split), 'w') as f:
        json.dump({'images': images, 'annotations': annotations, 'categories': categories}, f)
    lg.save(os.path.join(prop_dir, split + '.t7'), {'boxes': proposals, 'scores': scores, 'images': names})
    return img_dir


def vgg_standin():
    features = nn.Sequential()
    planes = [(3, 4), (4, 4), None, (4, 8), (8, 8), None, (8, 8), (8, 8), (8, 8), None,
              (8, 16), (16, 16), (16, 16), None, (16, 16), (16, 16), (16, 16)]
    for p in planes:
        if p is None:
            features.add(nn.SpatialMaxPooling(2, 2, 2, 2))
        else:
            features.add(nn.SpatialConvolution(p[0], p[1], 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    assert len(features.modules) == 30
    top = (nn.Sequential()
           .add(nn.Linear(16 * 7 * 7, 64)).add(nn.ReLU(True)).add(nn.Dropout(0.5))
           .add(nn.Linear(64, 4096)).add(nn.ReLU(True)).add(nn.Dropout(0.5)))
    return {'features': {'model': features}, 'top': {'model': top}}


def vgg_conv345_standin():
    """The VGG16 layout of ``vgg_standin`` with VGG16's own widths where models/multipathnet.lua's
    conv345Combine reads them (256 planes out of conv3, 512 out of conv4 and conv5) and a classifier from
    512 x 7 x 7 to 4096, few planes elsewhere."""
    features = nn.Sequential()
    planes = [(3, 4), (4, 4), None, (4, 8), (8, 8), None, (8, 8), (8, 8), (8, 256), None,
              (256, 8), (8, 8), (8, 512), None, (512, 8), (8, 8), (8, 512)]
    for p in planes:
        if p is None:
            features.add(nn.SpatialMaxPooling(2, 2, 2, 2))
        else:
            features.add(nn.SpatialConvolution(p[0], p[1], 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    assert len(features.modules) == 30
    top = (nn.Sequential()
           .add(nn.Linear(512 * 7 * 7, 16)).add(nn.ReLU(True)).add(nn.Dropout(0.5))
           .add(nn.Linear(16, 4096)).add(nn.ReLU(True)).add(nn.Dropout(0.5)))
    return {'features': {'model': features}, 'top': {'model': top}}


def _basic_block(nin, nout, stride):
    s = (nn.Sequential()
         .add(nn.SpatialConvolution(nin, nout, 3, 3, stride, stride, 1, 1)).add(nn.SpatialBatchNormalization(nout))
         .add(nn.ReLU(True))
         .add(nn.SpatialConvolution(nout, nout, 3, 3, 1, 1, 1, 1)).add(nn.SpatialBatchNormalization(nout)))
    shortcut = nn.Identity() if nin == nout and stride == 1 else (
        nn.Sequential().add(nn.SpatialConvolution(nin, nout, 1, 1, stride, stride)).add(nn.SpatialBatchNormalization(nout)))
    return nn.Sequential().add(nn.ConcatTable().add(s).add(shortcut)).add(nn.CAddTable(True)).add(nn.ReLU(True))


def resnet18_standin():
    """fb.resnet.torch's ImageNet ResNet-18 module layout (conv1, its batch normalisation, ReLU, max pooling,
    four stages of one basic block, average pooling 7x7, View, Linear) with 8 to 64 planes, batch
    normalisations with random running statistics, in evaluate mode."""
    model = (nn.Sequential()
             .add(nn.SpatialConvolution(3, 8, 7, 7, 2, 2, 3, 3)).add(nn.SpatialBatchNormalization(8)).add(nn.ReLU(True))
             .add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
             .add(nn.Sequential().add(_basic_block(8, 8, 1)))
             .add(nn.Sequential().add(_basic_block(8, 16, 2)))
             .add(nn.Sequential().add(_basic_block(16, 32, 2)))
             .add(nn.Sequential().add(_basic_block(32, 64, 2)))
             .add(nn.SpatialAveragePooling(7, 7, 1, 1))
             .add(nn.View(64).setNumInputDims(3))
             .add(nn.Linear(64, 10)))
    for bn in model.findModules('nn.SpatialBatchNormalization')[0]:
        bn.running_mean.uniform(-0.1, 0.1)
        bn.running_var.uniform(0.5, 1.5)
        bn.weight.uniform(0.5, 1.5)
        bn.bias.uniform(-0.1, 0.1)
    return model.evaluate()
