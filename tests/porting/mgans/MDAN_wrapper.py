"""code/MDAN_wrapper.lua of chuanli11/MGANs (MIT licence), ported line by line: ``state(params)`` is the Markovian
deconvolutional adversarial network's synthesis (train.lua runs it first, to make the style targets the MGAN learns
from). Each content image under ``<dataset_name><input_content_folder>`` is itself optimised by adam: a content
loss (MSE of VGG relu5_1 features, netC) and a style loss (the patch discriminator netS, a margin loss on 8 x 8
patches of VGG relu3_1 features, netSVGG) trained at each step against patches of the style images under
``<dataset_name>Style`` (rotated, scaled and flipped copies). The result is written to
``<dataset_name><output_style_folder>`` under the content image's name, contrast-stretched to [0, 1]; netS is saved
to ``<dataset_name><output_model_folder>netS_1.t7`` (and loaded from there when ``flag_pretrained``).

As MGAN_wrapper.py: train.lua's globals (``loadcaffe_wrap``, ``util``, ``pl``, ``disp``, ``weights_init``,
``computeBB``, ``computegrid``) are this module's globals, ``loadcaffe_wrap`` and ``disp`` set by the caller; and
``params`` may carry ``opt_overrides``, applied to ``opt`` after its constants (before the weights are
normalised), the one line not in the Lua, so that a test can give netS the stand-in VGG's plane count (and
turn the style image's rotated and scaled copies off).
computegrid's block positions are 1-based (lib/helper.py): a slice from them takes 1 off its start.
"""
import math
import os
import re

import legonn as lg
from legonn import image, nn, optim, pl
from tests.porting.mgans.lib import util
from tests.porting.mgans.lib.helper import computeBB, computegrid, weights_init
from tests.porting.mgans.lib.tv import TVLoss

loadcaffe_wrap = None
disp = None


def run_MDAN(params):
    flag_state = 1

    opt = {}
    opt['dataset_name'] = params['dataset_name']
    opt['stand_imageSize_syn'] = params['stand_imageSize_syn']
    opt['stand_imageSize_example'] = params['stand_imageSize_example']
    opt['flag_pretrained'] = params['flag_pretrained']
    opt['input_content_folder'] = params['input_content_folder']
    opt['output_style_folder'] = params['output_style_folder']
    opt['output_model_folder'] = params['output_model_folder']
    opt['numEpoch'] = params['numEpoch']
    opt['numIterPerEpoch'] = params['numIterPerEpoch']
    opt['contrast_std'] = params['contrast_std']

    os.system('mkdir ' + opt['dataset_name'] + opt['input_content_folder'])
    os.system('mkdir ' + opt['dataset_name'] + opt['output_style_folder'])
    os.system('mkdir ' + opt['dataset_name'] + opt['output_model_folder'])
    opt['target_folder_name'] = 'Style'
    opt['target_folder'] = opt['dataset_name'] + opt['target_folder_name']
    opt['source_folder'] = opt['dataset_name'] + opt['input_content_folder']

    opt['stand_atom'] = params['stand_atom']  # make sure image size can be divided by 8
    opt['nc'] = 3         # number of channels for color image (fixed to 3)

    # network
    opt['netS_num'] = 1
    opt['netS_weights'] = [1]
    opt['netS_vgg_Outputlayer'] = [13]  # plus one due to tv layer
    opt['netS_vgg_nOutputPlane'] = [256]
    opt['netS_vgg_Outputpatchsize'] = [8]  # value is decided by the design of netS
    opt['netS_vgg_Outputpatchstep'] = [4]

    opt['netC_num'] = 1
    opt['netC_weights'] = [1]
    opt['netC_vgg_Outputlayer'] = [31]  # plus one due to tv layer

    opt['tv_weight'] = 1e-4

    # data augmentation
    opt['aug_step_rotation'] = math.pi / 18
    opt['aug_step_scale'] = 1.1
    opt['aug_num_rotation'] = 1
    opt['aug_num_scale'] = 1
    opt['aug_flag_flip'] = True

    # optimization
    opt['optimizer'] = 'adam'
    opt['netD_lr'] = 0.02  # netD initial learning rate for adam
    opt['netG_lr'] = 0.02  # netG initial learning rate for adam
    opt['netD_beta1'] = 0.5  # netD momentum term of adam
    opt['netG_beta1'] = 0.5  # netG momentum term of adam
    opt['real_label'] = 1          # value of real label (fixed to 1)
    opt['fake_label'] = -1         # value of fake label (fixed to -1, we use max margin instead of BCE)

    # misc
    opt['display'] = 1
    opt['gpu'] = 1               # gpu = 0 is CPU mode. gpu=X is GPU mode on GPU X
    opt['vgg_proto_file'] = '../Dataset/model/VGG_ILSVRC_19_layers_deploy.prototxt'
    opt['vgg_model_file'] = '../Dataset/model/VGG_ILSVRC_19_layers.caffemodel'
    opt['vgg_backend'] = 'nn'
    opt['vggD_num_layer'] = 36

    opt.update(params.get('opt_overrides', {}))  # the port's test hook (module docstring)

    weight_sum = 0
    for i_netC in range(opt['netC_num']):
        weight_sum = weight_sum + opt['netC_weights'][i_netC]
    for i_netS in range(opt['netS_num']):
        weight_sum = weight_sum + opt['netS_weights'][i_netS]
    for i_netC in range(opt['netC_num']):
        opt['netC_weights'][i_netC] = opt['netC_weights'][i_netC] / weight_sum
    for i_netS in range(opt['netS_num']):
        opt['netS_weights'][i_netS] = opt['netS_weights'][i_netS] / weight_sum
    opt['manualSeed'] = lg.random(1, 10000 + 1)  # fix seed
    lg.manualSeed(opt['manualSeed'])

    # --------------------------------
    # build networks
    # --------------------------------
    # build netVGG
    net_ = loadcaffe_wrap.load(opt['vgg_proto_file'], opt['vgg_model_file'], opt['vgg_backend'], opt['vggD_num_layer'])
    netVGGD = nn.Sequential()
    netVGGD.add(TVLoss(opt['tv_weight']))
    for i_layer in range(opt['vggD_num_layer']):
        netVGGD.add(net_.get(i_layer))
    net_ = None
    print('netVGGD has been built')
    print(netVGGD)
    netVGGD = util.cudnn(netVGGD)
    netVGGD.cuda()

    netS = []
    netSVGG = []
    netC = []

    for i_netS in range(opt['netS_num']):
        netSVGG.append(nn.Sequential())
        for i_layer in range(opt['netS_vgg_Outputlayer'][i_netS]):
            netSVGG[i_netS].add(netVGGD.get(i_layer))
        print('netSVGG[%d] has been built' % (i_netS + 1))
        print(netSVGG[i_netS])

    if opt['flag_pretrained']:
        for i_netS in range(opt['netS_num']):
            netS.append(util.load(opt['dataset_name'] + opt['output_model_folder'] + 'netS_' + '%d' % (i_netS + 1)
                                  + '.t7', opt['gpu']))
            print('netS[%d] has been loaded' % (i_netS + 1))
            print(netS[i_netS])
    else:
        for i_netS in range(opt['netS_num']):
            netS.append(nn.Sequential())
            netS[i_netS].add(nn.LeakyReLU(0.2, True))

            netS[i_netS].add(nn.SpatialConvolution(opt['netS_vgg_nOutputPlane'][i_netS],
                                                   opt['netS_vgg_nOutputPlane'][i_netS], 3, 3, 1, 1, 1, 1))
            netS[i_netS].add(nn.SpatialBatchNormalization(opt['netS_vgg_nOutputPlane'][i_netS])) \
                .add(nn.LeakyReLU(0.2, True))

            netS[i_netS].add(nn.SpatialConvolution(opt['netS_vgg_nOutputPlane'][i_netS], 1,
                                                   opt['netS_vgg_Outputpatchsize'][i_netS],
                                                   opt['netS_vgg_Outputpatchsize'][i_netS]))  # 1
            netS[i_netS].add(nn.View(1).setNumInputDims(3))
            netS[i_netS].apply(weights_init)
            print('netS[%d] has been built' % (i_netS + 1))
            print(netS[i_netS])

    for i_netS in range(opt['netS_num']):
        netSVGG[i_netS] = util.cudnn(netSVGG[i_netS])
        netSVGG[i_netS].cuda()

    for i_netS in range(opt['netS_num']):
        netS[i_netS] = util.cudnn(netS[i_netS])
        netS[i_netS].cuda()

    # initialize netC
    for i_netC in range(opt['netC_num']):
        netC.append(nn.Sequential())
        for i_layer in range(opt['netC_vgg_Outputlayer'][i_netC]):
            netC[i_netC].add(netVGGD.get(i_layer))
        print('netC[%d] has been built' % (i_netC + 1))
        print(netC[i_netC])
    for i_netC in range(opt['netC_num']):
        netC[i_netC] = util.cudnn(netC[i_netC])
        netC[i_netC].cuda()

    # initialize criterion_netC
    criterion_netC = []
    for i_netC in range(opt['netC_num']):
        criterion_netC.append(nn.MSECriterion())
    for i_netC in range(opt['netC_num']):
        criterion_netC[i_netC] = criterion_netC[i_netC].cuda()

    # initialize criterion_netS
    criterion_netS = []
    for i_netS in range(opt['netS_num']):
        criterion_netS.append(nn.MarginCriterion(1))
    for i_netS in range(opt['netS_num']):
        criterion_netS[i_netS] = criterion_netS[i_netS].cuda()

    # --------------------------------
    # build data
    # --------------------------------
    # build data for target images
    target_images_names = pl.dir.getallfiles(opt['target_folder'], '*.png')
    num_target_images = len(target_images_names)
    print('num of target images: %d' % num_target_images)

    # data augmentation
    target_copies = []
    for i_target_image in range(num_target_images):
        image_target = image.load(target_images_names[i_target_image], 3)
        # resize
        max_dim = max(image_target.size()[1], image_target.size()[2])
        scale = opt['stand_imageSize_example'] / max_dim
        new_dim_x = math.floor((image_target.size()[2] * scale) / opt['stand_atom']) * opt['stand_atom']
        new_dim_y = math.floor((image_target.size()[1] * scale) / opt['stand_atom']) * opt['stand_atom']
        image_target = image.scale(image_target, new_dim_x, new_dim_y, 'bilinear')
        image_target = image_target.mul(2).add(-1)

        # make copies
        for i_r in range(-opt['aug_num_rotation'], opt['aug_num_rotation'] + 1):
            alpha = opt['aug_step_rotation'] * i_r
            min_x, min_y, max_x, max_y = computeBB(image_target.size()[2], image_target.size()[1], alpha)
            image_target_rt = image.rotate(image_target, alpha, 'bilinear')
            image_target_rt = image_target_rt[0:image_target_rt.size()[0], min_y - 1:max_y, min_x - 1:max_x]
            for i_s in range(-opt['aug_num_scale'], opt['aug_num_scale'] + 1):
                max_sz = math.floor(max(image_target_rt.size()[1], image_target_rt.size()[2])
                                  * lg.pow(opt['aug_step_scale'], i_s))
                target_image_rt_s = image.scale(image_target_rt, max_sz, 'bilinear')
                target_copies.append(target_image_rt_s)

        # flip
        if opt['aug_flag_flip']:
            image_target = image.hflip(image_target)
            for i_r in range(-opt['aug_num_rotation'], opt['aug_num_rotation'] + 1):
                alpha = opt['aug_step_rotation'] * i_r
                min_x, min_y, max_x, max_y = computeBB(image_target.size()[2], image_target.size()[1], alpha)
                image_target_rt = image.rotate(image_target, alpha, 'bilinear')
                image_target_rt = image_target_rt[0:image_target_rt.size()[0], min_y - 1:max_y, min_x - 1:max_x]
                for i_s in range(-opt['aug_num_scale'], opt['aug_num_scale'] + 1):
                    max_sz = math.floor(max(image_target_rt.size()[1], image_target_rt.size()[2])
                                      * lg.pow(opt['aug_step_scale'], i_s))
                    target_image_rt_s = image.scale(image_target_rt, max_sz, 'bilinear')
                    target_copies.append(target_image_rt_s)

    for i_target_copies in range(len(target_copies)):
        target_copies[i_target_copies] = target_copies[i_target_copies].cuda()

    # collect target neural patches
    netS_patches = []
    for i_netS in range(opt['netS_num']):
        # compute coordinates
        target_x_per_image = []
        target_y_per_image = []
        target_imageid = None

        for i_target_copies in range(len(target_copies)):
            feature_map = netSVGG[i_netS].forward(target_copies[i_target_copies]).clone()
            target_x_, target_y_ = computegrid(feature_map.size()[2], feature_map.size()[1],
                                               opt['netS_vgg_Outputpatchsize'][i_netS],
                                               opt['netS_vgg_Outputpatchstep'][i_netS], 1)
            target_imageid_ = lg.Tensor(target_x_.nElement() * target_y_.nElement()).fill(i_target_copies + 1)

            target_x_per_image.append(lg.Tensor(target_x_.nElement() * target_y_.nElement()).fill(0))
            target_y_per_image.append(lg.Tensor(target_x_.nElement() * target_y_.nElement()).fill(0))

            count = 0
            for i_row in range(target_y_.nElement()):
                for i_col in range(target_x_.nElement()):
                    target_x_per_image[i_target_copies][count] = target_x_[i_col]
                    target_y_per_image[i_target_copies][count] = target_y_[i_row]
                    count = count + 1
            if i_target_copies == 0:
                target_imageid = target_imageid_.clone()
            else:
                target_imageid = lg.cat(target_imageid, target_imageid_, 0)

        # compute patches
        print('number of target patches: %d' % target_imageid.nElement())
        target_patches = lg.Tensor(target_imageid.nElement(), opt['netS_vgg_nOutputPlane'][i_netS],
                                   opt['netS_vgg_Outputpatchsize'][i_netS],
                                   opt['netS_vgg_Outputpatchsize'][i_netS]).cuda()
        count_patch = 0
        for i_target_copies in range(len(target_copies)):
            feature_map = netSVGG[i_netS].forward(target_copies[i_target_copies]).clone()
            for i_patch_per_image in range(target_x_per_image[i_target_copies].nElement()):
                target_patches[count_patch] = feature_map[
                    :,
                    target_y_per_image[i_target_copies][i_patch_per_image] - 1:
                    target_y_per_image[i_target_copies][i_patch_per_image]
                    + opt['netS_vgg_Outputpatchsize'][i_netS] - 1,
                    target_x_per_image[i_target_copies][i_patch_per_image] - 1:
                    target_x_per_image[i_target_copies][i_patch_per_image]
                    + opt['netS_vgg_Outputpatchsize'][i_netS] - 1]
                count_patch = count_patch + 1
        netS_patches.append(target_patches)

    source_images_names = pl.dir.getallfiles(opt['source_folder'], '*.png')
    num_source_images = len(source_images_names)
    print('num of source images: %d' % num_source_images)

    print('*****************************************************')
    print('Synthesis: ')
    print('*****************************************************')
    for i_source_image in range(len(source_images_names)):

        # build data for source images
        image_source = image.load(source_images_names[i_source_image], 3)

        # resize
        max_dim = max(image_source.size()[1], image_source.size()[2])
        scale = opt['stand_imageSize_syn'] / max_dim
        new_dim_x = math.floor((image_source.size()[2] * scale) / opt['stand_atom']) * opt['stand_atom']
        new_dim_y = math.floor((image_source.size()[1] * scale) / opt['stand_atom']) * opt['stand_atom']
        image_source = image.scale(image_source, new_dim_x, new_dim_y, 'bilinear')
        image_source = image_source.mul(2).add(-1)

        image_source = image_source.cuda()

        source_x = []
        source_y = []
        batchSize = []

        for i_netS in range(opt['netS_num']):
            feature_map = netSVGG[i_netS].forward(image_source).clone()
            source_x_, source_y_ = computegrid(feature_map.size()[2], feature_map.size()[1],
                                               opt['netS_vgg_Outputpatchsize'][i_netS],
                                               opt['netS_vgg_Outputpatchstep'][i_netS], 1)
            source_x_per_image = lg.Tensor(source_x_.nElement() * source_y_.nElement()).fill(0)
            source_y_per_image = lg.Tensor(source_x_.nElement() * source_y_.nElement()).fill(0)

            count = 0
            for i_row in range(source_y_.nElement()):
                for i_col in range(source_x_.nElement()):
                    source_x_per_image[count] = source_x_[i_col]
                    source_y_per_image[count] = source_y_[i_row]
                    count = count + 1
            source_x.append(source_x_per_image)
            source_y.append(source_y_per_image)
            batchSize.append(source_x_per_image.nElement())
            print(source_x_per_image.nElement())

        StyleScore_real = []
        StyleScore_G = []
        label = []

        for i_netS in range(opt['netS_num']):
            StyleScore_real.append(lg.Tensor(batchSize[i_netS]))
            StyleScore_G.append(lg.Tensor(batchSize[i_netS]))
            label.append(lg.Tensor(batchSize[i_netS]))
            StyleScore_real[i_netS] = StyleScore_real[i_netS].cuda()
            StyleScore_G[i_netS] = StyleScore_G[i_netS].cuda()
            label[i_netS] = label[i_netS].cuda()

        errG = errG_Content = errG_Style = None
        errS = []
        for i_netS in range(opt['netS_num']):
            errS.append(0)
        epoch_tm = lg.Timer()
        tm = lg.Timer()
        data_tm = lg.Timer()  # noqa: F841

        parametersS = []
        gradParametersS = []
        for i_netS in range(opt['netS_num']):
            parametersS_, gradParametersS_ = netS[i_netS].getParameters()
            parametersS.append(parametersS_)
            gradParametersS.append(gradParametersS_)

        cur_net_id = None
        optimStateG = None
        optimStateS = []
        if opt['optimizer'] == 'adam':
            for i_netS in range(opt['netS_num']):
                optimStateS.append({'learningRate': opt['netD_lr'], 'beta1': opt['netD_beta1']})
            optimStateG = {'learningRate': opt['netG_lr'], 'beta1': opt['netG_beta1']}

        # ---------------------------------------------
        # some more data preparation
        # ---------------------------------------------
        image_G = image_source.clone()
        netC_feature_map_source = []
        for i_netC in range(opt['netC_num']):
            feature_map = netC[i_netC].forward(image_source).clone()
            netC_feature_map_source.append(feature_map)

        netC_feature_map_G = []
        for i_netC in range(opt['netC_num']):
            feature_map = netC[i_netC].forward(image_G).clone()
            netC_feature_map_G.append(feature_map)

        netS_feature_map_G = []
        for i_netS in range(opt['netS_num']):
            feature_map = netSVGG[i_netS].forward(image_source).clone()
            netS_feature_map_G.append(feature_map)

        netS_selected_patches_real = []
        for i_netS in range(opt['netS_num']):
            netS_selected_patches_real.append(lg.Tensor(batchSize[i_netS], opt['netS_vgg_nOutputPlane'][i_netS],
                                                        opt['netS_vgg_Outputpatchsize'][i_netS],
                                                        opt['netS_vgg_Outputpatchsize'][i_netS]).cuda())
        netS_selected_patches_G = []
        for i_netS in range(opt['netS_num']):
            netS_selected_patches_G.append(lg.Tensor(batchSize[i_netS], opt['netS_vgg_nOutputPlane'][i_netS],
                                                     opt['netS_vgg_Outputpatchsize'][i_netS],
                                                     opt['netS_vgg_Outputpatchsize'][i_netS]).cuda())

        gradOutput_S = []
        for i_netS in range(opt['netS_num']):
            gradOutput_S.append(lg.Tensor(netS_selected_patches_G[i_netS].size()))

        netS_gradOutput_S_map = []
        netS_gradOutput_S_count = []

        for i_netS in range(opt['netS_num']):
            feature_map = netS_feature_map_G[i_netS].clone().fill(0)
            netS_gradOutput_S_map.append(feature_map)

        for i_netS in range(opt['netS_num']):
            feature_map = netS_feature_map_G[i_netS].clone().fill(0)
            for i_patch in range(source_x[i_netS].nElement()):
                feature_map[
                    :,
                    source_y[i_netS][i_patch] - 1:
                    source_y[i_netS][i_patch] + opt['netS_vgg_Outputpatchsize'][i_netS] - 1,
                    source_x[i_netS][i_patch] - 1:
                    source_x[i_netS][i_patch] + opt['netS_vgg_Outputpatchsize'][i_netS] - 1].add(1)
            netS_gradOutput_S_count.append(feature_map)

        # discriminator
        def fDx(x):
            def zero_conv_bias(m):
                if 'Convolution' in lg.type(m):
                    m.bias.zero()
            netS[cur_net_id].apply(zero_conv_bias)
            gradParametersS[cur_net_id].zero()

            # train with real images
            label[cur_net_id].fill(opt['real_label'])
            StyleScore_real[cur_net_id] = netS[cur_net_id].forward(netS_selected_patches_real[cur_net_id]).clone()
            err_real = criterion_netS[cur_net_id].forward(StyleScore_real[cur_net_id], label[cur_net_id])
            gradInput_StyleScore_real = criterion_netS[cur_net_id].backward(StyleScore_real[cur_net_id],
                                                                              label[cur_net_id]).clone()
            netS[cur_net_id].backward(netS_selected_patches_real[cur_net_id], gradInput_StyleScore_real)
            print('gradInput_StyleScore_real: %f, gradParametersS: %f' % (lg.norm(gradInput_StyleScore_real),
                                                                          lg.norm(gradParametersS[cur_net_id])))

            # train with generated images
            label[cur_net_id].fill(opt['fake_label'])
            StyleScore_G[cur_net_id] = netS[cur_net_id].forward(netS_selected_patches_G[cur_net_id]).clone()
            err_fake = criterion_netS[cur_net_id].forward(StyleScore_G[cur_net_id], label[cur_net_id])
            gradInput_StyleScore_G = criterion_netS[cur_net_id].backward(StyleScore_G[cur_net_id],
                                                                           label[cur_net_id]).clone()
            netS[cur_net_id].backward(netS_selected_patches_G[cur_net_id], gradInput_StyleScore_G)
            print('gradInput_StyleScore_G: %f, gradParametersS: %f' % (lg.norm(gradInput_StyleScore_G),
                                                                       lg.norm(gradParametersS[cur_net_id])))

            errS[cur_net_id] = err_real + err_fake
            return errS[cur_net_id], gradParametersS[cur_net_id]

        # generator
        def fGx(x):
            nonlocal errG, errG_Content

            # gradient from content loss
            gradOutput_G = image_G.clone().fill(0)

            for i_netC in range(opt['netC_num']):
                errG_Content = errG_Content + criterion_netC[i_netC].forward(
                    netC_feature_map_G[i_netC], netC_feature_map_source[i_netC]) * opt['netC_weights'][i_netC]
                gradOutput_C = criterion_netC[i_netC].backward(netC_feature_map_G[i_netC],
                                                               netC_feature_map_source[i_netC])
                netC[i_netC].forward(image_G)
                gradInput_C = netC[i_netC].updateGradInput(image_G, gradOutput_C)
                gradOutput_G = gradOutput_G + gradInput_C.mul(opt['netC_weights'][i_netC])

            # -- gradient from style loss
            for i_netS in range(opt['netS_num']):
                # update netS_gradOutput_S_map[i_netS][cur_G_id]
                netS_gradOutput_S_map[i_netS].fill(0)
                for i_patch in range(source_y[i_netS].nElement()):
                    ref_oldpatch = netS_gradOutput_S_map[i_netS][
                        :,
                        source_y[i_netS][i_patch] - 1:
                        source_y[i_netS][i_patch] + opt['netS_vgg_Outputpatchsize'][i_netS] - 1,
                        source_x[i_netS][i_patch] - 1:
                        source_x[i_netS][i_patch] + opt['netS_vgg_Outputpatchsize'][i_netS] - 1]
                    ref_oldpatch.add(gradOutput_S[i_netS][i_patch])
                netS_gradOutput_S_map[i_netS] = netS_gradOutput_S_map[i_netS].cdiv(netS_gradOutput_S_count[i_netS])
                netSVGG[i_netS].forward(image_G)
                gradInput_S = netSVGG[i_netS].updateGradInput(image_G, netS_gradOutput_S_map[i_netS])
                gradOutput_G = gradOutput_G + gradInput_S

            errG = errG_Content + errG_Style
            return errG, gradOutput_G

        for epoch in range(1, opt['numEpoch'] + 1):
            epoch_tm.reset()
            counter = 0  # noqa: F841
            im_disp = None
            for i_iter in range(1, opt['numIterPerEpoch'] + 1):
                tm.reset()

                for i_netC in range(opt['netC_num']):
                    netC_feature_map_G[i_netC] = netC[i_netC].forward(image_G).clone()

                for i_netS in range(opt['netS_num']):
                    netS_feature_map_G[i_netS] = netSVGG[i_netS].forward(image_G).clone()

                # collect generated patches
                for i_netS in range(opt['netS_num']):
                    count_patch = 0
                    for i_patch in range(source_y[i_netS].nElement()):
                        netS_selected_patches_G[i_netS][count_patch] = netS_feature_map_G[i_netS][
                            :,
                            source_y[i_netS][i_patch] - 1:
                            source_y[i_netS][i_patch] + opt['netS_vgg_Outputpatchsize'][i_netS] - 1,
                            source_x[i_netS][i_patch] - 1:
                            source_x[i_netS][i_patch] + opt['netS_vgg_Outputpatchsize'][i_netS] - 1].clone()
                        count_patch = count_patch + 1

                # randomly select real patches
                for i_netS in range(opt['netS_num']):
                    num_patches = netS_patches[i_netS].size()[0]
                    list_patch = lg.Tensor(batchSize[i_netS])
                    for i_patch in range(batchSize[i_netS]):
                        list_patch[i_patch] = lg.random(0, num_patches)
                    for i_patch in range(batchSize[i_netS]):
                        netS_selected_patches_real[i_netS][i_patch] = \
                            netS_patches[i_netS][list_patch[i_patch]].clone()

                # train netS
                for i_netS in range(opt['netS_num']):
                    cur_net_id = i_netS
                    if opt['optimizer'] == 'adam':
                        optim.adam(fDx, parametersS[cur_net_id], optimStateS[cur_net_id])

                errG_Content = 0
                errG_Style = 0
                for i_netS in range(opt['netS_num']):
                    def zero_conv_bias(m):
                        if 'Convolution' in lg.type(m):
                            m.bias.zero()
                    netS[i_netS].apply(zero_conv_bias)
                    gradParametersS[i_netS].zero()
                    label[i_netS].fill(opt['real_label'])
                    StyleScore_G[i_netS] = netS[i_netS].forward(netS_selected_patches_G[i_netS]).clone()
                    errS[i_netS] = criterion_netS[i_netS].forward(StyleScore_G[i_netS], label[i_netS])
                    errG_Style = errG_Style + errS[i_netS]
                    gradInput_StyleScore_G = criterion_netS[i_netS].backward(StyleScore_G[i_netS],
                                                                               label[i_netS]).clone()
                    gradOutput_S[i_netS] = netS[i_netS].updateGradInput(netS_selected_patches_G[i_netS],
                                                                        gradInput_StyleScore_G)
                    print('gradInput_StyleScore_G: %f, gradOutput_G: %f' % (lg.norm(gradInput_StyleScore_G),
                                                                            lg.norm(gradOutput_S[i_netS])))

                # update synthesis image
                if opt['optimizer'] == 'adam':
                    optim.adam(fGx, image_G, optimStateG)

                # display & save image
                im_disp = image_G.clone()
                mean_im_disp = lg.mean(im_disp)
                std_im_disp = lg.std(im_disp)
                im_disp.add(-mean_im_disp)
                im_disp[lg.lt(im_disp, -std_im_disp * opt['contrast_std'])] = -std_im_disp * opt['contrast_std']
                im_disp[lg.gt(im_disp, std_im_disp * opt['contrast_std'])] = std_im_disp * opt['contrast_std']
                min_im_disp = lg.min(im_disp)
                max_im_disp = lg.max(im_disp)
                im_disp.add(-min_im_disp).div(max_im_disp - min_im_disp)
                if opt['display']:
                    disp.image(im_disp, {'win': 1, 'title': 'MDAN'})

                # logging
                print(('Epoch: [%d][%8d / %8d]\t'
                       + ' errG_Content: %.4f  errG_Style: %.4f') % (
                    epoch, i_iter,
                    opt['numIterPerEpoch'],
                    errG_Content if errG_Content is not None else -1, errG_Style if errG_Style is not None else -1))

            # for i_iter = 1, opt.numIterPerEpoch do
        # for epoch = 1, opt.numEpoch do

        im_out = image_G.clone()
        mean_im_out = lg.mean(im_out)
        std_im_out = lg.std(im_out)
        im_out.add(-mean_im_out)
        im_out[lg.lt(im_out, -std_im_out * opt['contrast_std'])] = -std_im_out * opt['contrast_std']
        im_out[lg.gt(im_out, std_im_out * opt['contrast_std'])] = std_im_out * opt['contrast_std']
        min_im_out = lg.min(im_out)
        max_im_out = lg.max(im_out)
        im_out.add(-min_im_out).div(max_im_out - min_im_out)
        image.save(opt['dataset_name'] + opt['output_style_folder']
                   + re.search('([^/]+)$', source_images_names[i_source_image]).group(1), im_out)

        # clear memory
        parametersS = None
        gradParametersS = None
        optimStateG = None
        optimStateS = None
        image_source = None
        image_G = None
        netC_feature_map_source = None
        netC_feature_map_G = None
        netS_feature_map_G = None
        netS_selected_patches_real = None
        netS_selected_patches_G = None
        gradOutput_S = None
        netS_gradOutput_S_map = None
        netS_gradOutput_S_count = None
        im_out = None

    # for i_source_copies = 1, #source_copies do

    for i_netS in range(opt['netS_num']):
        util.save(opt['dataset_name'] + opt['output_model_folder'] + 'netS_' + '%d' % (i_netS + 1) + '.t7',
                  netS[i_netS], opt['gpu'])

    netVGGD = None
    for i_netS in range(opt['netS_num']):
        netS[i_netS] = None
    for i_netS in range(opt['netS_num']):
        netSVGG[i_netS] = None
    for i_netC in range(opt['netC_num']):
        netC[i_netC] = None

    return flag_state


state = run_MDAN
