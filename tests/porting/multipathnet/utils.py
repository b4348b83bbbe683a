"""utils.lua: nms and box voting (nms.c, through ffi in the Lua: nms.py here), box overlaps, the Fast R-CNN box
encoding (convertTo/convertFrom), proposal paths, saving results, recursive copies, checkpoints.

Box coordinates are 0-based (the Lua's are 1-based: its ``+ 1`` flips become ``- 1``). keep_top_k's
``boxes[i]:resize()`` (emptied) is ``resize(0)`` (docs/porting.md's resize row). Not ported:
``setDataParallelN`` (multi-GPU work in progress that its comment says not to use). ``cleanupOptim`` reads
fbnn.Optim's ``modulesToOptState`` (a dict keyed by module); ``deepCopy`` copies a module's fields (Lua's
``pairs`` over the object's table) into a new object of its class."""
import legonn as lg
from legonn import nn, paths
from legonn import torchnet as tnt
from legonn.pl import stringx

from ..objdet import boxoverlap  # noqa: F401 (utils.boxoverlap, the same Lua function)
from . import nms as C



def nms(boxes, overlap):
    keep = lg.FloatTensor()
    C.NMS(keep, boxes, overlap)
    return keep


def bbox_vote(nms_boxes, scored_boxes, overlap):
    res = lg.FloatTensor()
    C.bbox_vote(res, nms_boxes, scored_boxes, overlap)
    return res


# ------------------------------------------------------------------------------
# utility functions for the evaluation part
# ------------------------------------------------------------------------------

def joinTable(input, dim):
    size = lg.LongStorage()
    is_ok = False
    for i in range(len(input)):
        currentOutput = input[i]
        if currentOutput.numel() > 0:
            if not is_ok:
                size.resize(currentOutput.dim()).copy(currentOutput.size())
                is_ok = True
            else:
                size[dim] = size[dim] + currentOutput.size(dim)
    output = input[0].new().resize(size)
    offset = 0
    for i in range(len(input)):
        currentOutput = input[i]
        if currentOutput.numel() > 0:
            output.narrow(dim, offset, currentOutput.size(dim)).copy(currentOutput)
            offset = offset + currentOutput.size(dim)
    return output


def keep_top_k(boxes, top_k):
    X = joinTable(boxes, 0)
    if X.numel() == 0:
        return boxes, 0
    scores = X[:, -1].sort(0, True)[0]
    thresh = scores[min(scores.numel(), top_k) - 1]
    for i in range(len(boxes)):
        bbox = boxes[i]
        if bbox.numel() > 0:
            idx = lg.range(0, bbox.size(0) - 1).long()
            keep = bbox[:, -1].ge(thresh)
            idx = idx[keep]
            if idx.numel() > 0:
                boxes[i] = bbox.index(0, idx)
            else:
                boxes[i].resize(0)
    return boxes, thresh


# ------------------------------------------------------------------------------
# evaluation
# ------------------------------------------------------------------------------

# boxoverlap: utils.lua's is fmassa/object-detection.torch's utils.lua function, line for line (``b.xmin``
# tested for a box given as a table): its port in tests/porting/objdet.py is imported above, not repeated.


def intersection(a, b):
    b = [b.xmin, b.ymin, b.xmax, b.ymax] if getattr(b, 'xmin', None) is not None else b
    x1 = a.select(1, 0).clone()
    x1[x1.lt(b[0])] = b[0]
    y1 = a.select(1, 1).clone()
    y1[y1.lt(b[1])] = b[1]
    x2 = a.select(1, 2).clone()
    x2[x2.gt(b[2])] = b[2]
    y2 = a.select(1, 3).clone()
    y2[y2.gt(b[3])] = b[3]

    w = x2 - x1 + 1
    h = y2 - y1 + 1
    inter = lg.cmul(w, h).float()
    aarea = lg.cmul((a.select(1, 2) - a.select(1, 0) + 1), (a.select(1, 3) - a.select(1, 1) + 1)).float()
    return lg.cdiv(inter, aarea)


# ------------------------------------------------------------------------------

def flipBoxes(boxes, image_width):
    flipped = boxes.clone()
    flipped.select(1, 0).copy(- boxes.select(1, 2) + image_width - 1)
    flipped.select(1, 2).copy(- boxes.select(1, 0) + image_width - 1)
    return flipped


# ------------------------------------------------------------------------------

def merge_table(elements):
    t = {}
    for i, u in enumerate(elements):
        for k, v in u.items():
            t[k] = v
    return t


# bbox, tbox: [x1,y1,x2,y2]
def _convertTo(out, bbox, tbox):
    if lg.type(out) == 'table' or out.nDimension() == 1:
        xc = (bbox[0] + bbox[2]) * 0.5
        yc = (bbox[1] + bbox[3]) * 0.5
        w = bbox[2] - bbox[0]
        h = bbox[3] - bbox[1]
        xtc = (tbox[0] + tbox[2]) * 0.5
        ytc = (tbox[1] + tbox[3]) * 0.5
        wt = tbox[2] - tbox[0]
        ht = tbox[3] - tbox[1]
        out[0] = (xtc - xc) / w
        out[1] = (ytc - yc) / h
        out[2] = lg.log(wt / w)
        out[3] = lg.log(ht / h)
    else:
        xc = (bbox[:, 0] + bbox[:, 2]) * 0.5
        yc = (bbox[:, 1] + bbox[:, 3]) * 0.5
        w = bbox[:, 2] - bbox[:, 0]
        h = bbox[:, 3] - bbox[:, 1]
        xtc = (tbox[:, 0] + tbox[:, 2]) * 0.5
        ytc = (tbox[:, 1] + tbox[:, 3]) * 0.5
        wt = tbox[:, 2] - tbox[:, 0]
        ht = tbox[:, 3] - tbox[:, 1]
        out[:, 0] = (xtc - xc).cdiv(w)
        out[:, 1] = (ytc - yc).cdiv(h)
        out[:, 2] = wt.cdiv(w).log()
        out[:, 3] = ht.cdiv(h).log()


def convertTo(*arg):
    if len(arg) == 3:
        _convertTo(*arg)
    else:
        x = arg[0].clone()
        _convertTo(x, arg[0], arg[1])
        return x


def convertFrom(out, bbox, y):
    if lg.type(out) == 'table' or out.nDimension() == 1:
        xc = (bbox[0] + bbox[2]) * 0.5
        yc = (bbox[1] + bbox[3]) * 0.5
        w = bbox[2] - bbox[0]
        h = bbox[3] - bbox[1]

        xtc = xc + y[0] * w
        ytc = yc + y[1] * h
        wt = w * lg.exp(y[2])
        ht = h * lg.exp(y[3])

        out[0] = xtc - wt / 2
        out[1] = ytc - ht / 2
        out[2] = xtc + wt / 2
        out[3] = ytc + ht / 2
    else:
        assert bbox.size(1) == y.size(1)
        assert bbox.size(1) == out.size(1)
        assert bbox.size(0) == y.size(0)
        assert bbox.size(0) == out.size(0)
        xc = (bbox[:, 0] + bbox[:, 2]) * 0.5
        yc = (bbox[:, 1] + bbox[:, 3]) * 0.5
        w = bbox[:, 2] - bbox[:, 0]
        h = bbox[:, 3] - bbox[:, 1]

        xtc = lg.addcmul(xc, y[:, 0], w)
        ytc = lg.addcmul(yc, y[:, 1], h)
        wt = lg.exp(y[:, 2]).cmul(w)
        ht = lg.exp(y[:, 3]).cmul(h)

        out[:, 0] = xtc - wt * 0.5
        out[:, 1] = ytc - ht * 0.5
        out[:, 2] = xtc + wt * 0.5
        out[:, 3] = ytc + ht * 0.5


def removeDataParallel(model):
    for m in model.listModules():
        if getattr(m, 'modules', None) is not None:
            for j, inner in enumerate(m.modules):
                if lg.type(inner) == 'nn.DataParallelTable':
                    assert len(inner.modules) >= 1
                    m.modules[j] = inner.modules[0].float().cuda()  # maybe move to the right GPU


# Deletes entries in modulesToOptState for modules that don't have parameters
# in the network. This includes modules in DataParallelTable that aren't on
# the primary GPU.
def cleanupOptim(state):
    params, gradParams = state.network.parameters()
    map = {}
    for param in params:
        map[id(param)] = True

    optimizer = state.optimizer
    for module in list(optimizer.modulesToOptState):
        if not map.get(id(module.weight)) and not map.get(id(module.bias)):
            del optimizer.modulesToOptState[module]


def makeProposalPath(proposal_dir, dataset, proposals, set, imagenet=None, opt=None):
    res = []
    if set == 'val5k':
        set = 'val'
    if set == 'val35k':
        set = 'val'
    proposals = stringx.split(proposals, ',')
    for i in range(len(proposals)):
        if dataset == 'coco' and set == 'trainval':
            res.append(paths.concat(proposal_dir, dataset, proposals[i], 'train.t7'))
            res.append(paths.concat(proposal_dir, dataset, proposals[i], 'val.t7'))
        elif dataset == 'VOC2007,2012':
            res.append(paths.concat(proposal_dir, 'VOC2007', proposals[i], set + '.t7'))
            res.append(paths.concat(proposal_dir, 'VOC2012', proposals[i], set + '.t7'))
        else:
            res.append(paths.concat(proposal_dir, dataset, proposals[i], set + '.t7'))

    if opt and opt['extra_proposals_file'] != '':
        res.append(opt['extra_proposals_file'])

    if imagenet:
        # deepmask, cuz that's all we got
        res.append(paths.concat(proposal_dir, 'imagenet', 'deepmask', 'train.t7'))

    return res


def saveResults(aboxes, dataset, res_file):
    nClasses = len(aboxes)
    nImages = len(aboxes[0])

    size = 0
    for clss, rc in aboxes.items():
        for i, data in rc.items():
            if data.nElement() > 0:
                size = size + data.size(0)

    out = {}
    out['dataset'] = dataset
    out['images'] = lg.range(0, nImages - 1).float()
    det = {}
    out['detections'] = det
    det['boxes'] = lg.FloatTensor(size, 4)
    det['scores'] = lg.FloatTensor(size)
    det['categories'] = lg.FloatTensor(size)
    det['images'] = lg.FloatTensor(size)
    off = 0
    for clss in range(len(aboxes)):
        for i in range(len(aboxes[clss])):
            data = aboxes[clss][i]
            if data.nElement() > 0:
                det['boxes'].narrow(0, off, data.size(0)).copy(data.narrow(1, 0, 4))
                det['scores'].narrow(0, off, data.size(0)).copy(data.select(1, 4))
                det['categories'].narrow(0, off, data.size(0)).fill(clss)
                det['images'].narrow(0, off, data.size(0)).fill(i)
                off = off + data.size(0)
    lg.save(res_file, out)


# modified nn.utils
# accepts different types and numbers
def recursiveCopy(t1, t2):
    if lg.type(t2) == 'table':
        t1 = t1 if lg.type(t1) == 'table' else [t1]
        for key in range(len(t2)):
            if key == len(t1):
                t1.append(None)
            t1[key], t2[key] = recursiveCopy(t1[key], t2[key])
    elif lg.isTensor(t2):
        t1 = t1 if lg.isTensor(t1) else t2.new()
        t1.resize(t2.size()).copy(t2)
    elif lg.type(t2) == 'number':
        t1 = t2
    else:
        raise TypeError("expecting nested tensors or tables. Got " + lg.type(t1) + " and " + lg.type(t2) +
                        " instead")
    return t1, t2


def recursiveCast(dst, src, type):
    """torchnet's ``utils.table.copy(tbl)`` reads one argument and returns a copy the Lua drops: the line's
    effect is ``nn.utils.recursiveType`` converting ``src``'s tensors in place, evaluated as the Lua evaluates
    the extra argument, before the call; recursiveCopy then fills ``dst`` with new tensors of that type."""
    if len(dst) == 0:
        converted = nn.utils.recursiveType(src, type)
        tnt.utils.table.copy(dst)
    recursiveCopy(dst, src)


# another version of nms that returns indexes instead of new boxes
def nms_dense(boxes, overlap):
    n_boxes = boxes.size(0)

    if n_boxes == 0:
        return lg.LongTensor()

    # sort scores in descending order
    assert boxes.size(1) == 5
    vals, I = lg.sort(boxes.select(1, 4), 0, True)

    # sort the boxes
    boxes_s = boxes.index(0, I).t().contiguous()

    suppressed = lg.ByteTensor().resize(boxes_s.size(1)).zero()

    x1 = boxes_s[0]
    y1 = boxes_s[1]
    x2 = boxes_s[2]
    y2 = boxes_s[3]
    s = boxes_s[4]

    area = lg.cmul((x2 - x1 + 1), (y2 - y1 + 1))

    pick = lg.LongTensor(s.size(0)).zero()

    # these clones are just for setting the size
    xx1 = x1.clone()
    yy1 = x1.clone()
    xx2 = x1.clone()
    yy2 = x1.clone()
    w = x1.clone()
    h = x1.clone()

    pickIdx = 0
    for c in range(n_boxes):
        if suppressed[c] == 0:
            pick[pickIdx] = I[c]
            pickIdx = pickIdx + 1

            xx1.copy(x1).clamp(x1[c], float('inf'))
            yy1.copy(y1).clamp(y1[c], float('inf'))
            xx2.copy(x2).clamp(0, x2[c])
            yy2.copy(y2).clamp(0, y2[c])

            w.add(xx2, -1, xx1).add(1).clamp(0, float('inf'))
            h.add(yy2, -1, yy1).add(1).clamp(0, float('inf'))
            inter = w
            inter.cmul(h)
            union = xx1
            union.add(area, -1, inter).add(area[c])
            ol = h
            lg.cdiv(ol, inter, union)

            suppressed.add(ol.gt(overlap)).clamp(0, 1)

    pick = pick[0:pickIdx]
    return pick


def checkpoint(net):
    """deepCopy(net):float():clearState(): a copy of the network with new modules sharing its tensors (the
    DataParallelTables replaced by their first replica), converted to float and cleared."""
    return deepCopy(net).float().clearState()


def deepCopy(tbl):
    # creates a copy of a network with new modules and the same tensors
    copy = object.__new__(type(tbl)) if lg.typename(tbl) else {}
    items = vars(tbl).items() if lg.typename(tbl) else tbl.items()
    for k, v in items:
        # will skip all DPTs. it also causes stack overflow, idk why
        if lg.typename(v) == 'nn.DataParallelTable':
            v = v.get(0)
        if isinstance(v, list):
            v = [deepCopy(u) if isinstance(u, nn.Module) else u for u in v]
        elif isinstance(v, (dict, nn.Module)):
            v = deepCopy(v)
        if isinstance(copy, dict):
            copy[k] = v
        else:
            copy.__dict__[k] = v
    return copy
