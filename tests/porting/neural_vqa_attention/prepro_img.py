"""prepro_img.lua: VGG-19 from loadcaffe without its last 9 modules (up to pool5) turns each 448 x 448 image
into 14 x 14 x 512 features, saved per split as h5 (``/images_train``, ``/images_test``). The script's body is
``main(arg)``; it returns its globals. Images are numbered from 0 in the loops (``for i = 1, sz, batch_size``
is ``range(0, sz, batch_size)`` with ``r`` one past the batch's last)."""
import legonn as lg
from legonn import cjson, hdf5, image, loadcaffe, paths, xlua


def main(arg=None):
    # -------------------------------------------------------------------------------
    # Input arguments and options
    # -------------------------------------------------------------------------------
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Options')
    cmd.option('-input_json', 'data/params.json', 'path to the json file containing vocab and answers')
    cmd.option('-image_root', '/path/to/coco/images/', 'path to the image root')
    cmd.option('-cnn_proto', 'models/vgg19/VGG_ILSVRC_19_layers_deploy.prototxt', 'path to the cnn prototxt')
    cmd.option('-cnn_model', 'models/vgg19/VGG_ILSVRC_19_layers.caffemodel', 'path to the cnn model')
    cmd.option('-batch_size', 20, 'batch_size')

    cmd.option('-out_name_train', 'data/img_train.h5', 'output name')
    cmd.option('-out_name_test', 'data/img_test.h5', 'output name')
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')
    cmd.option('-backend', 'nn', 'nn|cudnn')

    opt = cmd.parse(arg)
    print(opt)

    net = loadcaffe.load(opt['cnn_proto'], opt['cnn_model'], opt['backend'])
    for i in range(1, 10):
        net.remove()
    print(net)

    if opt['gpuid'] >= 0:
        cutorch = paths.require('cutorch')
        paths.require('cunn')
        cutorch.setDevice(opt['gpuid'])   # 0-based, as legonn's devices
        net = net.cuda()
    net.evaluate()

    def loadim(imname):
        im = image.load(imname)
        im = image.scale(im, 448, 448)
        if im.size(0) == 1:
            im2 = lg.cat(im, im, 0)
            im2 = lg.cat(im2, im, 0)
            im = im2
        elif im.size(0) == 4:
            im = im[0:3, :, :]
        im = im * 255
        im2 = im.clone()
        im2[2:3, :, :] = im[0:1, :, :] - 123.68
        im2[1:2, :, :] = im[1:2, :, :] - 116.779
        im2[0:1, :, :] = im[2:3, :, :] - 103.939
        return im2

    image_root = opt['image_root']

    file = open(opt['input_json'], 'r')
    text = file.readline()   # file:read(): one line
    file.close()
    json_file = cjson.decode(text)

    train_list = []
    for imname in json_file['unique_img_train']:
        train_list.append(image_root + imname)

    test_list = []
    for imname in json_file['unique_img_test']:
        test_list.append(image_root + imname)

    batch_size = opt['batch_size']
    sz = len(train_list)
    feat_train = lg.FloatTensor(sz, 14, 14, 512)
    print('processing %d images...' % sz)
    for i in range(0, sz, batch_size):
        xlua.progress(i, sz)
        r = min(sz, i + batch_size)
        ims = lg.DoubleTensor(r - i, 3, 448, 448)
        for j in range(r - i):
            ims[j] = loadim(train_list[i + j])
        if opt['gpuid'] >= 0:
            ims = ims.cuda()
        net.forward(ims)
        feat_train[i:r, :] = net.output.permute(0, 2, 3, 1).contiguous().float()

    train_h5_file = hdf5.open(opt['out_name_train'], 'w')
    train_h5_file.write('/images_train', feat_train)
    train_h5_file.close()

    print('DataLoader loading h5 file: ', 'data_train')
    sz = len(test_list)
    feat_test = lg.FloatTensor(sz, 14, 14, 512)
    print('processing %d images...' % sz)
    for i in range(0, sz, batch_size):
        xlua.progress(i, sz)
        r = min(sz, i + batch_size)
        ims = lg.DoubleTensor(r - i, 3, 448, 448)
        for j in range(r - i):
            ims[j] = loadim(test_list[i + j])
        if opt['gpuid'] >= 0:
            ims = ims.cuda()
        net.forward(ims)
        feat_test[i:r, :] = net.output.permute(0, 2, 3, 1).contiguous().float()

    test_h5_file = hdf5.open(opt['out_name_test'], 'w')
    test_h5_file.write('/images_test', feat_test)
    test_h5_file.close()

    return locals()
