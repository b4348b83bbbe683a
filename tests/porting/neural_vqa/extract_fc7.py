"""extract_fc7.lua: runs each image of a split through loadcaffe's VGG up to ``-feat_layer`` and saves the
features (a DoubleTensor, one 4096-wide row an image) and the image ids, in the same order. The script's body is
``main(arg)``; it returns its globals."""
import legonn as lg
from legonn import image, loadcaffe, nn, paths
from legonn.pl import path

from .utils import misc as utils
from .utils.DataLoader import DataLoader


def main(arg=None):
    cmd = lg.CmdLine()
    cmd.text('Options')

    cmd.option('-batch_size', 10, 'batch size')
    cmd.option('-split', 'train', 'train/val')
    cmd.option('-debug', 0, 'set debug = 1 for lots of prints')
    # bookkeeping
    cmd.option('-seed', 981723, 'Torch manual random number generator seed')
    cmd.option('-proto_file', 'models/VGG_ILSVRC_19_layers_deploy.prototxt')
    cmd.option('-model_file', 'models/VGG_ILSVRC_19_layers.caffemodel')
    cmd.option('-data_dir', 'data', 'Data directory.')
    cmd.option('-feat_layer', 'relu7', 'Layer to extract features from')
    cmd.option('-input_image_dir', 'data', 'Image directory')
    # gpu/cpu
    cmd.option('-gpuid', -1, '0-indexed id of GPU to use. -1 = CPU')

    opt = cmd.parse(arg or [])
    lg.manualSeed(opt['seed'])

    cutorch = None
    if opt['gpuid'] >= 0:
        try:
            cunn, ok = paths.require('cunn'), True    # noqa: F841
        except ImportError:
            ok = False
        try:
            cutorch, ok2 = paths.require('cutorch'), True
        except ImportError:
            ok2 = False
        if not ok:
            print('package cunn not found!')
        if not ok2:
            print('package cutorch not found!')
        if ok and ok2:
            print('using CUDA on GPU ' + str(opt['gpuid']) + '...')
            cutorch.setDevice(opt['gpuid'])
            cutorch.manualSeed(opt['seed'])
        else:
            print('If cutorch and cunn are installed, your CUDA toolkit may be improperly configured.')
            print('Check your CUDA toolkit installation, rebuild cutorch and cunn, and try again.')
            print('Falling back to CPU mode')
            opt['gpuid'] = -1

    loader = DataLoader.create(opt['data_dir'], opt['batch_size'], opt, 'fc7_feat')

    cnn = loadcaffe.load(opt['proto_file'], opt['model_file'])
    if opt['gpuid'] >= 0:
        cnn = cnn.cuda()

    cnn_fc7 = nn.Sequential()

    for i in range(len(cnn.modules)):
        layer = cnn.get(i)
        name = layer.name
        cnn_fc7.add(layer)
        if name == opt['feat_layer']:
            break

    cnn_fc7.evaluate()

    if opt['gpuid'] >= 0:
        cnn_fc7 = cnn_fc7.cuda()

    tmp_image_id = {}
    for i in range(len(loader.data[opt['split']])):
        tmp_image_id[loader.data[opt['split']][i]['image_id']] = 1

    image_id = {}
    idx = 1
    for i, v in tmp_image_id.items():
        image_id[idx] = i
        idx = idx + 1

    fc7 = lg.DoubleTensor(len(image_id), 4096)
    idx = 1

    if opt['gpuid'] >= 0:
        fc7 = fc7.cuda()

    while True:   # repeat ... until idx >= #image_id
        timer = lg.Timer()
        img_batch = lg.zeros(opt['batch_size'], 3, 224, 224)
        img_id_batch = []
        for i in range(opt['batch_size']):
            if idx not in image_id:
                break
            fp = path.join(opt['input_image_dir'], '%s2014/COCO_%s2014_%012d.jpg' % (opt['split'], opt['split'],
                                                                                     image_id[idx]))
            if opt['debug'] == 1:
                print(idx)
                print(fp)
            img_batch[i] = utils.preprocess(image.scale(image.load(fp, 3), 224, 224))
            img_id_batch.append(image_id[idx])
            idx = idx + 1

        if opt['gpuid'] >= 0:
            img_batch = img_batch.cuda()

        fc7_batch = cnn_fc7.forward(img_batch.narrow(0, 0, len(img_id_batch)))

        for i in range(fc7_batch.size(0)):
            if opt['debug'] == 1:
                print(idx - fc7_batch.size(0) + i - 1)
            fc7[idx - fc7_batch.size(0) + i - 1].copy(fc7_batch[i])

        if opt['gpuid'] >= 0:
            cutorch.synchronize()

        time = timer.time()['real']
        print(str(idx - 1) + '/' + str(len(image_id)) + " " + str(time))
        if idx >= len(image_id):
            break

    # the Lua table image_id (keys 1 .. n) is saved as the list of its values
    image_id = [image_id[k] for k in range(1, len(image_id) + 1)]
    lg.save(path.join(opt['data_dir'], opt['split'] + '_fc7.t7'), fc7)
    lg.save(path.join(opt['data_dir'], opt['split'] + '_fc7_image_id.t7'), image_id)
    return locals()
