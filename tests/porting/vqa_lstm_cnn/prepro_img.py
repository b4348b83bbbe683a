"""prepro_img.lua (all) as ``main(arg)``: the Caffe VGG loaded by loadcaffe in evaluate mode, each image loaded as
``loadim`` does (scaled to 224 x 224, a grey plane replicated to three, an alpha plane dropped, x255, the planes
reversed to BGR minus VGG's means), module 43's output (VGG-19's fc7 ReLU) for every image of both splits, written
to the h5 file as floats; returns the net.

Edits beyond syntax and 0-based indices: the Lua runs on the GPU only (``cutorch.setDevice(opt.gpuid)`` with the
1-based ``-gpuid 1`` by default, ``net:cuda()``, ``torch.CudaTensor`` buffers); the port keeps that path for
``-gpuid >= 1`` and, with ``-gpuid 0`` or less, leaves the net on the CPU with FloatTensor buffers, so that the
script runs without a GPU. ``collectgarbage()`` is dropped, xlua's progress counts from 0 (docs/porting.md).
"""
import legonn as lg
from legonn import cjson, cutorch, hdf5, image, loadcaffe, xlua


def main(arg):
    # -------------------------------------------------------------------------------
    # Input arguments and options
    # -------------------------------------------------------------------------------
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Options')
    cmd.option('-input_json', 'data_prepro.json', 'path to the json file containing vocab and answers')
    cmd.option('-image_root', '', 'path to the image root')
    cmd.option('-cnn_proto', '', 'path to the cnn prototxt')
    cmd.option('-cnn_model', '', 'path to the cnn model')
    cmd.option('-batch_size', 10, 'batch_size')

    cmd.option('-out_name', 'data_img.h5', 'output name')
    cmd.option('-gpuid', 1, 'which gpu to use. -1 = use CPU')
    cmd.option('-backend', 'cudnn', 'nn|cudnn')

    opt = cmd.parse(arg)
    print(opt)

    gpu = opt['gpuid'] >= 1
    if gpu:
        cutorch.setDevice(opt['gpuid'] - 1)
    net = loadcaffe.load(opt['cnn_proto'], opt['cnn_model'], opt['backend'])
    net.evaluate()
    if gpu:
        net = net.cuda()
    CudaTensor = lg.CudaTensor if gpu else lg.FloatTensor

    def loadim(imname):
        im = image.load(imname)
        im = image.scale(im, 224, 224)
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
    # open the mdf5 file

    file = open(opt['input_json'], 'r')
    text = file.readline()
    file.close()
    json_file = cjson.decode(text)

    train_list = []
    for imname in json_file['unique_img_train']:
        train_list.append(image_root + imname)

    test_list = []
    for imname in json_file['unique_img_test']:
        test_list.append(image_root + imname)

    ndims = 4096
    batch_size = opt['batch_size']
    sz = len(train_list)
    feat_train = CudaTensor(sz, ndims)
    print('processing %d images...' % sz)
    for i in range(0, sz, batch_size):
        xlua.progress(i, sz)
        r = min(sz, i + batch_size)
        ims = CudaTensor(r - i, 3, 224, 224)
        for j in range(r - i):
            ims[j] = loadim(train_list[i + j]).cuda() if gpu else loadim(train_list[i + j])
        net.forward(ims)
        feat_train[i:r, :] = net.modules[42].output.clone()

    print('DataLoader loading h5 file: ', 'data_train')
    sz = len(test_list)
    feat_test = CudaTensor(sz, ndims)
    print('processing %d images...' % sz)
    for i in range(0, sz, batch_size):
        xlua.progress(i, sz)
        r = min(sz, i + batch_size)
        ims = CudaTensor(r - i, 3, 224, 224)
        for j in range(r - i):
            ims[j] = loadim(test_list[i + j]).cuda() if gpu else loadim(test_list[i + j])
        net.forward(ims)
        feat_test[i:r, :] = net.modules[42].output.clone()

    train_h5_file = hdf5.open(opt['out_name'], 'w')
    train_h5_file.write('/images_train', feat_train.float())
    train_h5_file.write('/images_test', feat_test.float())
    train_h5_file.close()
    return net
