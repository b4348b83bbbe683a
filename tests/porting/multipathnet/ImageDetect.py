"""ImageDetect.lua: detection of one image: rescale it (``scale`` list, ``max_size``), project its proposals,
run the model (in chunks of 500 rois past its first module), softmax the class scores and decode the boxes.
0-based rois (``fill(0)`` for the image, coordinates ``cmul(scale)``)."""
import legonn as lg
from legonn import nn, image

from . import utils


class ImageDetect:

    def __init__(self, model, transformer, scale=None, max_size=None, opt=None):
        assert model, 'must provide model!'
        assert transformer, 'must provide transformer!'
        self.model = model
        self.image_transformer = transformer
        self.scale = scale or [600]
        self.max_size = max_size or 1000
        self.sm = nn.SoftMax().cuda()
        self.opt = opt

    def memoryEfficientForward(self, model, input, bs, recompute_features=None):
        images = input[0]
        rois = input[1]
        recompute_features = True if recompute_features is None else recompute_features
        assert model.output[0].numel() > 0

        rest = nn.Sequential()
        for i in range(1, len(model.modules)):
            rest.add(model.get(i))
        final = model.get(len(model.modules) - 1)

        # assuming the net has bbox regression part
        if getattr(self, 'output', None) is None:
            self.output = [lg.CudaTensor(), lg.CudaTensor()]
        num_classes = self.model.output[0].size(1)
        self.output[0].resize(rois.size(0), num_classes)
        self.output[1].resize(rois.size(0), num_classes * 4)

        if recompute_features:
            model.get(0).forward([images, rois])
        else:
            model.get(0).output[1] = rois

        features = model.get(0).output
        assert features[1].size(0) == rois.size(0)

        roi_split = features[1].split(bs, 0)
        output1_split = self.output[0].split(bs, 0)
        output2_split = self.output[1].split(bs, 0)

        for i, v in enumerate(roi_split):
            out = rest.forward([features[0], v])
            output1_split[i].copy(out[0])
            output2_split[i].copy(out[1])

        return self.output

    def computeRawOutputs(self, im, boxes, min_images=None, recompute_features=None):
        self.model.evaluate()

        inputs = [lg.FloatTensor(), lg.FloatTensor()]
        im_scales = getImages(self, inputs[0], im)
        inputs[1] = project_im_rois(boxes, im_scales)
        if min_images:
            assert inputs[0].size(0) == 1
            inputs[0] = inputs[0].expand(min_images, inputs[0].size(1), inputs[0].size(2), inputs[0].size(3))

        if getattr(self, 'inputs_cuda', None) is None:
            self.inputs_cuda = [lg.CudaTensor(), lg.CudaTensor()]
        self.inputs_cuda[0].resize(inputs[0].size()).copy(inputs[0])
        self.inputs_cuda[1].resize(inputs[1].size()).copy(inputs[1])

        return self.model.forward(self.inputs_cuda)

    # supposes boxes is in [x1,y1,x2,y2] format
    def detect(self, im, boxes, min_images=None, recompute_features=None):
        self.model.evaluate()

        inputs = [lg.FloatTensor(), lg.FloatTensor()]
        im_scales = getImages(self, inputs[0], im)
        inputs[1] = project_im_rois(boxes, im_scales)
        if min_images:
            assert inputs[0].size(0) == 1
            inputs[0] = inputs[0].expand(min_images, inputs[0].size(1), inputs[0].size(2), inputs[0].size(3))

        if getattr(self, 'inputs_cuda', None) is None:
            self.inputs_cuda = [lg.CudaTensor(), lg.CudaTensor()]
        self.inputs_cuda[0].resize(inputs[0].size()).copy(inputs[0])
        self.inputs_cuda[1].resize(inputs[1].size()).copy(inputs[1])

        opt = self.opt
        if opt and opt['disable_memory_efficient_forward']:
            print('memory efficient forward disabled')
            output0 = self.model.forward(self.inputs_cuda)
        else:
            output0 = self.memoryEfficientForward(self.model, self.inputs_cuda, 500, recompute_features)

        bbox_values = None
        if lg.type(output0) == 'table':
            class_values = output0[0]
            bbox_values = output0[1].float()
            for i, v in enumerate(bbox_values.split(4, 1)):
                utils.convertFrom(v, boxes, v)
        else:
            class_values = output0
        if not getattr(self.model, 'noSoftMax', None):
            class_values = self.sm.forward(class_values)
        return class_values.float(), bbox_values


def getImages(self, images, im):
    num_scales = len(self.scale)

    imgs = []
    im_sizes = []
    im_scales = []

    im = self.image_transformer.forward(im)

    im_size = im[0].size()
    im_size_min = min(im_size[0], im_size[1])
    im_size_max = max(im_size[0], im_size[1])
    for i in range(num_scales):
        im_scale = self.scale[i] / im_size_min
        if lg.round(im_scale * im_size_max) > self.max_size:
            im_scale = self.max_size / im_size_max
        im_s = [im_size[0] * im_scale, im_size[1] * im_scale]
        imgs.append(image.scale(im, im_s[1], im_s[0]))
        im_sizes.append(im_s)
        im_scales.append(im_scale)
    # create single tensor with all images, padding with zero for different sizes
    im_sizes = lg.IntTensor(im_sizes)
    max_shape = im_sizes.max(0)[0][0]
    images.resize(num_scales, 3, max_shape[0], max_shape[1]).zero()
    for i in range(num_scales):
        images[i][:, 0:imgs[i].size(1), 0:imgs[i].size(2)].copy(imgs[i])
    return im_scales


def project_im_rois(im_rois, scales):
    rois = lg.FloatTensor()
    if len(scales) > 1:
        scales = lg.FloatTensor(scales)
        widths = im_rois[:, 2] - im_rois[:, 0] + 1
        heights = im_rois[:, 3] - im_rois[:, 1] + 1

        areas = widths * heights
        scaled_areas = areas.view(-1, 1) * lg.pow(scales.view(1, -1), 2)
        diff_areas = lg.abs(scaled_areas - 224 * 224)
        levels = diff_areas.min(1)[1]
    else:
        levels = lg.FloatTensor()
        rois.resize(im_rois.size(0), 5)
        rois[:, 0].fill(0)
        rois[:, 1:5].copy(im_rois).mul(scales[0])
    return rois


lg.register(ImageDetect, 'fbcoco.ImageDetect')
