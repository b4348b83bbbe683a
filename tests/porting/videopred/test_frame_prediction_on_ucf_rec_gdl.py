"""test-frame-prediction-on-ucf-rec_gdl.lua: predicts 2 frames recursively from 4 frames of each test video
(UCF101frm10p/<video>/pred_1..4.png, target_1..2.png), scoring PSNR, SSIM and sharpness over the moving pixels
(those whose flow image pred_4_flow.png / target_<k>_flow.png is below 0.2 in some channel), saving the frames.

Edits beyond Lua syntax and 0-based indices:

* The script's body is ``main(op=None, nbvideos=3783, inputH=240, inputW=320)``: ``op`` is the global a caller
  may set before running it (``op = op or {}``); ``nbvideos`` (a literal 3783) and the frame size (``inputH,
  inputW = 240, 320``, which the Lua also writes as the literals ``240,320`` in its tensors) are parameters so
  that a test can run stand-in videos of a few small frames (the literal Python loops of PSNR and of the
  moving-pixel mask take 20 s per 240 x 320 frame). Returns the sums and counts it prints.
* ``:cuda()`` and ``torch.CudaTensor`` are get_model.py's ``_cuda``/``_CudaTensor`` (the script requires cunn).
* ``torch.range(1, n*interv, interv)`` holds 1-based frame numbers: ``lg.range(0, n*interv - 1, interv)``, 0-based.
  The loops over ``ii`` (the predicted frame), ``f``, ``i`` run from 0; file names keep the Lua's numbers.
* ``display_frames`` (gfx.js, never called) is left out; ``os.execute`` is ``os.system`` (the same shell
  commands; without ImageMagick's ``convert`` the gif is not made, silently, as in Lua).
"""
import math
import os

import legonn as lg
from legonn import graph, image, nn  # noqa: F401  (graph: the Lua's require 'nngraph')
from tests.porting.videopred import image_error_measures
from tests.porting.videopred.expand import ExpandDim  # noqa: F401  (paths.dofile('expand.lua'))
from tests.porting.videopred.get_model import _cuda
from tests.porting.videopred.image_error_measures import PSNR, SSIM, computel1difference
from tests.porting.videopred.upsample import SpatialUpSample  # noqa: F401  (paths.dofile('upsample.lua'))


def main(op=None, nbvideos=3783, inputH=240, inputW=320):
    lg.manualSeed(1)
    lg.setnumthreads(4)
    iscuda = False
    image_error_measures.setup(iscuda)

    opt_default = {
        'full': False,  # display previous frames and target, otherwise the prediction
        'with_pyr': True,
        'with_delta': True,
        'with_cuda': True,
        'network_dir': 'AdvGDL',
        'delay_gif': 25,
        'totalNbiters': 1,
        'nChannels': 3,
        'margin': 5,  # for display
        'nOutputFrames': 1,
        'nOutputFramesRec': 2,
        'interv': 1,
        'flow_im_used': True
    }

    op = op or {}
    for k, v in opt_default.items():
        if op.get(k) is None:
            op[k] = v

    netsize = 64
    opt = {'batchsize': 1}

    # loading trained network

    flow_pth = 'UCF101frm10p/'
    predloaded = None
    if op['network_dir'] == 'Adv':
        predloaded = lg.load('trained_models/new_adv_big_64_smalladv.t7')
    elif op['network_dir'] == 'AdvGDL':
        predloaded = lg.load('trained_models/new_adv_big_gdl_64.t7')
    opt = predloaded['opt']
    model = predloaded['model']
    opt['nOutputFrames'] = 1
    opt['batchsize'] = 1

    # ------------------------------------------------------------------------------
    # init multiscale model with dsnet
    dsnet = nn.ConcatTable()
    dsnet.add(nn.SpatialAveragePooling(8, 8, 8, 8))
    dsnet.add(nn.SpatialAveragePooling(4, 4, 4, 4))
    dsnet.add(nn.SpatialAveragePooling(2, 2, 2, 2))
    dsnet.add(nn.SpatialAveragePooling(1, 1, 1, 1))
    _cuda(dsnet)
    dsnetInput = dsnet
    dsnetTarget = dsnet.clone()

    # --------------------------------------------------------------------------------
    # network size adaptation for models fine-tuned on larger patchs
    for i in range(len(model.modules)):
        if lg.type(model.modules[i]) == 'nn.ExpandDim':
            xH = math.floor(math.sqrt(model.modules[i].k) / netsize * inputH + 0.5)
            xW = math.floor(math.sqrt(model.modules[i].k) / netsize * inputW + 0.5)
            model.modules[i].k = xH * xW
        if lg.type(model.modules[i]) == 'nn.View':
            if model.modules[i].numInputDims == 2:
                s1 = model.modules[i].size[0]
                s2 = math.floor(model.modules[i].size[1] / netsize * inputH + 0.5)
                s3 = math.floor(model.modules[i].size[2] / netsize * inputW + 0.5)
                model.modules[i].size = lg.LongStorage([s1, s2, s3])
                model.modules[i].numElements = s1 * s2 * s3

    delta = [_cuda(lg.Tensor(opt['batchsize'], 2)).zero(),
             _cuda(lg.Tensor(opt['batchsize'], 4)).zero(),
             _cuda(lg.Tensor(opt['batchsize'], 6)).zero(),
             _cuda(lg.Tensor(opt['batchsize'], 8)).zero()]

    # ------------------------------------------------------------------------------

    def save_frames(prediction, nbframes, filename):
        for i in range(opt['nInputFrames']):
            prediction[i].add(1).div(2)

            image.save(filename + '/pred_' + str(i + 1) + '.png', prediction[i])
        new_img = lg.Tensor(op['nChannels'], inputH, inputW).fill(0)
        new_img[0].fill(1)
        for i in range(opt['nInputFrames'], opt['nInputFrames'] + op['nOutputFramesRec']):
            prediction[i].add(1).div(2)
            new_img[:, 2:inputH - 2, 2:inputW - 2] = \
                prediction[i][:, 2:inputH - 2, 2:inputW - 2]
            image.save(filename + '/pred_' + str(i + 1) + '.png', new_img)

    # ------------------------------------------------------------------------------
    # Main job

    sum_PSNR = lg.Tensor(op['nOutputFramesRec']).fill(0)
    sum_err_sharp2 = lg.Tensor(op['nOutputFramesRec']).fill(0)
    sum_SSIM = lg.Tensor(op['nOutputFramesRec']).fill(0)
    nbimagestosave = op['nOutputFramesRec'] + opt['nInputFrames']
    array_to_save = lg.Tensor(nbimagestosave, op['nChannels'], inputH, inputW)
    target_to_save = \
        lg.Tensor(op['nOutputFramesRec'], op['nChannels'], inputH, inputW)  # noqa: F841 (unused in the Lua)

    input, output, target = None, None, None
    batch = 0
    nbframes, nbpartvid = None, None
    nbvid = lg.Tensor(op['nOutputFramesRec']).fill(0)

    index = \
        lg.range(0, (opt['nInputFrames'] + op['nOutputFramesRec']) * op['interv'] - 1, op['interv'])

    for videoidx in range(1, nbvideos + 1, 10):
        # vid, label = datasets[set].nextTestImage(videoidx)
        vid = \
            lg.Tensor(opt['nInputFrames'] + op['nOutputFramesRec'], op['nChannels'], inputH, inputW)
        for fr in range(opt['nInputFrames']):
            im_name = flow_pth + str(videoidx) + '/pred_' + str(fr + 1) + '.png'
            vid[fr] = (image.load(im_name))
        for fr in range(op['nOutputFramesRec']):
            im_name = flow_pth + str(videoidx) + '/target_' + str(fr + 1) + '.png'
            vid[fr + opt['nInputFrames']] = (image.load(im_name))

        vid.mul(2).add(-1)
        nbframes = vid.size(0)
        nbpartvid = abs(nbframes / opt['nInputFrames'])  # noqa: F841

        filename_out = op['network_dir'] + '/' + str(videoidx)
        for ii in range(op['nOutputFramesRec']):

            # extract the first frames
            input = vid[0:opt['nInputFrames']]
            for f in range(opt['nInputFrames'] - ii):
                input[f] = vid[int(index[ii + f])]
            for j in range(1, ii + 1):
                if j > opt['nInputFrames']:
                    break
                input[opt['nInputFrames'] - j] = array_to_save[ii - j + opt['nInputFrames']]
            target = lg.Tensor(op['nOutputFrames'], op['nChannels'], inputH, inputW)
            for f in range(op['nOutputFrames']):
                target[f] = vid[int(index[opt['nInputFrames'] + ii + f])]

            input = input.view(1, op['nChannels'] * opt['nInputFrames'],
                               input.size(2), input.size(3))
            target = target.view(1, op['nChannels'] * op['nOutputFrames'],
                                 target.size(2), target.size(3))
            if op['with_pyr'] is True:
                input = dsnetInput.forward(_cuda(input))
                target = dsnetTarget.forward(_cuda(target))
            if op['with_delta'] is True:
                output = model.forward([input, delta])[0]
            elif op['with_pyr'] is False:
                output = model.forward(_cuda(input))
            else:
                output = model.forward(input)
            if op['with_pyr'] is True:
                output = output[3]  # the largest scale output[0][3]
            output = output.double()
            if op['with_pyr'] is True:
                input = input[3]
                input = input[0:1, :, :, :].float()
                target = target[3].double()
            output = output[batch]

            # replace target and input in same space than the output
            target = target[batch]

            if ii == 0:
                array_to_save[0:opt['nInputFrames']] = input
            array_to_save[opt['nInputFrames'] + ii] = output  # target

            # extract moving pixels for SNR computations
            if op['flow_im_used']:
                flow_im_name = None
                moutput = lg.Tensor(3, inputH, inputW).fill(-1)
                mtarget = lg.Tensor(3, inputH, inputW).fill(-1)
                if ii == 0:
                    flow_im_name = flow_pth + str(videoidx) + '/pred_4_flow.png'
                else:
                    flow_im_name = flow_pth + str(videoidx) + '/target_' + str(ii) + '_flow.png'

                flow_im = image.load(flow_im_name)
                s = output[0:3].size()

                for j in range(s[1]):
                    for k in range(s[2]):
                        if flow_im[0][j][k] < 0.2 or flow_im[1][j][k] < 0.2 \
                                or flow_im[2][j][k] < 0.2:  # moving
                            for i in range(s[0]):
                                moutput[i][j][k] = output[i][j][k]
                                mtarget[i][j][k] = target[i][j][k]

                psnr = PSNR(moutput, mtarget)
                if psnr < 50:
                    sum_PSNR[ii] = sum_PSNR[ii] + psnr
                    sum_SSIM[ii] = sum_SSIM[ii] + SSIM(moutput, mtarget)
                    sum_err_sharp2[ii] = sum_err_sharp2[ii] + \
                        computel1difference(moutput, mtarget)
                    nbvid[ii] = nbvid[ii] + 1
            else:
                sum_PSNR[ii] = sum_PSNR[ii] + PSNR(output[0:3], target[0:3])
                sum_SSIM[ii] = sum_SSIM[ii] + SSIM(output[0:3], target[0:3])
                sum_err_sharp2[ii] = sum_err_sharp2[ii] + \
                    computel1difference(output[0:3], target[0:3])
                nbvid[ii] = nbvid[ii] + 1
        # for ii = 1,op.nOutputFramesRec

        print(filename_out)
        os.system('mkdir -p "' + filename_out + '"; ')
        save_frames(array_to_save, nbimagestosave, filename_out)

        for i in range(op['nOutputFramesRec']):
            print('******** video ' + str(videoidx) + ', ' + str(i + 1) + ' th frame pred *************')
            print("score sharp diff: %.2f" % (sum_err_sharp2[i] / nbvid[i]))
            print("PSNR: %.2f" % (sum_PSNR[i] / nbvid[i]))
            print("SSIM: %.2f" % (sum_SSIM[i] / nbvid[i]))

        os.system('convert $(for ((a=1; a<' + str(nbimagestosave) +
                  '; a++)); do printf -- "-delay ' + str(op['delay_gif']) + ' ' + filename_out +
                  '/pred_%s.png " $a; done;) ' + filename_out + 'result.gif')

    # for videoidx = 1,nbvideos,10
    return {'sum_PSNR': sum_PSNR, 'sum_SSIM': sum_SSIM, 'sum_err_sharp2': sum_err_sharp2, 'nbvid': nbvid,
            'array_to_save': array_to_save}
