"""jcjohnson/densecap ported line by line, part two: densecap/LanguageModel.lua (lines 1-164, 293-401: the
image encoder, LookupTable, torch-rnn's LSTM, ``getTarget``, ``decodeSequence``, greedy ``sample``; beamsearch,
lines 170-290, is left out), densecap/LocalizationLayer.lua (lines 54-690: the RPN of ``build_rpn``, the
BoxSamplerHelper, BilinearRoiPooling, the objectness and box-regression losses, the train and test forwards and
the backward), densecap/DenseCapModel.lua (lines 17-474: the recognition gModule, ``forward``,
``forward_backward`` with its loss terms, the partial ``backward`` and ``getParameters``), densecap/net_utils.lua
(``subsequence`` and ``compute_field_centers``, lines 96-140), densecap/optim_updates.lua's ``adam`` (lines
56-84) and train.lua's ``lossFun`` and main-loop update (lines 58-130, 200-209) on a fixed tiny image.

No download and no VGG-16: net_utils.load_cnn's 'vgg-16' branch (loadcaffe) and DenseCapModel's layer ranges
for it get a 'tiny' twin, a small conv trunk of the same kinds of layers (3x3 'same' convolutions, ReLUs, 2x2
max pooling, then View, Linear, ReLU, Dropout twice), and the anchors are scaled to a 32 x 32 image. The data
loader is a fixed image with two ground-truth boxes and captions. ``require 'torch-rnn'`` is the import of
tests/porting/test_torch_rnn.py's LSTM and TemporalCrossEntropyCriterion; part one (test_densecap.py) holds
densecap's modules and box_utils.

The mechanical edits: token ids are 0-based (words 0 .. V-1, START = END = V, NULL = V + 1) and the null
token of the padded captions, Lua's 0 below the words 1 .. V, is -1 (as torch-rnn's port); the objectness labels
move down by one (OurCrossEntropyCriterion's 1 and 2 are 0 and 1; LogisticCriterion's 1 and 0 are 0 and -1).
LanguageModel.lua adds ``self.start_token_generator``, a field never set, to its ParallelTable: Lua's
``table.insert`` of nil adds nothing, so the port leaves that line out (docs/porting.md). ``forward_backward``
calls ``self:backward(input, grad_out)`` with ``input`` an undefined global (nil), which the port passes as
None (DenseCapModel:backward never reads it).
"""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn
from tests.porting.test_densecap import (ApplyBoxTransform, BilinearRoiPooling, BoxRegressionCriterion,
                                         BoxSamplerHelper, InvertBoxTransform, LogisticCriterion, MakeAnchors,
                                         OurCrossEntropyCriterion, PosSlicer, RegularizeLayer, ReshapeBoxFeatures,
                                         box_utils, utils)
from tests.checks import central_difference
from tests.porting.test_torch_rnn import LSTM, TemporalCrossEntropyCriterion

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as the Lua runs


# --- densecap/net_utils.lua ------------------------------------------------------------------------------------

class net_utils:

    @staticmethod
    def load_cnn(name, backend, path_offset):
        """Lines 7-25 load VGG-16 with loadcaffe; the 'tiny' branch builds a small trunk of VGG's layer kinds."""
        if name == 'tiny':
            cnn = nn.Sequential()
            cnn.add(nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1))
            cnn.add(nn.ReLU(True))
            cnn.add(nn.SpatialMaxPooling(2, 2, 2, 2))
            cnn.add(nn.SpatialConvolution(8, 8, 3, 3, 1, 1, 1, 1))
            cnn.add(nn.ReLU(True))
            cnn.add(nn.SpatialMaxPooling(2, 2, 2, 2))
            cnn.add(nn.SpatialConvolution(8, 8, 3, 3, 1, 1, 1, 1))
            cnn.add(nn.ReLU(True))
            cnn.add(nn.SpatialMaxPooling(2, 2, 2, 2))   # pool5's place: replaced by the RoI pooling
            cnn.add(nn.View(8 * 2 * 2))
            cnn.add(nn.Linear(8 * 2 * 2, 16))
            cnn.add(nn.ReLU(True))
            cnn.add(nn.Dropout(0.5))
            cnn.add(nn.Linear(16, 16))
            cnn.add(nn.ReLU(True))
            cnn.add(nn.Dropout(0.5))
            return cnn
        raise RuntimeError('Unrecognized model "%s"' % name)

    @staticmethod
    def subsequence(net, start_idx, end_idx):
        """Lines 96-103: the layers start_idx .. end_idx, both included (0-based)."""
        seq = nn.Sequential()
        for i in range(start_idx, end_idx + 1):
            seq.add(net.get(i))
        return seq

    @staticmethod
    def compute_field_centers(net, end_idx=None):
        """Lines 106-140."""
        end_idx = end_idx if end_idx is not None else len(net)
        x0, y0 = 1, 1
        sx, sy = 1, 1
        for i in range(end_idx):
            layer = net.get(i)
            t = lg.type(layer)
            if t == 'nn.SpatialConvolution' or t == 'nn.SpatialConvolutionMM' or t == 'cudnn.SpatialConvolution':
                unit_stride = layer.dW == 1 and layer.dH == 1
                same_x = math.floor(layer.kW / 2) == layer.padW
                same_y = math.floor(layer.kH / 2) == layer.padH
                same_conv = unit_stride and same_x and same_y
                if not same_conv:
                    raise RuntimeError('Cannot handle this type of conv layer')
            elif t == 'nn.ReLU' or t == 'cudnn.ReLU':
                pass   # Do nothing
            elif t == 'nn.SpatialMaxPooling' or t == 'cudnn.SpatialMaxPooling':
                if layer.kW != 2 or layer.kH != 2 or layer.dW != 2 or layer.dH != 2:
                    raise RuntimeError('Cannot handle this type of pooling layer')
                x0 = x0 + sx / 2
                y0 = y0 + sy / 2
                sx = 2 * sx
                sy = 2 * sy
            else:
                raise RuntimeError('Cannot handle layer of type %s' % t)
        return x0, y0, sx, sy


# --- densecap/LanguageModel.lua ------------------------------------------------------------------------------

class LanguageModel(nn.Module):
    """{image_vectors (N, D), gt_sequence (N, T) of words 0 .. V-1, -1 padding} -> scores (N, T + 2, V + 1);
    with an empty gt_sequence, sampled captions (N, seq_length)."""

    def __init__(self, opt=None):
        super().__init__()

        opt = opt or {}
        self.vocab_size = utils.getopt(opt, 'vocab_size')
        self.input_encoding_size = utils.getopt(opt, 'input_encoding_size')
        self.image_vector_dim = utils.getopt(opt, 'image_vector_dim')
        self.rnn_size = utils.getopt(opt, 'rnn_size')
        self.seq_length = utils.getopt(opt, 'seq_length')
        self.num_layers = utils.getopt(opt, 'num_layers', 1)
        self.idx_to_token = utils.getopt(opt, 'idx_to_token')
        self.dropout = utils.getopt(opt, 'dropout', 0)

        W, D = self.input_encoding_size, self.image_vector_dim
        V, H = self.vocab_size, self.rnn_size

        # For mapping from image vectors to word vectors
        self.image_encoder = nn.Sequential()
        self.image_encoder.add(nn.Linear(D, W))
        self.image_encoder.add(nn.ReLU(True))
        self.image_encoder.add(nn.View(1, -1).setNumInputDims(1))

        self.START_TOKEN = self.vocab_size
        self.END_TOKEN = self.vocab_size
        self.NULL_TOKEN = self.vocab_size + 1

        # For mapping word indices to word vectors
        V, W = self.vocab_size, self.input_encoding_size
        self.lookup_table = nn.LookupTable(V + 2, W)

        # Change this to sample from the distribution instead
        self.sample_argmax = True

        # self.rnn maps wordvecs of shape N x T x W to word probabilities of shape N x T x (V + 1)
        self.rnn = nn.Sequential()
        for i in range(self.num_layers):
            input_dim = self.rnn_size
            if i == 0:
                input_dim = self.input_encoding_size
            self.rnn.add(LSTM(input_dim, self.rnn_size))
            if self.dropout > 0:
                self.rnn.add(nn.Dropout(self.dropout))

        self.view_in = nn.View(1, 1, -1).setNumInputDims(3)
        self.view_out = nn.View(1, -1).setNumInputDims(2)
        self.rnn.add(self.view_in)
        self.rnn.add(nn.Linear(H, V + 1))
        self.rnn.add(self.view_out)

        # self.net maps a table {image_vecs, gt_seq} to word probabilities
        self.net = nn.Sequential()
        parallel = nn.ParallelTable()
        parallel.add(self.image_encoder)
        # parallel:add(self.start_token_generator): a field never set, so Lua's add of nil adds nothing
        parallel.add(self.lookup_table)
        self.net.add(parallel)
        self.net.add(nn.JoinTable(0, 2))
        self.net.add(self.rnn)

        self.training()

    def decodeSequence(self, seq):
        """Lines 86-103: seq (N, T) of word ids -> N strings."""
        delimiter = ' '
        captions = []
        N, T = seq.size(0), seq.size(1)
        for i in range(N):
            caption = ''
            for t in range(T):
                idx = seq[i, t]
                if idx == self.END_TOKEN or idx == -1:
                    break
                if t > 0:
                    caption = caption + delimiter
                caption = caption + self.idx_to_token[idx]
            captions.append(caption)
        return captions

    def updateOutput(self, input):
        self.recompute_backward = True
        image_vectors = input[0]
        gt_sequence = input[1]

        if gt_sequence.nElement() > 0:
            # Add a start token to the start of the gt_sequence, and replace -1 with NULL_TOKEN
            N, T = gt_sequence.size(0), gt_sequence.size(1)
            self._gt_with_start = gt_sequence.new(N, T + 1)
            self._gt_with_start[:, 0].fill(self.START_TOKEN)
            self._gt_with_start[:, 1:T + 1].copy(gt_sequence)
            mask = lg.eq(self._gt_with_start, -1)
            self._gt_with_start[mask] = self.NULL_TOKEN

            # Reset the views around the nn.Linear
            self.view_in.resetSize(N * (T + 2), -1)
            self.view_out.resetSize(N, T + 2, -1)
            self.output = self.net.updateOutput([image_vectors, self._gt_with_start])
            self._forward_sampled = False
            return self.output
        else:
            self._forward_sampled = True
            if getattr(self, 'beam_size', None) is not None:
                raise NotImplementedError('beamsearch (LanguageModel.lua lines 170-290) is not ported')
            return self.sample(image_vectors)

    def getTarget(self, gt_sequence):
        """Lines 148-164: targets (N, T + 2) for TemporalCrossEntropyCriterion: -1 (null) at the image step, the
        words, END after the last word, -1 after it."""
        gt_sequence_long = gt_sequence.long()
        N, T = gt_sequence.size(0), gt_sequence.size(1)
        target = lg.LongTensor(N, T + 2).fill(-1)
        target[:, 1:T + 1].copy(gt_sequence)
        for i in range(N):
            for t in range(1, T + 2):
                if target[i, t] == -1:
                    # Replace the first null with an end token
                    target[i, t] = self.END_TOKEN
                    break
        return target.type(gt_sequence.type())

    def sample(self, image_vectors):
        """Lines 293-348: greedy captions (N, seq_length), -1 after nothing was sampled."""
        N, T = image_vectors.size(0), self.seq_length
        seq = lg.LongTensor(N, T).fill(-1)
        softmax = nn.SoftMax().type(image_vectors.type())

        # During sampling we want our LSTM modules to remember states
        for i in range(len(self.rnn)):
            layer = self.rnn.get(i)
            if isinstance(layer, LSTM):
                layer.resetStates()
                layer.remember_states = True

        # Reset view sizes
        self.view_in.resetSize(N, -1)
        self.view_out.resetSize(N, 1, -1)

        # First timestep: image vectors, ignore output
        image_vecs_encoded = self.image_encoder.forward(image_vectors)
        self.rnn.forward(image_vecs_encoded)

        # Now feed words through RNN
        for t in range(T):
            words = None
            if t == 0:
                # On the first timestep, feed START tokens
                words = lg.LongTensor(N, 1).fill(self.START_TOKEN)
            else:
                # On subsequent timesteps, feed previously sampled words
                words = seq[:, t - 1:t]
            wordvecs = self.lookup_table.forward(words)
            scores = self.rnn.forward(wordvecs).view(N, -1)
            idx = None
            if self.sample_argmax:
                _, idx = lg.max(scores, 1)
            else:
                probs = softmax.forward(scores)
                idx = lg.multinomial(probs, 1).view(-1).long()
            seq[:, t].copy(idx)

        # After sampling stop remembering states
        for i in range(len(self.rnn)):
            layer = self.rnn.get(i)
            if isinstance(layer, LSTM):
                layer.resetStates()
                layer.remember_states = False

        self.output = seq
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.recompute_backward:
            self.backward(input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        if self.recompute_backward:
            self.backward(input, gradOutput, scale)

    def backward(self, input, gradOutput, scale=None):
        assert self._forward_sampled is False, 'cannot backprop through sampling'
        assert scale is None or scale == 1.0
        self.recompute_backward = False
        net_input = [input[0], self._gt_with_start]
        self.gradInput = self.net.backward(net_input, gradOutput, scale if scale is not None else 1)
        self.gradInput[1] = input[1].new(input[1].size()).zero()
        return self.gradInput

    def training(self):
        super().training()
        self.net.training()

    def evaluate(self):
        super().evaluate()
        self.net.evaluate()

    def clearState(self):
        self.net.clearState()

    def parameters(self):
        return self.net.parameters()


# --- densecap/LocalizationLayer.lua --------------------------------------------------------------------------

def build_rpn(opt):
    """Lines 609-690."""
    # Set up anchor sizes
    anchors = opt.get('anchors')
    if anchors is None:
        anchors = lg.Tensor([
            [45, 90], [90, 45], [64, 64],
            [90, 180], [180, 90], [128, 128],
            [181, 362], [362, 181], [256, 256],
            [362, 724], [724, 362], [512, 512],
        ]).t().clone()
        anchors.mul(opt['anchor_scale'])
    num_anchors = anchors.size(1)

    rpn = nn.Sequential()

    # Add an extra conv layer and a ReLU
    pad = math.floor(opt['rpn_filter_size'] / 2)
    conv_layer = nn.SpatialConvolution(opt['input_dim'], opt['rpn_num_filters'], opt['rpn_filter_size'],
                                       opt['rpn_filter_size'], 1, 1, pad, pad)
    conv_layer.weight.normal(0, opt['std'])
    conv_layer.bias.zero()
    rpn.add(conv_layer)
    rpn.add(nn.ReLU(True))

    # Branch to produce box coordinates for each anchor
    box_branch = nn.Sequential()
    box_conv_layer = nn.SpatialConvolution(opt['rpn_num_filters'], 4 * num_anchors, 1, 1, 1, 1, 0, 0)
    if opt['zero_box_conv']:
        box_conv_layer.weight.zero()
    else:
        box_conv_layer.weight.normal(0, opt['std'])
    box_conv_layer.bias.zero()
    box_branch.add(box_conv_layer)
    box_branch.add(RegularizeLayer(opt['box_reg_decay']))
    x0, y0, sx, sy = opt['field_centers']
    seq = nn.Sequential()
    seq.add(MakeAnchors(x0, y0, sx, sy, anchors))
    seq.add(ReshapeBoxFeatures(num_anchors))
    cat1 = nn.ConcatTable()
    cat1.add(seq)
    cat1.add(ReshapeBoxFeatures(num_anchors))
    box_branch.add(cat1)
    cat2 = nn.ConcatTable()
    cat2.add(ApplyBoxTransform())
    cat2.add(nn.Identity())
    box_branch.add(cat2)

    # Branch to produce box / not box scores for each anchor
    rpn_branch = nn.Sequential()
    rpn_conv_layer = nn.SpatialConvolution(opt['rpn_num_filters'], 2 * num_anchors, 1, 1, 1, 1, 0, 0)
    rpn_conv_layer.weight.normal(0, opt['std'])
    rpn_conv_layer.bias.zero()
    rpn_branch.add(rpn_conv_layer)
    rpn_branch.add(ReshapeBoxFeatures(num_anchors))

    # Concat and flatten the branches
    concat = nn.ConcatTable()
    concat.add(box_branch)
    concat.add(rpn_branch)

    rpn.add(concat)
    rpn.add(nn.FlattenTable())

    if opt['backend'] == 'cudnn':
        cudnn.convert(rpn, cudnn)

    return rpn


class LocalizationLayer(nn.Module):
    """cnn_features (1, C, H, W) -> {roi_features (pos + neg, C, HH, WW), roi_boxes (pos + neg, 4),
    gt_boxes_sample (pos, 4), gt_labels_sample (pos, L)}; the losses in ``stats['losses']``."""

    def __init__(self, opt=None):
        super().__init__()

        opt = opt or {}
        opt['input_dim'] = utils.getopt(opt, 'input_dim')
        opt['output_height'] = utils.getopt(opt, 'output_height')
        opt['output_width'] = utils.getopt(opt, 'output_width')

        # list x0, y0, sx, sy
        opt['field_centers'] = utils.getopt(opt, 'field_centers')

        opt['backend'] = utils.getopt(opt, 'backend', 'cudnn')
        opt['rpn_filter_size'] = utils.getopt(opt, 'rpn_filter_size', 3)
        opt['rpn_num_filters'] = utils.getopt(opt, 'rpn_num_filters', 256)
        opt['zero_box_conv'] = utils.getopt(opt, 'zero_box_conv', True)
        opt['std'] = utils.getopt(opt, 'std', 0.01)
        opt['anchor_scale'] = utils.getopt(opt, 'anchor_scale', 1.0)

        opt['sampler_batch_size'] = utils.getopt(opt, 'sampler_batch_size', 256)
        opt['sampler_high_thresh'] = utils.getopt(opt, 'sampler_high_thresh', 0.7)
        opt['sampler_low_thresh'] = utils.getopt(opt, 'sampler_low_thresh', 0.5)
        opt['train_remove_outbounds_boxes'] = utils.getopt(opt, 'train_remove_outbounds_boxes', 1)

        utils.ensureopt(opt, 'mid_box_reg_weight')
        utils.ensureopt(opt, 'mid_objectness_weight')

        opt['box_reg_decay'] = utils.getopt(opt, 'box_reg_decay', 0)
        self.opt = opt

        self.losses = {}

        self.nets = {}

        # Construct RPN; maps cnn_features to rpn_out
        self.nets['rpn'] = build_rpn(opt)

        # Box sampler
        self.nets['box_sampler_helper'] = BoxSamplerHelper({
            'batch_size': opt['sampler_batch_size'],
            'low_thresh': opt['sampler_low_thresh'],
            'high_thresh': opt['sampler_high_thresh'],
        })

        # Bilinear interpolation
        self.nets['roi_pooling'] = BilinearRoiPooling(opt['output_height'], opt['output_width'])

        # Used to compute box regression targets from GT boxes
        self.nets['invert_box_transform'] = InvertBoxTransform()

        # Construct criterions
        self.nets['obj_crit_pos'] = OurCrossEntropyCriterion()   # for objectness
        self.nets['obj_crit_neg'] = OurCrossEntropyCriterion()   # for objectness
        self.nets['box_reg_crit'] = nn.SmoothL1Criterion()   # for RPN box regression

        # Intermediates computed during forward pass
        self.rpn_out = None
        self.rpn_boxes = None
        self.rpn_anchors = None
        self.rpn_trans = None
        self.rpn_scores = None

        self.pos_data = None
        self.pos_boxes = None
        self.pos_anchors = None
        self.pos_trans = None
        self.pos_target_data = None
        self.pos_target_boxes = None
        self.pos_target_labels = None
        self.neg_data = None
        self.neg_scores = None
        self.roi_boxes = lg.Tensor()

        # Used as targets for pos / neg objectness crits
        self.pos_labels = lg.Tensor()
        self.neg_labels = lg.Tensor()

        # Used as targets for bounding box regression
        self.pos_trans_targets = lg.Tensor()

        # Used to track image size; must call setImageSize before each forward pass
        self.image_width = None
        self.image_height = None
        self._called_forward_size = False
        self._called_backward_size = False

        # Other instance variables
        self.timer = lg.Timer()
        self.timing = False   # Set to true to enable timing
        self.dump_vars = False   # Set to true to dump vars
        self.reset_stats()

        self.setTestArgs()
        self.training()

    def parameters(self):
        # The only parameters are in the RPN
        return self.nets['rpn'].parameters()

    def setImageSize(self, image_height, image_width):
        self.image_height = image_height
        self.image_width = image_width
        self._called_forward_size = False
        self._called_backward_size = False

    def setGroundTruth(self, gt_boxes, gt_labels):
        self.gt_boxes = gt_boxes
        self.gt_labels = gt_labels
        self._called_forward_gt = False
        self._called_backward_gt = False

    def reset_stats(self):
        self.stats = {}
        self.stats['losses'] = {}
        self.stats['times'] = {}
        self.stats['vars'] = {}

    def clearState(self):
        self.timer = None
        self.rpn_out = None
        self.rpn_boxes = None
        self.rpn_anchors = None
        self.rpn_trans = None
        self.rpn_scores = None
        self.pos_data = None
        self.pos_boxes = None
        self.pos_anchors = None
        self.pos_trans = None
        self.pos_target_data = None
        self.pos_target_boxes = None
        self.pos_target_labels = None
        self.neg_data = None
        self.neg_scores = None
        self.roi_boxes.set()
        self.nets['rpn'].clearState()
        self.nets['roi_pooling'].clearState()

    def timeit(self, name, f):
        self.timer = self.timer or lg.Timer()
        if self.timing:
            self.timer.reset()
            f()
            self.stats['times'][name] = self.timer.time()['real']
        else:
            f()

    def setTestArgs(self, args=None):
        args = args or {}
        self.test_clip_boxes = utils.getopt(args, 'clip_boxes', True)
        self.test_nms_thresh = utils.getopt(args, 'nms_thresh', 0.7)
        self.test_max_proposals = utils.getopt(args, 'max_proposals', 300)

    def updateOutput(self, input):
        if self.train:
            return self._forward_train(input)
        else:
            return self._forward_test(input)

    def _forward_test(self, input):
        """Lines 250-363."""
        cnn_features = input
        arg = {
            'clip_boxes': self.test_clip_boxes,
            'nms_thresh': self.test_nms_thresh,
            'max_proposals': self.test_max_proposals,
        }

        # Make sure that setImageSize has been called
        assert self.image_height and self.image_width and not self._called_forward_size, \
            'Must call setImageSize before each forward pass'
        self._called_forward_size = True

        rpn_out = None

        def f():
            nonlocal rpn_out
            rpn_out = self.nets['rpn'].forward(cnn_features)
        self.timeit('rpn:forward_test', f)
        rpn_boxes, rpn_anchors = rpn_out[0], rpn_out[1]
        rpn_trans, rpn_scores = rpn_out[2], rpn_out[3]
        num_boxes = rpn_boxes.size(1)

        # Maybe clip boxes to image boundary
        if arg['clip_boxes']:
            bounds = {'x_min': 1, 'y_min': 1, 'x_max': self.image_width, 'y_max': self.image_height}
            rpn_boxes, valid = box_utils.clip_boxes(rpn_boxes, bounds, 'xcycwh')

            def clamp_data(data):
                # data should be 1 x kHW x D; valid is byte of shape kHW
                assert data.size(0) == 1, 'must have 1 image per batch'
                assert data.dim() == 3
                mask = valid.view(1, -1, 1).expandAs(data)
                return data[mask].view(1, -1, data.size(2))
            rpn_boxes = clamp_data(rpn_boxes)
            rpn_anchors = clamp_data(rpn_anchors)
            rpn_trans = clamp_data(rpn_trans)
            rpn_scores = clamp_data(rpn_scores)

            num_boxes = rpn_boxes.size(1)

        # Convert rpn boxes from (xc, yc, w, h) format to (x1, y1, x2, y2)
        rpn_boxes_x1y1x2y2 = box_utils.xcycwh_to_x1y1x2y2(rpn_boxes)

        # Convert objectness positive / negative scores to probabilities
        rpn_scores_exp = lg.exp(rpn_scores)
        pos_exp = rpn_scores_exp[0, :, 0]
        neg_exp = rpn_scores_exp[0, :, 1]
        scores = (pos_exp + neg_exp).pow(-1).cmul(pos_exp)

        # Run NMS and sort by objectness score
        boxes_scores = scores.new(num_boxes, 5)
        boxes_scores[:, 0:4] = rpn_boxes_x1y1x2y2
        boxes_scores[:, 4] = scores
        idx = None

        def nms():
            nonlocal idx
            if arg['max_proposals'] == -1:
                idx = box_utils.nms(boxes_scores, arg['nms_thresh'])
            else:
                idx = box_utils.nms(boxes_scores, arg['nms_thresh'], arg['max_proposals'])
        self.timeit('nms', nms)

        # Use NMS indices to pull out corresponding data from RPN
        rpn_boxes_nms = rpn_boxes.index(1, idx)[0]
        rpn_anchors_nms = rpn_anchors.index(1, idx)[0]
        rpn_trans_nms = rpn_trans.index(1, idx)[0]
        rpn_scores_nms = rpn_scores.index(1, idx)[0]
        scores_nms = scores.index(0, idx)

        # Use roi pooling to get features for boxes
        roi_features = None

        def pool():
            nonlocal roi_features
            self.nets['roi_pooling'].setImageSize(self.image_height, self.image_width)
            roi_features = self.nets['roi_pooling'].forward([cnn_features[0], rpn_boxes_nms])
        self.timeit('roi_pooling:forward_test', pool)

        empty = roi_features.new()
        self.output = [roi_features, rpn_boxes_nms, empty, empty]
        return self.output

    def _forward_train(self, input):
        """Lines 383-526."""
        cnn_features = input
        assert self.gt_boxes is not None and self.gt_labels is not None and not self._called_forward_gt, \
            'Must call setGroundTruth before training-time forward pass'
        gt_boxes, gt_labels = self.gt_boxes, self.gt_labels
        self._called_forward_gt = True

        # Make sure that setImageSize has been called
        assert self.image_height and self.image_width and not self._called_forward_size, \
            'Must call setImageSize before each forward pass'
        self._called_forward_size = True

        N = cnn_features.size(0)
        assert N == 1, 'Only minibatches with N = 1 are supported'
        B1 = gt_boxes.size(1)
        assert gt_boxes.dim() == 3 and gt_boxes.size(0) == N and gt_boxes.size(2) == 4, \
            'gt_boxes must have shape (N, B1, 4)'
        assert gt_labels.dim() == 3 and gt_labels.size(0) == N and gt_labels.size(1) == B1, \
            'gt_labels must have shape (N, B1, L)'

        self.reset_stats()

        # Run the RPN forward
        def rpn():
            self.rpn_out = self.nets['rpn'].forward(cnn_features)
            self.rpn_boxes = self.rpn_out[0]
            self.rpn_anchors = self.rpn_out[1]
            self.rpn_trans = self.rpn_out[2]
            self.rpn_scores = self.rpn_out[3]
        self.timeit('rpn:forward', rpn)

        if self.opt['train_remove_outbounds_boxes'] == 1:
            bounds = {'x_min': 1, 'y_min': 1, 'x_max': self.image_width, 'y_max': self.image_height}
            self.nets['box_sampler_helper'].setBounds(bounds)

        # Run the sampler forward
        def sampler():
            sampler_out = self.nets['box_sampler_helper'].forward([self.rpn_out, [gt_boxes, gt_labels]])

            # Unpack pos data
            self.pos_data, self.pos_target_data, self.neg_data = sampler_out
            self.pos_boxes, self.pos_anchors = self.pos_data[0], self.pos_data[1]
            self.pos_trans, self.pos_scores = self.pos_data[2], self.pos_data[3]

            # Unpack target data
            self.pos_target_boxes, self.pos_target_labels = self.pos_target_data

            # Unpack neg data (only scores matter)
            self.neg_boxes = self.neg_data[0]
            self.neg_scores = self.neg_data[3]
        self.timeit('sampler:forward', sampler)
        num_pos, num_neg = self.pos_boxes.size(0), self.neg_scores.size(0)

        # Concatentate pos_boxes and neg_boxes into roi_boxes
        self.roi_boxes.resize(num_pos + num_neg, 4)
        self.roi_boxes[0:num_pos].copy(self.pos_boxes)
        self.roi_boxes[num_pos:num_pos + num_neg].copy(self.neg_boxes)

        # Run the RoI pooling forward for roi_boxes
        def pool():
            self.nets['roi_pooling'].setImageSize(self.image_height, self.image_width)
            self.roi_features = self.nets['roi_pooling'].forward([cnn_features[0], self.roi_boxes])
        self.timeit('roi_pooling:forward', pool)

        # Compute objectness loss
        def objectness():
            if self.pos_scores.type() != 'torch.CudaTensor':
                # ClassNLLCriterion expects LongTensor labels for CPU score types, but CudaTensor labels for GPU
                self.pos_labels = self.pos_labels.long()
                self.neg_labels = self.neg_labels.long()
            self.pos_labels.resize(num_pos).fill(0)
            self.neg_labels.resize(num_neg).fill(1)
            obj_loss_pos = self.nets['obj_crit_pos'].forward(self.pos_scores, self.pos_labels)
            obj_loss_neg = self.nets['obj_crit_neg'].forward(self.neg_scores, self.neg_labels)
            obj_weight = self.opt['mid_objectness_weight']
            self.stats['losses']['obj_loss_pos'] = obj_weight * obj_loss_pos
            self.stats['losses']['obj_loss_neg'] = obj_weight * obj_loss_neg
        self.timeit('objectness_loss:forward', objectness)

        # Compute targets for RPN bounding box regression
        def invert():
            self.pos_trans_targets = self.nets['invert_box_transform'].forward(
                [self.pos_anchors, self.pos_target_boxes])
        self.timeit('invert_box_transform:forward', invert)

        # DIRTY DIRTY HACK: To prevent the loss from blowing up, replace boxes with huge pos_trans_targets
        # with ground-truth
        max_trans = lg.abs(self.pos_trans_targets).max(1)[0]
        max_trans_mask = lg.gt(max_trans, 10).expandAs(self.pos_trans_targets)
        mask_sum = max_trans_mask.sum() / 4
        if mask_sum > 0:
            msg = 'WARNING: Masking out %d boxes in LocalizationLayer'
            print(msg % mask_sum)
            self.pos_trans[max_trans_mask] = 0
            self.pos_trans_targets[max_trans_mask] = 0

        # Compute RPN box regression loss
        def box_reg():
            crit = self.nets['box_reg_crit']
            weight = self.opt['mid_box_reg_weight']
            loss = weight * crit.forward(self.pos_trans, self.pos_trans_targets)
            self.stats['losses']['box_reg_loss'] = loss
        self.timeit('box_reg_loss:forward', box_reg)

        # Fish out the box regression loss
        reg_mods = self.nets['rpn'].findModules('nn.RegularizeLayer')[0]
        assert len(reg_mods) == 1
        self.stats['losses']['box_decay_loss'] = reg_mods[0].loss

        # Compute total loss
        total_loss = 0
        for k, v in self.stats['losses'].items():
            total_loss = total_loss + v
        self.stats['losses']['total_loss'] = total_loss

        self.output = [self.roi_features, self.roi_boxes, self.pos_target_boxes, self.pos_target_labels]
        return self.output

    def updateGradInput(self, input, gradOutput):
        """Lines 529-605."""
        assert self.train, 'can only call updateGradInput in training mode'
        assert self.gt_boxes is not None and self.gt_labels is not None and not self._called_backward_gt, \
            'Must call setGroundTruth before each forward pass'
        self._called_backward_gt = True

        assert self.image_height and self.image_width and not self._called_backward_size, \
            'Must call setImageSize before each forward pass'
        self._called_backward_size = True

        cnn_features = input
        gt_boxes = self.gt_boxes
        gt_labels = self.gt_labels
        grad_roi_features = gradOutput[0]
        grad_roi_boxes = gradOutput[1].clone()

        num_pos, num_neg = self.pos_boxes.size(0), self.neg_scores.size(0)
        grad_pos_boxes = grad_roi_boxes[0:num_pos]
        grad_neg_boxes = grad_roi_boxes[num_pos:num_pos + num_neg]

        grad_cnn_features = self.gradInput
        grad_cnn_features.resizeAs(cnn_features).zero()

        # Backprop box regression loss
        grad_pos_trans = None

        def box_reg():
            nonlocal grad_pos_trans
            crit = self.nets['box_reg_crit']
            weight = self.opt['mid_box_reg_weight']
            grad_pos_trans = crit.backward(self.pos_trans, self.pos_trans_targets)
            grad_pos_trans.mul(weight)
        self.timeit('box_reg_loss:backward', box_reg)

        # Backprop objectness loss
        grad_pos_scores, grad_neg_scores = None, None

        def objectness():
            nonlocal grad_pos_scores, grad_neg_scores
            grad_pos_scores = self.nets['obj_crit_pos'].backward(self.pos_scores, self.pos_labels)
            grad_neg_scores = self.nets['obj_crit_neg'].backward(self.neg_scores, self.neg_labels)
            grad_pos_scores.mul(self.opt['mid_objectness_weight'])
            grad_neg_scores.mul(self.opt['mid_objectness_weight'])
        self.timeit('objectness_loss:backward', objectness)

        # Backprop RoI pooling
        def pool():
            din = self.nets['roi_pooling'].backward([cnn_features[0], self.roi_boxes], grad_roi_features)
            grad_roi_boxes.add(din[1])
            grad_cnn_features.add(din[0].viewAs(cnn_features))
        self.timeit('roi_pooling:backward', pool)

        # Backprop sampler
        grad_rpn_out = None

        def sampler():
            nonlocal grad_rpn_out
            # grad_pos_data[2] (the anchors') and grad_neg_data[2], [3] are never set: nil holes
            grad_pos_data = [grad_pos_boxes, None, grad_pos_trans, grad_pos_scores]
            grad_neg_data = [grad_neg_boxes, None, None, grad_neg_scores]
            grad_rpn_out = self.nets['box_sampler_helper'].backward([self.rpn_out, [gt_boxes, gt_labels]],
                                                                    [grad_pos_data, grad_neg_data])
        self.timeit('sampler:backward', sampler)

        # Backprop RPN
        def rpn():
            din = self.nets['rpn'].backward(cnn_features, grad_rpn_out)
            grad_cnn_features.add(din)
        self.timeit('rpn:backward', rpn)

        return self.gradInput


# --- densecap/DenseCapModel.lua ------------------------------------------------------------------------------

class DenseCapModel(nn.Module):
    """image (1, 3, H, W) -> {objectness_scores, pos_roi_boxes, final_box_trans, final_boxes, lm_output, gt_boxes,
    gt_labels}."""

    def __init__(self, opt=None):
        super().__init__()
        opt = opt or {}
        opt['cnn_name'] = utils.getopt(opt, 'cnn_name', 'vgg-16')
        opt['backend'] = utils.getopt(opt, 'backend', 'cudnn')
        opt['path_offset'] = utils.getopt(opt, 'path_offset', '')
        opt['dtype'] = utils.getopt(opt, 'dtype', 'torch.CudaTensor')
        opt['vocab_size'] = utils.getopt(opt, 'vocab_size')
        opt['std'] = utils.getopt(opt, 'std', 0.01)   # Used to initialize new layers

        # For test-time handling of final boxes
        opt['final_nms_thresh'] = utils.getopt(opt, 'final_nms_thresh', 0.3)

        # Ensure that all options for loss were specified
        utils.ensureopt(opt, 'mid_box_reg_weight')
        utils.ensureopt(opt, 'mid_objectness_weight')
        utils.ensureopt(opt, 'end_box_reg_weight')
        utils.ensureopt(opt, 'end_objectness_weight')
        utils.ensureopt(opt, 'captioning_weight')

        # Options for RNN
        opt['seq_length'] = utils.getopt(opt, 'seq_length')
        opt['rnn_encoding_size'] = utils.getopt(opt, 'rnn_encoding_size', 512)
        opt['rnn_size'] = utils.getopt(opt, 'rnn_size', 512)
        self.opt = opt

        # This will hold various components of the model
        self.nets = {}

        # This will hold the whole model
        self.net = nn.Sequential()

        # Load the CNN from disk
        cnn = net_utils.load_cnn(opt['cnn_name'], opt['backend'], opt['path_offset'])

        # We need to chop the CNN into three parts: conv that is not finetuned, conv that will be finetuned,
        # and fully-connected layers. We'll just hardcode the indices of these layers per architecture.
        if opt['cnn_name'] == 'vgg-16':
            conv_start1, conv_end1 = 0, 9   # these will not be finetuned for efficiency
            conv_start2, conv_end2 = 10, 29   # these will be finetuned possibly
            recog_start, recog_end = 31, 37   # FC layers
            opt['input_dim'] = 512
            opt['output_height'], opt['output_width'] = 7, 7
            fc_dim = 4096
        elif opt['cnn_name'] == 'tiny':
            conv_start1, conv_end1 = 0, 2
            conv_start2, conv_end2 = 3, 7
            recog_start, recog_end = 9, 15
            opt['input_dim'] = 8
            opt['output_height'], opt['output_width'] = 2, 2
            fc_dim = 16
        else:
            raise RuntimeError('Unrecognized CNN "%s"' % opt['cnn_name'])

        # Now that we have the indices, actually chop up the CNN.
        self.nets['conv_net1'] = net_utils.subsequence(cnn, conv_start1, conv_end1)
        self.nets['conv_net2'] = net_utils.subsequence(cnn, conv_start2, conv_end2)
        self.net.add(self.nets['conv_net1'])
        self.net.add(self.nets['conv_net2'])

        # Figure out the receptive fields of the CNN
        conv_full = net_utils.subsequence(cnn, conv_start1, conv_end2)
        x0, y0, sx, sy = net_utils.compute_field_centers(conv_full)
        self.opt['field_centers'] = [x0, y0, sx, sy]

        self.nets['localization_layer'] = LocalizationLayer(opt)
        self.net.add(self.nets['localization_layer'])

        # Recognition base network; FC layers from VGG. Produces roi_codes of dimension fc_dim.
        self.nets['recog_base'] = net_utils.subsequence(cnn, recog_start, recog_end)

        # Objectness branch; outputs positive / negative probabilities for final boxes
        self.nets['objectness_branch'] = nn.Linear(fc_dim, 1)
        self.nets['objectness_branch'].weight.normal(0, opt['std'])
        self.nets['objectness_branch'].bias.zero()

        # Final box regression branch; regresses from RPN boxes to final boxes
        self.nets['box_reg_branch'] = nn.Linear(fc_dim, 4)
        self.nets['box_reg_branch'].weight.zero()
        self.nets['box_reg_branch'].bias.zero()

        # Set up LanguageModel
        lm_opt = {
            'vocab_size': opt['vocab_size'],
            'input_encoding_size': opt['rnn_encoding_size'],
            'rnn_size': opt['rnn_size'],
            'seq_length': opt['seq_length'],
            'idx_to_token': opt['idx_to_token'],
            'image_vector_dim': fc_dim,
        }
        self.nets['language_model'] = LanguageModel(lm_opt)

        self.nets['recog_net'] = self._buildRecognitionNet()
        self.net.add(self.nets['recog_net'])

        # Set up Criterions
        self.crits = {}
        self.crits['objectness_crit'] = LogisticCriterion()
        self.crits['box_reg_crit'] = BoxRegressionCriterion(opt['end_box_reg_weight'])
        self.crits['lm_crit'] = TemporalCrossEntropyCriterion()

        self.training()
        self.finetune_cnn = False

    def _buildRecognitionNet(self):
        roi_feats = nn.Identity()()
        roi_boxes = nn.Identity()()
        gt_boxes = nn.Identity()()
        gt_labels = nn.Identity()()

        roi_codes = self.nets['recog_base'](roi_feats)
        objectness_scores = self.nets['objectness_branch'](roi_codes)

        pos_roi_codes = PosSlicer()([roi_codes, gt_labels])
        pos_roi_boxes = PosSlicer()([roi_boxes, gt_boxes])

        final_box_trans = self.nets['box_reg_branch'](pos_roi_codes)
        final_boxes = ApplyBoxTransform()([pos_roi_boxes, final_box_trans])

        lm_input = [pos_roi_codes, gt_labels]
        lm_output = self.nets['language_model'](lm_input)

        # Annotate nodes
        roi_codes.annotate({'name': 'recog_base'})
        objectness_scores.annotate({'name': 'objectness_branch'})
        pos_roi_codes.annotate({'name': 'code_slicer'})
        pos_roi_boxes.annotate({'name': 'box_slicer'})
        final_box_trans.annotate({'name': 'box_reg_branch'})

        inputs = [roi_feats, roi_boxes, gt_boxes, gt_labels]
        outputs = [
            objectness_scores,
            pos_roi_boxes, final_box_trans, final_boxes,
            lm_output,
            gt_boxes, gt_labels,
        ]
        mod = nn.gModule(inputs, outputs)
        mod.name = 'recognition_network'
        return mod

    def training(self):
        super().training()
        self.net.training()

    def evaluate(self):
        super().evaluate()
        self.net.evaluate()

    def setTestArgs(self, kwargs):
        self.nets['localization_layer'].setTestArgs({
            'nms_thresh': utils.getopt(kwargs, 'rpn_nms_thresh', 0.7),
            'max_proposals': utils.getopt(kwargs, 'num_proposals', 1000),
        })
        self.opt['final_nms_thresh'] = utils.getopt(kwargs, 'final_nms_thresh', 0.3)

    def updateOutput(self, input):
        # Make sure the input is (1, 3, H, W)
        assert input.dim() == 4 and input.size(0) == 1 and input.size(1) == 3
        H, W = input.size(2), input.size(3)
        self.nets['localization_layer'].setImageSize(H, W)

        if self.train:
            assert not self._called_forward, 'Must call setGroundTruth before training-time forward pass'
            self._called_forward = True
        self.output = self.net.forward(input)

        # At test-time, apply NMS to final boxes
        if not self.train and self.opt['final_nms_thresh'] > 0:
            # We need to apply the same NMS mask to the final boxes, their objectness scores, and the output
            # from the language model
            final_boxes_float = self.output[3].float()
            class_scores_float = self.output[0].float()
            lm_output_float = self.output[4].float()
            boxes_scores = lg.FloatTensor(final_boxes_float.size(0), 5)
            boxes_x1y1x2y2 = box_utils.xcycwh_to_x1y1x2y2(final_boxes_float)
            boxes_scores[:, 0:4].copy(boxes_x1y1x2y2)
            boxes_scores[:, 4].copy(class_scores_float[:, 0])
            idx = box_utils.nms(boxes_scores, self.opt['final_nms_thresh'])
            self.output[3] = final_boxes_float.index(0, idx).typeAs(self.output[3])
            self.output[0] = class_scores_float.index(0, idx).typeAs(self.output[0])
            self.output[4] = lm_output_float.index(0, idx).typeAs(self.output[4])

        return self.output

    def forward_test(self, input):
        self.evaluate()
        output = self.forward(input)
        final_boxes = output[3]
        objectness_scores = output[0]
        captions = output[4]
        captions = self.nets['language_model'].decodeSequence(captions)
        return final_boxes, objectness_scores, captions

    def setGroundTruth(self, gt_boxes, gt_labels):
        self.gt_boxes = gt_boxes
        self.gt_labels = gt_labels
        self._called_forward = False
        self.nets['localization_layer'].setGroundTruth(gt_boxes, gt_labels)

    def backward(self, input, gradOutput):
        # Manually backprop through part of the network; the first conv part is never finetuned
        end_idx = 2
        if self.finetune_cnn:
            end_idx = 1
        dout = gradOutput
        for i in range(3, end_idx - 1, -1):
            layer_input = self.net.get(i - 1).output
            dout = self.net.get(i).backward(layer_input, dout)

        self.gradInput = dout
        return self.gradInput

    def getParameters(self):
        """Returns params, grad_params (RPN and recognition network) and cnn_params, grad_cnn_params (the
        finetuned part of the CNN)."""
        cnn_params, grad_cnn_params = self.net.get(1).getParameters()
        fakenet = nn.Sequential()
        fakenet.add(self.net.get(2))
        fakenet.add(self.net.get(3))
        params, grad_params = fakenet.getParameters()
        return params, grad_params, cnn_params, grad_cnn_params

    def clearState(self):
        self.net.clearState()
        for k, v in self.crits.items():
            if getattr(v, 'clearState', None):
                v.clearState()

    def forward_backward(self, data):
        """Lines 401-474: losses of a training forward and the backward."""
        self.training()

        # Run the model forward
        self.setGroundTruth(data['gt_boxes'], data['gt_labels'])
        out = self.forward(data['image'])

        # Pick out the outputs we care about
        objectness_scores = out[0]
        pos_roi_boxes = out[1]
        final_box_trans = out[2]
        lm_output = out[4]
        gt_boxes = out[5]
        gt_labels = out[6]

        num_boxes = objectness_scores.size(0)
        num_pos = pos_roi_boxes.size(0)

        # Compute final objectness loss and gradient: class 0 for the positives, -1 (no class) for the rest
        objectness_labels = lg.LongTensor(num_boxes).fill(-1)
        objectness_labels[0:num_pos].fill(0)
        end_objectness_loss = self.crits['objectness_crit'].forward(objectness_scores, objectness_labels)

        end_objectness_loss = end_objectness_loss * self.opt['end_objectness_weight']
        grad_objectness_scores = self.crits['objectness_crit'].backward(objectness_scores, objectness_labels)
        grad_objectness_scores.mul(self.opt['end_objectness_weight'])

        # Compute box regression loss; this one multiplies by the weight inside the criterion
        end_box_reg_loss = self.crits['box_reg_crit'].forward([pos_roi_boxes, final_box_trans], gt_boxes)
        din = self.crits['box_reg_crit'].backward([pos_roi_boxes, final_box_trans], gt_boxes)
        grad_pos_roi_boxes, grad_final_box_trans = din

        # Compute captioning loss
        target = self.nets['language_model'].getTarget(gt_labels)
        captioning_loss = self.crits['lm_crit'].forward(lm_output, target)
        captioning_loss = captioning_loss * self.opt['captioning_weight']
        grad_lm_output = self.crits['lm_crit'].backward(lm_output, target)
        grad_lm_output.mul(self.opt['captioning_weight'])

        ll_losses = self.nets['localization_layer'].stats['losses']
        losses = {
            'mid_objectness_loss': ll_losses['obj_loss_pos'] + ll_losses['obj_loss_neg'],
            'mid_box_reg_loss': ll_losses['box_reg_loss'],
            'end_objectness_loss': end_objectness_loss,
            'end_box_reg_loss': end_box_reg_loss,
            'captioning_loss': captioning_loss,
        }
        total_loss = 0
        for k, v in losses.items():
            total_loss = total_loss + v
        losses['total_loss'] = total_loss

        # Run the model backward
        grad_out = [None] * 7
        grad_out[0] = grad_objectness_scores
        grad_out[1] = grad_pos_roi_boxes
        grad_out[2] = grad_final_box_trans
        grad_out[3] = out[3].new(out[3].size()).zero()
        grad_out[4] = grad_lm_output
        grad_out[5] = gt_boxes.new(gt_boxes.size()).zero()
        grad_out[6] = gt_labels.new(gt_labels.size()).zero()

        self.backward(None, grad_out)   # `input` is an undefined global (nil) in the Lua

        return losses


# --- densecap/optim_updates.lua ------------------------------------------------------------------------------

def adam(x, dx, lr, beta1=None, beta2=None, epsilon=None, state=None):
    """Lines 56-84."""
    beta1 = beta1 if beta1 is not None else 0.9
    beta2 = beta2 if beta2 is not None else 0.999
    epsilon = epsilon if epsilon is not None else 1e-8

    if state.get('m') is None:
        # Initialization
        state['t'] = 0
        # Exponential moving average of gradient values
        state['m'] = x.new(dx.size()).zero()
        # Exponential moving average of squared gradient values
        state['v'] = x.new(dx.size()).zero()
        # A tmp tensor to hold the sqrt(v) + epsilon
        state['tmp'] = x.new(dx.size()).zero()

    # Decay the first and second moment running average coefficient
    state['m'].mul(beta1).add(1 - beta1, dx)
    state['v'].mul(beta2).addcmul(1 - beta2, dx, dx)
    state['tmp'].copy(state['v']).sqrt().add(epsilon)

    state['t'] = state['t'] + 1
    biasCorrection1 = 1 - beta1 ** state['t']
    biasCorrection2 = 1 - beta2 ** state['t']
    stepSize = lr * math.sqrt(biasCorrection2) / biasCorrection1

    # perform update
    x.addcdiv(-stepSize, state['m'], state['tmp'])


# --- the tiny setup ------------------------------------------------------------------------------------------

V, L = 5, 3   # vocabulary, caption length


def tiny_opt():
    """train_opts.lua's loss weights and the tiny sizes."""
    return {
        'cnn_name': 'tiny', 'backend': 'nn', 'dtype': 'torch.DoubleTensor',
        'vocab_size': V, 'seq_length': L, 'idx_to_token': ['a', 'red', 'car', 'tall', 'tree'],
        'rnn_encoding_size': 8, 'rnn_size': 8,
        'mid_box_reg_weight': 0.05, 'mid_objectness_weight': 0.1, 'end_box_reg_weight': 0.1,
        'end_objectness_weight': 0.1, 'captioning_weight': 1.0,
        'rpn_num_filters': 8, 'anchor_scale': 1 / 16, 'sampler_batch_size': 16, 'box_reg_decay': 5e-5,
        'std': 0.1,
    }


def tiny_batch():
    """loader:getBatch()'s image (1, 3, 32, 32), gt_boxes (1, 2, 4) xcycwh and gt_labels (1, 2, L) padded with -1."""
    rng = np.random.default_rng(0)
    image = rng.standard_normal((1, 3, 32, 32))
    image[0, :, 4:16, 6:18] += 2.0   # the two objects stand out
    image[0, :, 18:30, 16:28] -= 2.0
    gt_boxes = np.array([[[12.5, 10.5, 12, 12], [22.5, 24.5, 12, 12]]])
    gt_labels = np.array([[[0, 1, 2], [3, 4, -1]]])
    data = {'image': lg.from_numpy(image), 'gt_boxes': lg.from_numpy(gt_boxes), 'gt_labels': lg.from_numpy(gt_labels)}
    for k, v in data.items():   # train.lua lines 74-76: every entry to the model's dtype
        data[k] = v.type('torch.DoubleTensor')
    return data


def tiny_model():
    lg.manualSeed(123)
    return DenseCapModel(tiny_opt())


# --- tests ---------------------------------------------------------------------------------------------------

def test_field_centers_and_shapes():
    """compute_field_centers on the tiny trunk (three 2x2 poolings: first centre 1 + 1/2 + 1 + 2, stride 8, but
    conv_full stops before pool5: two poolings); the RPN's four outputs have the sizes build_rpn implies."""
    model = tiny_model()
    assert model.opt['field_centers'] == [2.5, 2.5, 4, 4]
    data = tiny_batch()
    feats = model.net.get(1).forward(model.net.get(0).forward(data['image']))
    assert feats.size() == (1, 8, 8, 8)
    rpn_out = model.nets['localization_layer'].nets['rpn'].forward(feats)
    k = 12
    assert [t.size() for t in rpn_out] == [(1, k * 64, 4)] * 3 + [(1, k * 64, 2)]
    anchors = rpn_out[1].numpy()[0].reshape(k, 8, 8, 4)
    np.testing.assert_allclose(anchors[0, 0, :, 0], 2.5 + 4 * np.arange(8))
    np.testing.assert_allclose(anchors[:, 0, 0, 2], np.array([45, 90, 64, 90, 180, 128, 181, 362, 256, 362, 724,
                                                              512]) / 16)


def test_parameter_counts():
    """getParameters' two vectors, counted by hand from the Lua structure."""
    model = tiny_model()
    params, grad_params, cnn_params, grad_cnn_params = model.getParameters()
    k, F, W, H, fc = 12, 8, 8, 8, 16
    rpn = (8 * 9 * F + F) + (F * 4 * k + 4 * k) + (F * 2 * k + 2 * k)
    recog_base = (32 * fc + fc) + (fc * fc + fc)
    heads = (fc + 1) + (fc * 4 + 4)
    lm = (fc * W + W) + (V + 2) * W + ((W + H) * 4 * H + 4 * H) + (H * (V + 1) + V + 1)
    assert params.nElement() == grad_params.nElement() == rpn + recog_base + heads + lm
    assert cnn_params.nElement() == 2 * (8 * 8 * 9 + 8)   # conv_net2's two convolutions


def test_language_model_targets_and_sampling():
    """getTarget: null at the image step, the words, END after the last one; decodeSequence stops at END; the
    greedy sample has seq_length steps; the training forward gives (N, T + 2, V + 1)."""
    lg.manualSeed(0)
    lm = LanguageModel({'vocab_size': V, 'input_encoding_size': 8, 'image_vector_dim': 6, 'rnn_size': 8,
                        'seq_length': L, 'idx_to_token': ['a', 'red', 'car', 'tall', 'tree']})
    gt = lg.Tensor([[0, 1, 2], [3, 4, -1]])   # train.lua casts the labels to the model's dtype
    assert lm.getTarget(gt).tolist() == [[-1, 0, 1, 2, V], [-1, 3, 4, V, -1]]
    assert lm.decodeSequence(lg.LongTensor([[0, 1, V], [3, -1, 2]])) == ['a red', 'tall']
    # Torch7's LongTensor:new(#x) views the LongStorage of sizes (its own storage type), so backward's
    # input[2].new(#input[2]) needs the labels in the model's floating type, as train.lua gives them
    vecs = lg.randn(2, 6)
    out = lm.forward([vecs, gt])
    assert out.size() == (2, L + 2, V + 1)
    assert lm._gt_with_start.tolist() == [[V, 0, 1, 2], [V, 3, 4, V + 1]]
    crit = TemporalCrossEntropyCriterion()
    target = lm.getTarget(gt)
    crit.forward(out, target)
    g = lm.backward([vecs, gt], crit.backward(out, target))
    assert g[0].size() == (2, 6) and g[1].size() == (2, L) and not g[1].numpy().any()
    lm.evaluate()
    seq = lm.forward([vecs, lg.LongTensor()])
    assert seq.size() == (2, L) and seq.numpy().min() >= 0 and seq.numpy().max() <= V


def test_forward_backward_loss_terms_and_gradients():
    """forward_backward on the tiny batch: the loss terms DenseCapModel.lua sums, the output shapes it documents
    (P positives of the sampler's 16 boxes), and the RPN's gradients reaching its convolutions."""
    model = tiny_model()
    data = tiny_batch()
    params, grad_params, cnn_params, grad_cnn_params = model.getParameters()
    grad_params.zero()
    losses = model.forward_backward(data)
    assert sorted(losses) == ['captioning_loss', 'end_box_reg_loss', 'end_objectness_loss', 'mid_box_reg_loss',
                              'mid_objectness_loss', 'total_loss']
    assert losses['total_loss'] == pytest.approx(sum(v for k, v in losses.items() if k != 'total_loss'), rel=1e-12)
    assert all(np.isfinite(v) for v in losses.values())
    out = model.output
    P = out[1].size(0)
    assert 2 <= P <= 8   # each ground-truth box's best anchor at least; at most batch_size / 2
    assert out[0].size() == (16, 1) and out[3].size() == (P, 4) and out[5].size() == (P, 4)
    assert out[4].size() == (P, L + 2, V + 1) and out[6].size() == (P, L)
    # the captioning loss at the start is about log(V + 1) per step with a word, summed over the steps
    steps = (model.nets['language_model'].getTarget(out[6]) != -1).sum() / P
    assert losses['captioning_loss'] == pytest.approx(steps * math.log(V + 1), rel=0.1)
    rpn = model.nets['localization_layer'].nets['rpn']
    assert rpn.get(0).gradWeight.abs().sum() > 0
    assert model.nets['language_model'].lookup_table.gradWeight.abs().sum() > 0
    assert grad_params.abs().sum() > 0 and grad_cnn_params.abs().sum() == 0   # conv_net2 is not finetuned


def test_training_loss_falls():
    """train.lua's loop (lines 113-130): lossFun, then optim_updates' adam on the flat parameters, on one fixed
    image (the BoxSampler draws anew at each step); the total loss and its objectness and captioning terms fall."""
    model = tiny_model()
    data = tiny_batch()
    params, grad_params, cnn_params, cnn_grad_params = model.getParameters()
    opt = {'learning_rate': 1e-2, 'optim_beta1': 0.9, 'optim_beta2': 0.999, 'optim_epsilon': 1e-8,
           'weight_decay': 1e-6, 'finetune_cnn_after': -1, 'losses_log_every': 1}
    loss_history = {}
    it = 0

    def lossFun():
        grad_params.zero()
        model.training()
        model.timing = False
        model.cnn_backward = False
        model.dump_vars = False
        losses = model.forward_backward(data)
        # Apply L2 regularization
        if opt['weight_decay'] > 0:
            grad_params.add(opt['weight_decay'], params)
            if cnn_grad_params is not None:
                cnn_grad_params.add(opt['weight_decay'], cnn_params)
        if opt['losses_log_every'] > 0 and it % opt['losses_log_every'] == 0:
            loss_history[it] = dict(losses)
        return losses

    optim_state = {}
    loss0 = None
    for _ in range(12):
        losses = lossFun()
        adam(params, grad_params, opt['learning_rate'], opt['optim_beta1'], opt['optim_beta2'],
             opt['optim_epsilon'], optim_state)
        it = it + 1
        if loss0 is None:
            loss0 = losses['total_loss']
        assert losses['total_loss'] <= loss0 * 100, 'loss seems to be exploding'
    totals = [loss_history[i]['total_loss'] for i in range(12)]
    assert totals[-1] < 0.9 * totals[0] and totals[-1] < min(totals[:-1])
    for term in ('captioning_loss', 'mid_objectness_loss', 'end_objectness_loss'):
        assert loss_history[11][term] < loss_history[0][term]


def test_localization_layer_backward_against_differences():
    """LocalizationLayer's own updateGradInput: d/d cnn_features of its losses (objectness, RPN box regression,
    the RegularizeLayer's decay) plus <roi_features, G1> + <roi_boxes, G2>, against central differences at
    a few elements (float64; the BoxSampler reseeded before each forward so it draws the same boxes)."""
    model = tiny_model()
    layer = model.nets['localization_layer']
    data = tiny_batch()
    feats = model.net.get(1).forward(model.net.get(0).forward(data['image'])).clone()
    rng = np.random.default_rng(1)

    def forward():
        lg.manualSeed(7)
        layer.setImageSize(32, 32)
        layer.setGroundTruth(data['gt_boxes'], data['gt_labels'])
        return layer.forward(feats)

    out = forward()
    G1, G2 = rng.standard_normal(tuple(out[0].size())), rng.standard_normal(tuple(out[1].size()))
    layer.setImageSize(32, 32)
    grad = layer.backward(feats, [lg.from_numpy(G1), lg.from_numpy(G2)]).numpy().copy()

    def loss():
        out = forward()
        return layer.stats['losses']['total_loss'] + float((out[0].numpy() * G1).sum() + (out[1].numpy() * G2).sum())
    arr = feats.array
    picks = [tuple(int(i) for i in np.unravel_index(j, arr.shape)) for j in rng.choice(arr.size, 12, replace=False)]
    picks.append(tuple(int(i) for i in np.unravel_index(np.abs(grad).argmax(), arr.shape)))
    for idx in picks:
        assert grad[idx] == pytest.approx(central_difference(loss, arr, idx), rel=1e-5, abs=1e-8)
    assert np.abs(grad).max() > 1e-4


def test_language_model_backward_against_differences():
    """LanguageModel's own backward (through its net) for the image vectors and the LookupTable's weight."""
    lg.manualSeed(2)
    lm = LanguageModel({'vocab_size': V, 'input_encoding_size': 4, 'image_vector_dim': 3, 'rnn_size': 4,
                        'seq_length': L, 'idx_to_token': ['a', 'red', 'car', 'tall', 'tree']})
    gt = lg.Tensor([[0, 1, 2], [3, 4, -1]])
    vecs = lg.randn(2, 3)
    rng = np.random.default_rng(3)
    G = rng.standard_normal((2, L + 2, V + 1))
    lm.forward([vecs, gt])
    lm.zeroGradParameters()
    g = lm.backward([vecs, gt], lg.from_numpy(G))[0].numpy().copy()
    gw = lm.lookup_table.gradWeight.numpy().copy()

    def loss():
        return float((lm.forward([vecs, gt]).numpy() * G).sum())
    for idx in np.ndindex(2, 3):
        assert g[idx] == pytest.approx(central_difference(loss, vecs.array, idx), rel=1e-6, abs=1e-9)
    w = lm.lookup_table.weight.array
    for idx in ((0, 1), (V, 2), (V + 1, 3), (4, 0)):   # a word, START, NULL (padding), the last word
        assert gw[idx] == pytest.approx(central_difference(loss, w, idx), rel=1e-6, abs=1e-9)


def test_forward_test_proposals_and_captions():
    """DenseCapModel:forward_test: evaluate mode, the RPN's clipped boxes through NMS (at most num_proposals),
    empty ground truth through the recognition gModule (PosSlicer keeps every box), the final NMS, and sampled
    captions decoded to strings."""
    model = tiny_model()
    model.setTestArgs({'num_proposals': 20})
    final_boxes, objectness_scores, captions = model.forward_test(tiny_batch()['image'])
    K = final_boxes.size(0)
    assert 1 <= K <= 20 and final_boxes.size() == (K, 4) and objectness_scores.size() == (K, 1)
    assert len(captions) == K and all(isinstance(c, str) for c in captions)
    x1y1x2y2 = box_utils.xcycwh_to_x1y1x2y2(final_boxes).numpy()
    assert x1y1x2y2[:, 0].min() >= 1 - 1e-9 and x1y1x2y2[:, 2].max() <= 32 + 1e-9   # clipped to the image
    kept = box_utils.nms(lg.from_numpy(np.concatenate([x1y1x2y2, objectness_scores.numpy()], 1)), 0.3)
    assert kept.tolist() == list(range(K))   # the final NMS left boxes that NMS keeps, best first
