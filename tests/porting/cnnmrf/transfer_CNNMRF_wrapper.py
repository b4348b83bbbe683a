"""transfer_CNNMRF_wrapper.lua of chuanli11/CNNMRF, ported line by line: ``main(params)`` (guided synthesis:
a TV layer, the VGG layers up to the last content / MRF layer with nn.ContentLoss and nn.MRFMM after the named
ones, a coarse-to-fine pyramid optimised by ``mylbfgs``) and ``run_test``. Layer numbers are 0-based
(``params['content_layers']``, ``params['mrf_layers']``: the Lua's 21 is 20 here); ``main`` returns
``(input_image, losses)``, the Lua's last image and the f history of each resolution, for the tests to read
(the Lua returns nothing)."""
import math
import os

import legonn as lg
from legonn import image, loadcaffe, nn

from .mylib.content import ContentLoss
from .mylib.helper import (computeBB, deprocess, drill_computeMRFfull, preprocess,
                           sampleMRFAndTensorfromLocation2)
from .mylib.mrf import MRFMM
from .mylib.myoptimizer import mylbfgs
from .mylib.tv import TVLoss

lg.setdefaulttensortype('torch.FloatTensor')  # float as default tensor type


def main(params):
    os.system('mkdir data/result/')
    os.system('mkdir data/result/trans/')
    os.system('mkdir data/result/trans/MRF/')
    os.system('mkdir %s' % params['output_folder'])

    net = nn.Sequential()
    next_content_idx = 0
    i_net_layer = -1
    num_calls = 0
    content_losses = []
    content_layers = []
    i_content_layer = -1
    next_mrf_idx = 0
    mrf_losses = []
    mrf_layers = []
    i_mrf_layer = -1
    input_image = None
    output_image = None
    cur_res = None
    content_layers_pretrained = params['content_layers']
    mrf_layers_pretrained = params['mrf_layers']
    all_losses = []

    ###################################################################################
    # read images
    ###################################################################################
    source_image = image.load('data/content/%s.jpg' % params['content_name'], 3)
    target_image = image.load('data/style/%s.jpg' % params['style_name'], 3)

    source_image = image.scale(source_image, params['max_size'], 'bilinear')
    target_image = image.scale(target_image, params['max_size'], 'bilinear')

    render_height = source_image.size()[1]
    render_width = source_image.size()[2]
    source_image_caffe = preprocess(source_image).float()
    target_image_caffe = preprocess(target_image).float()

    pyramid_source_image_caffe = []
    for i_res in range(params['num_res']):
        pyramid_source_image_caffe.append(image.scale(
            source_image_caffe, math.ceil(source_image.size()[2] * math.pow(0.5, params['num_res'] - 1 - i_res)),
            math.ceil(source_image.size()[1] * math.pow(0.5, params['num_res'] - 1 - i_res)), 'bilinear'))

    pyramid_target_image_caffe = []
    for i_res in range(params['num_res']):
        pyramid_target_image_caffe.append(image.scale(
            target_image_caffe, math.ceil(target_image.size()[2] * math.pow(0.5, params['num_res'] - 1 - i_res)),
            math.ceil(target_image.size()[1] * math.pow(0.5, params['num_res'] - 1 - i_res)), 'bilinear'))

    ######################################################################################################
    # local function for adding a content layer
    ######################################################################################################
    def add_content():
        nonlocal i_content_layer, i_net_layer, next_content_idx
        source = pyramid_source_image_caffe[cur_res].clone()
        if params['gpu'] >= 0:
            if params['backend'] == 'cudnn':
                source = source.cuda()
            else:
                source = source.cl()
        feature = net.forward(source).clone()  # generate the content target using content image
        if params['gpu'] >= 0:
            if params['backend'] == 'cudnn':
                feature = feature.cuda()
            else:
                feature = feature.cl()

        norm = params.get('normalize_gradients')
        print(params.get('normalize_gradients'))
        loss_module = ContentLoss(params['content_weight'], feature, norm).float()
        if params['gpu'] >= 0:
            if params['backend'] == 'cudnn':
                loss_module.cuda()
            else:
                loss_module.cl()

        i_content_layer = i_content_layer + 1
        i_net_layer = i_net_layer + 1
        next_content_idx = next_content_idx + 1
        net.add(loss_module)
        content_losses.append(loss_module)
        content_layers.insert(i_content_layer, i_net_layer)

    def update_content(idx_layer, idx_content):
        source = pyramid_source_image_caffe[cur_res].clone()
        if params['gpu'] >= 0:
            if params['backend'] == 'cudnn':
                source = source.cuda()
            else:
                source = source.cl()
        net.forward(source)
        feature = net.get(idx_layer).output.clone()
        if params['gpu'] >= 0:
            if params['backend'] == 'cudnn':
                feature = feature.cuda()
            else:
                feature = feature.cl()

        norm = params.get('normalize_gradients')
        loss_module = ContentLoss(params['content_weight'], feature, norm).float()
        if params['gpu'] >= 0:
            if params['backend'] == 'cudnn':
                loss_module.cuda()
            else:
                loss_module.cl()
        net.get(idx_layer).update(loss_module)

    # ########################################################################################################
    # # local function for adding a mrf layer, with image rotation andn scaling
    # ########################################################################################################
    def add_mrf():
        nonlocal i_mrf_layer, i_net_layer, next_mrf_idx
        mrf_module = MRFMM()
        i_mrf_layer = i_mrf_layer + 1
        i_net_layer = i_net_layer + 1
        next_mrf_idx = next_mrf_idx + 1
        if params['gpu'] >= 0:
            if params['backend'] == 'cudnn':
                mrf_module.cuda()
            else:
                mrf_module.cl()
        net.add(mrf_module)
        mrf_losses.append(mrf_module)
        mrf_layers.insert(i_mrf_layer, i_net_layer)
        return True

    def build_mrf(id_mrf):
        ########################################################
        # deal with target
        ########################################################
        target_images_caffe = []
        for i_r in range(-params['target_num_rotation'], params['target_num_rotation'] + 1):
            alpha = params['target_step_rotation'] * i_r
            min_x, min_y, max_x, max_y = computeBB(pyramid_target_image_caffe[cur_res].size()[2],
                                                   pyramid_target_image_caffe[cur_res].size()[1], alpha)
            target_image_rt_caffe = image.rotate(pyramid_target_image_caffe[cur_res], alpha, 'bilinear')
            target_image_rt_caffe = target_image_rt_caffe[0:target_image_rt_caffe.size()[0], min_y - 1:max_y,
                                                          min_x - 1:max_x]

            for i_s in range(-params['target_num_scale'], params['target_num_scale'] + 1):
                max_sz = math.floor(max(target_image_rt_caffe.size()[1], target_image_rt_caffe.size()[2])
                                    * lg.pow(params['target_step_scale'], i_s))
                target_image_rt_s_caffe = image.scale(target_image_rt_caffe, max_sz, 'bilinear')
                if params['gpu'] >= 0:
                    if params['backend'] == 'cudnn':
                        target_image_rt_s_caffe = target_image_rt_s_caffe.cuda()
                    else:
                        target_image_rt_s_caffe = target_image_rt_s_caffe.cl()
                target_images_caffe.append(target_image_rt_s_caffe)

        # compute the coordinates on the pixel layer
        target_x = None
        target_y = None
        target_x_per_image = []
        target_y_per_image = []
        target_imageid = None
        for i_image in range(len(target_images_caffe)):
            net.forward(target_images_caffe[i_image])
            target_feature_map = net.get(mrf_layers[id_mrf] - 1).output.float()

            if (params['mrf_patch_size'][id_mrf] > target_feature_map.size()[1]
                    or params['mrf_patch_size'][id_mrf] > target_feature_map.size()[2]):
                print('target_images is not big enough for patch')
                print('target_images size: ')
                print(target_feature_map.size())
                print('patch size: ')
                print(params['mrf_patch_size'][id_mrf])
                return
            target_x_, target_y_ = drill_computeMRFfull(target_feature_map, params['mrf_patch_size'][id_mrf],
                                                        params['target_sample_stride'][id_mrf], -1)

            x = lg.Tensor(target_x_.nElement() * target_y_.nElement())
            y = lg.Tensor(target_x_.nElement() * target_y_.nElement())
            target_imageid_ = lg.Tensor(target_x_.nElement() * target_y_.nElement()).fill(i_image)
            count = 0
            for i_row in range(target_y_.nElement()):
                for i_col in range(target_x_.nElement()):
                    x[count] = target_x_[i_col]
                    y[count] = target_y_[i_row]
                    count = count + 1
            if i_image == 0:
                target_x = x.clone()
                target_y = y.clone()
                target_imageid = target_imageid_.clone()
            else:
                target_x = lg.cat(target_x, x, 0)
                target_y = lg.cat(target_y, y, 0)
                target_imageid = lg.cat(target_imageid, target_imageid_, 0)
            target_x_per_image.append(x)
            target_y_per_image.append(y)

        num_channel_mrf = net.get(mrf_layers[id_mrf] - 1).output.size()[0]
        target_mrf = lg.Tensor(target_x.nElement(),
                               num_channel_mrf * params['mrf_patch_size'][id_mrf] * params['mrf_patch_size'][id_mrf])
        tensor_target_mrf = lg.Tensor(target_x.nElement(), num_channel_mrf, params['mrf_patch_size'][id_mrf],
                                      params['mrf_patch_size'][id_mrf])
        count_mrf = 0
        for i_image in range(len(target_images_caffe)):
            net.forward(target_images_caffe[i_image])
            # sample mrf on mrf_layers
            tensor_target_mrf_, target_mrf_ = sampleMRFAndTensorfromLocation2(
                target_x_per_image[i_image], target_y_per_image[i_image],
                net.get(mrf_layers[id_mrf] - 1).output.float(), params['mrf_patch_size'][id_mrf])
            target_mrf[count_mrf:count_mrf + target_mrf_.size()[0], 0:target_mrf.size()[1]] = target_mrf_.clone()
            tensor_target_mrf[count_mrf:count_mrf + target_mrf_.size()[0], 0:tensor_target_mrf.size()[1],
                              0:tensor_target_mrf.size()[2], 0:tensor_target_mrf.size()[3]] = tensor_target_mrf_.clone()
            count_mrf = count_mrf + target_mrf_.size()[0]
            tensor_target_mrf_ = None
            target_mrf_ = None
        target_mrfnorm = lg.sqrt(lg.sum(lg.cmul(target_mrf, target_mrf), 1)).resize(target_mrf.size()[0], 1, 1)

        ########################################################
        # process source
        ########################################################
        if params['gpu'] >= 0:
            if params['backend'] == 'cudnn':
                net.forward(pyramid_source_image_caffe[cur_res].cuda())
            else:
                net.forward(pyramid_source_image_caffe[cur_res].cl())
        else:
            net.forward(pyramid_source_image_caffe[cur_res])
        source_feature_map = net.get(mrf_layers[id_mrf] - 1).output.float()
        if (params['mrf_patch_size'][id_mrf] > source_feature_map.size()[1]
                or params['mrf_patch_size'][id_mrf] > source_feature_map.size()[2]):
            print('source_image_caffe is not big enough for patch')
            print('source_image_caffe size: ')
            print(source_feature_map.size())
            print('patch size: ')
            print(params['mrf_patch_size'][id_mrf])
            return
        source_xgrid, source_ygrid = drill_computeMRFfull(source_feature_map.float(), params['mrf_patch_size'][id_mrf],
                                                          params['source_sample_stride'][id_mrf], -1)
        source_x = lg.Tensor(source_xgrid.nElement() * source_ygrid.nElement())
        source_y = lg.Tensor(source_xgrid.nElement() * source_ygrid.nElement())
        count = 0
        for i_row in range(source_ygrid.nElement()):
            for i_col in range(source_xgrid.nElement()):
                source_x[count] = source_xgrid[i_col]
                source_y[count] = source_ygrid[i_row]
                count = count + 1

        nInputPlane = target_mrf.size()[1] / (params['mrf_patch_size'][id_mrf] * params['mrf_patch_size'][id_mrf])
        nOutputPlane = target_mrf.size()[0]
        kW = params['mrf_patch_size'][id_mrf]
        kH = params['mrf_patch_size'][id_mrf]
        dW = 1
        dH = 1
        input_size = source_feature_map.size()

        source_xgrid_, source_ygrid_ = drill_computeMRFfull(source_feature_map.float(),
                                                            params['mrf_patch_size'][id_mrf], 1, -1)
        response_size = lg.LongStorage(3)
        response_size[0] = nOutputPlane
        response_size[1] = source_ygrid_.nElement()
        response_size[2] = source_xgrid_.nElement()
        net.get(mrf_layers[id_mrf]).implement(
            params['mode'], target_mrf, tensor_target_mrf, target_mrfnorm, source_x, source_y, input_size,
            response_size, nInputPlane, nOutputPlane, kW, kH, 1, 1, params['mrf_confidence_threshold'][id_mrf],
            params['mrf_weight'][id_mrf], params['gpu_chunck_size_1'], params['gpu_chunck_size_2'],
            params['backend'], params['gpu'])
        target_mrf = None
        tensor_target_mrf = None
        source_feature_map = None

    ########################################################################################################
    # local function for printing inter-mediate result
    ########################################################################################################
    def maybe_print(t, loss):
        verbose = (params['print_iter'] > 0 and t % params['print_iter'] == 0)
        if verbose:
            print('Iteration %d, %d' % (t, params['num_iter'][cur_res]))

    ########################################################################################################
    # local function for saving inter-mediate result
    ########################################################################################################
    def maybe_save(t):
        should_save = params['save_iter'] > 0 and t % params['save_iter'] == 0
        should_save = should_save or t == params['num_iter']
        if should_save:
            disp = deprocess(input_image.float())
            disp = image.minmax(tensor=disp, min=0, max=1)
            disp = image.scale(disp, render_width, render_height, 'bilinear')
            filename = '%s/res_%d_%d.jpg' % (params['output_folder'], cur_res, t)
            image.save(filename, disp)

    ########################################################################################################
    # local function for computing energy
    ########################################################################################################
    def feval(x):
        nonlocal num_calls
        num_calls = num_calls + 1
        net.forward(x)
        grad = net.backward(x, dy)
        loss = 0

        maybe_print(num_calls, loss)
        maybe_save(num_calls)

        # optim.lbfgs expects a vector for gradients
        return loss, grad.view(grad.nElement())

    ###############################################################################
    # initialize network
    ###############################################################################
    if params['gpu'] >= 0:
        if params['backend'] == 'cudnn':
            from legonn import cutorch   # require 'cutorch', 'cunn' (legonn's nn runs on the GPU itself)
            cutorch.setDevice(params['gpu'])   # Lua: params.gpu + 1 (cutorch counts devices from 1)
        else:
            raise ImportError("require 'cltorch': OpenCL (cltorch, clnn) is not part of legonn")
    else:
        params['backend'] = 'nn'

    if params['backend'] == 'cudnn':
        from legonn import cudnn   # noqa: F401

    loadcaffe_backend = params['backend']
    if params['backend'] == 'clnn':
        loadcaffe_backend = 'nn'
    cnn = loadcaffe.load(params['proto_file'], params['model_file'], loadcaffe_backend).float()
    if params['gpu'] >= 0:
        if params['backend'] == 'cudnn':
            cnn.cuda()
        else:
            cnn.cl()
    print('cnn succesfully loaded')

    for i_res in range(params['num_res']):
        timer = lg.Timer()

        cur_res = i_res
        num_calls = 0
        optim_state = {
            'maxIter': params['num_iter'][i_res],
            'nCorrection': params['nCorrection'],
            'verbose': True,
            'tolX': 0,
            'tolFun': 0,
        }

        # initialize image and target
        if i_res == 0:

            if params['ini_method'] == 'random':
                input_image = lg.randn(pyramid_source_image_caffe[i_res].size()).float().mul(0.001)
            elif params['ini_method'] == 'image':
                input_image = pyramid_source_image_caffe[i_res].clone().float()
            else:
                raise ValueError('Invalid init type')
            if params['gpu'] >= 0:
                if params['backend'] == 'cudnn':
                    input_image = input_image.cuda()
                else:
                    input_image = input_image.cl()

            #####################################################
            # add a tv layer
            #####################################################
            if params['tv_weight'] > 0:
                tv_mod = TVLoss(params['tv_weight']).float()
                if params['gpu'] >= 0:
                    if params['backend'] == 'cudnn':
                        tv_mod.cuda()
                    else:
                        tv_mod.cl()
                i_net_layer = i_net_layer + 1
                net.add(tv_mod)

            for i in range(len(cnn)):
                if next_content_idx < len(content_layers_pretrained) or next_mrf_idx < len(mrf_layers_pretrained):
                    layer = cnn.get(i)

                    i_net_layer = i_net_layer + 1
                    net.add(layer)

                    # add a content_losses layer
                    if (next_content_idx < len(content_layers_pretrained)
                            and i == content_layers_pretrained[next_content_idx]):
                        add_content()

                    # -- add mrfstatsyn layer
                    if next_mrf_idx < len(mrf_layers_pretrained) and i == mrf_layers_pretrained[next_mrf_idx]:
                        if not add_mrf():
                            print('build network failed: adding mrf layer failed')
                            return

            cnn = None

            print(net)

            print('content_layers: ')
            for i in range(len(content_layers)):
                print(content_layers[i])

            print('mrf_layers: ')
            for i in range(len(mrf_layers)):
                print(mrf_layers[i])

            print('network has been built.')
        else:
            input_image = image.scale(input_image.float(), pyramid_source_image_caffe[i_res].size()[2],
                                      pyramid_source_image_caffe[i_res].size()[1], 'bilinear').clone()
            if params['gpu'] >= 0:
                if params['backend'] == 'cudnn':
                    input_image = input_image.cuda()
                else:
                    input_image = input_image.cl()

            # -- update content layers
            for i_layer in range(len(content_layers)):
                update_content(content_layers[i_layer], i_layer)

        print('*****************************************************')
        print('Synthesis started at resolution ', cur_res)
        print('*****************************************************')

        print('Implementing mrf layers ...')
        for i in range(len(mrf_layers)):
            if build_mrf(i) is False:
                print('build_mrf failed')
                return

        mask = lg.Tensor(input_image.size()).fill(1)
        if params['gpu'] >= 0:
            if params['backend'] == 'cudnn':
                mask = mask.cuda()
            else:
                mask = mask.cl()

        y = net.forward(input_image)
        dy = input_image.new(y.size()).zero()

        # do optimizatoin
        x, losses = mylbfgs(feval, input_image, optim_state, None, mask)[:2]
        all_losses.append(losses)

        t = timer.time()['real']
        print('Synthesis finished at resolution %d, %f seconds' % (cur_res, t))

    return input_image, all_losses


def run_test(content_name, style_name, ini_method, max_size=None, num_res=None, num_iter=None, mrf_layers=None,
             mrf_weight=None, mrf_patch_size=None, mrf_num_rotation=None, mrf_num_scale=None,
             mrf_sample_stride=None, mrf_synthesis_stride=None, mrf_confidence_threshold=None, content_layers=None,
             content_weight=None, tv_weight=None, mode=None, gpu_chunck_size_1=None, gpu_chunck_size_2=None,
             backend=None):
    timer_TEST = lg.Timer()

    flag_state = 1

    params = {}

    # externally set paramters
    params['content_name'] = content_name
    params['style_name'] = style_name
    params['ini_method'] = ini_method
    params['max_size'] = max_size or 384
    params['num_res'] = num_res or 3
    params['num_iter'] = num_iter or [100, 100, 100]
    params['mrf_layers'] = mrf_layers or [11, 20]
    params['mrf_weight'] = mrf_weight or [1e-4, 1e-4]
    params['mrf_patch_size'] = mrf_patch_size or [3, 3]
    params['target_num_rotation'] = mrf_num_rotation or 0
    params['target_num_scale'] = mrf_num_scale or 0
    params['target_sample_stride'] = mrf_sample_stride or [2, 2]
    params['source_sample_stride'] = mrf_synthesis_stride or [2, 2]
    params['mrf_confidence_threshold'] = mrf_confidence_threshold or [0, 0]
    params['content_layers'] = content_layers or [20]
    params['content_weight'] = content_weight or 2e1
    params['tv_weight'] = tv_weight or 1e-3

    params['mode'] = mode or 'speed'
    params['gpu_chunck_size_1'] = gpu_chunck_size_1 or 256
    params['gpu_chunck_size_2'] = gpu_chunck_size_2 or 16
    params['backend'] = backend or 'cudnn'
    # fixed parameters
    params['target_step_rotation'] = math.pi / 24
    params['target_step_scale'] = 1.05

    params['output_folder'] = 'data/result/trans/MRF/%s_TO_%s' % (params['content_name'], params['style_name'])
    params['proto_file'] = 'data/models/VGG_ILSVRC_19_layers_deploy.prototxt'
    params['model_file'] = 'data/models/VGG_ILSVRC_19_layers.caffemodel'
    params['gpu'] = 0
    params['nCorrection'] = 25
    params['print_iter'] = 10
    params['save_iter'] = 10

    params['output_folder'] = 'data/result/trans/MRF/%s_TO_%s' % (params['content_name'], params['style_name'])

    main(params)

    t_test = timer_TEST.time()['real']
    print('Total time: %f seconds' % t_test)
    return flag_state
