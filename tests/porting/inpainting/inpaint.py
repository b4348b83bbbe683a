"""inpaint.lua of satoshiiizuka/siggraph2017_inpainting, ported line by line: an image with its holes (a mask image,
or 2 to 4 random rectangles) scaled to at most ``--maxdim`` and to multiples of 4, its holes filled with the data
mean, goes with the mask through the completion network; the network's output fills the holes of the image, which
is saved as out.png (the masked input as input.png), both in the working directory. ``--postproc`` blends the result
with OpenCV (torch-opencv's ``cv``). The script's body is ``main(arg)``, with ``arg`` its command-line arguments."""
import legonn as lg
from legonn import image
from tests.porting.inpainting.utils import cvimg2tensor, load_image_gray, tensor2cvimg


def main(arg):
    lg.setdefaulttensortype('torch.FloatTensor')

    # commandline options
    cmd = lg.CmdLine()
    cmd.addTime()
    cmd.text()
    cmd.option('--input', 'none', 'Input image')
    cmd.option('--mask', 'none', 'Mask image')
    cmd.option('--model', 'completionnet_places2_freeform.t7', 'Model to be used')
    cmd.option('--maxdim', 600, 'Long edge dimension of an input image')
    cmd.option('--gpu', False, 'Use GPU')
    cmd.option('--postproc', False, 'Perform post-processing')
    opt = cmd.parse(arg or [])
    print(opt)
    assert opt['input'] != 'none'
    print('Loading model...')

    # load Completion Network
    data = lg.load(opt['model'])
    model = data['model']
    datamean = data['mean']
    model.evaluate()
    if opt['gpu']:
        # require 'cunn': nothing to load, legonn's modules run on CUDA tensors once moved there
        model.cuda()

    # load data
    I = image.load(opt['input'])
    M = lg.Tensor()
    if opt['mask'] != 'none':
        M = load_image_gray(opt['mask'])
        assert I.size(1) == M.size(1) and I.size(2) == M.size(2)
    else:
        # generate random holes
        M = lg.Tensor(1, I.size(1), I.size(2)).fill(0)
        nHoles = lg.random(2, 4 + 1)
        for i in range(nHoles):
            mask_w = lg.random(32, 128 + 1)
            mask_h = lg.random(32, 128 + 1)
            px = lg.random(0, I.size(2) - mask_w - 1)
            py = lg.random(0, I.size(1) - mask_h - 1)
            R = (slice(None), slice(py, py + mask_h + 1), slice(px, px + mask_w + 1))
            M[R].fill(1)

    hwmax = max(I.size(1), I.size(2))
    if hwmax > opt['maxdim']:
        I = image.scale(I, '*%d/%d' % (opt['maxdim'], hwmax))
        M = image.scale(M, '*%d/%d' % (opt['maxdim'], hwmax))

    # Set up input
    I = image.scale(I, lg.round(I.size(2) / 4) * 4, lg.round(I.size(1) / 4) * 4)
    M = image.scale(M, lg.round(M.size(2) / 4) * 4, lg.round(M.size(1) / 4) * 4).ge(0.2).float()
    Ip = I.clone()
    for j in range(3):
        I[j].add(-datamean[j])
    I.maskedFill(lg.repeatTensor(M.byte(), 3, 1, 1), 0)

    # inpaint target holes
    print('Inpainting...')
    input = lg.cat(I, M, 0)
    input = input.reshape(1, input.size(0), input.size(1), input.size(2))
    if opt['gpu']:
        input = input.cuda()
    res = model.forward(input).float()[0]
    out = Ip.cmul(lg.repeatTensor((1 - M), 3, 1, 1)) + res.cmul(lg.repeatTensor(M, 3, 1, 1))

    # perform post-processing
    if opt['postproc']:
        print('Performing post-processing...')
        import cv
        import cv.photo  # noqa: F401
        pflag = False  # noqa: F841
        minx = 1e5
        maxx = 0
        miny = 1e5
        maxy = 0
        for y in range(M.size(2)):
            for x in range(M.size(1)):
                if M[0][x][y] == 1:
                    minx = min(minx, x)
                    maxx = max(maxx, x)
                    miny = min(miny, y)
                    maxy = max(maxy, y)

        # the Lua's `- 1` turns its 1-based centre into OpenCV's 0-based point; the 0-based bounds need none
        p_i = [lg.floor(miny + (maxy - miny) / 2), lg.floor(minx + (maxx - minx) / 2)]
        src_i = tensor2cvimg(out)
        mask_i = M.clone().permute(1, 2, 0).mul(255).byte()
        dst_i = cv.inpaint(src_i, mask_i, dst=None, inpaintRadius=1, flags=cv.INPAINT_TELEA)
        out_i = dst_i.clone()
        cv.seamlessClone(src=src_i, dst=dst_i, mask=mask_i, p=p_i, blend=out_i, flags=cv.NORMAL_CLONE)
        out = out_i
        out = cvimg2tensor(out)

    # save output
    for j in range(3):
        I[j].add(datamean[j])
    image.save('input.png', I)
    image.save('out.png', out)

    print('Done.')
