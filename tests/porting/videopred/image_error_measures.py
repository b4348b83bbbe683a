"""image_error_measures.lua: PSNR, SSIM and the sharpness difference (computel1difference) of
test-frame-prediction-on-ucf-rec_gdl.lua, with the global ``dx``/``dy`` shift nets.

Edits beyond Lua syntax and 0-based indices:

* The Lua file is run as a chunk with ``assert(loadfile("image_error_measures.lua"))(iscuda)``: its globals
  ``dx``, ``dy``, PSNR, SSIM and computel1difference become this module's names; ``setup(iscuda)`` is the
  chunk's body (the two nets), run once here on the CPU as the test script runs it (``iscuda = false``).
* ``torch.log(x)`` of a Lua number is ``math.log(x)``: the Lua adds and divides numbers only.
* SSIM rescales its arguments in place (``img1:add(1):div(2):mul(255)``) when they have one or two planes (an
  RGB image is first replaced by its new luma plane): kept as is.
"""
import math

import legonn as lg
from legonn import image, nn

dx = None
dy = None


def setup(iscuda):
    global dx, dy
    # useful to fast image gradient computation
    dy = nn.Sequential()
    dy.add(nn.SpatialZeroPadding(0, 0, 1, -1))

    dx = nn.Sequential()
    dx.add(nn.SpatialZeroPadding(1, -1, 0, 0))

    if iscuda is True:
        dy.cuda()
        dx.cuda()


setup(False)


# ------------------------------------------------------------------------------
# Calcul du PSNR entre 2 images
def PSNR(true_frame, pred):

    eps = 0.0001
    # if true_frame.size(0) == 1: true_frame = true_frame[0]
    # if pred.size(0) == 1: pred = pred[0]

    prediction_error = 0
    for i in range(pred.size(1)):
        for j in range(pred.size(2)):
            for c in range(pred.size(0)):
                # put image from -1 to 1 to 0 and 255
                prediction_error = prediction_error + \
                    (pred[c][i][j] - true_frame[c][i][j]) ** 2
    # MSE
    prediction_error = 128 * 128 * prediction_error / (pred.size(0) * pred.size(1) * pred.size(2))

    # PSNR
    if prediction_error > eps:
        prediction_error = 10 * math.log((255 * 255) / prediction_error) / math.log(10)
    else:
        prediction_error = 10 * math.log((255 * 255) / eps) / math.log(10)
    return prediction_error


# ------------------------------------------------------------------------------
# Calcul du SSIM
def SSIM(img1, img2):
    # Wang, Bovik, Sheikh, Simoncelli (IEEE TIP 2004): the mean SSIM index of two images, Gaussian window
    # 11 x 11, sigma 1.5, K = [0.01 0.03], L = 255 (the Lua's comment block, in short)

    if img1.size(0) > 2:
        img1 = image.rgb2y(img1)
        img1 = img1[0]
        img2 = image.rgb2y(img2)
        img2 = img2[0]

    # place images between 0 and 255.
    img1.add(1).div(2).mul(255)
    img2.add(1).div(2).mul(255)

    K1 = 0.01
    K2 = 0.03
    L = 255

    C1 = (K1 * L) ** 2
    C2 = (K2 * L) ** 2
    window = image.gaussian(11, 1.5 / 11, 0.0708)

    window = window.div(lg.sum(window))

    mu1 = image.convolve(img1, window, 'full')
    mu2 = image.convolve(img2, window, 'full')

    mu1_sq = lg.cmul(mu1, mu1)
    mu2_sq = lg.cmul(mu2, mu2)
    mu1_mu2 = lg.cmul(mu1, mu2)

    sigma1_sq = image.convolve(lg.cmul(img1, img1), window, 'full') - mu1_sq
    sigma2_sq = image.convolve(lg.cmul(img2, img2), window, 'full') - mu2_sq
    sigma12 = image.convolve(lg.cmul(img1, img2), window, 'full') - mu1_mu2

    ssim_map = lg.cdiv(lg.cmul((mu1_mu2 * 2 + C1), (sigma12 * 2 + C2)),
                       lg.cmul((mu1_sq + mu2_sq + C1), (sigma1_sq + sigma2_sq + C2)))
    mssim = lg.mean(ssim_map)
    return mssim


# ------------------------------------------------------------------------------
# image sharpeness difference measure

def computel1difference(img_pred, img_true):
    global s
    s = img_true.size()

    if img_pred.size(0) == 2:
        img_pred = img_pred[0:1, :, :]

    eps = 0.0001
    diff_gradients = lg.abs(
        lg.abs(dx.forward(img_pred) - img_pred)[:, 1:s[1] - 1, 1:s[2] - 1] -
        lg.abs(dx.forward(img_true) - img_true)[:, 1:s[1] - 1, 1:s[2] - 1]) + \
        lg.abs(
            lg.abs(dy.forward(img_pred) - img_pred)[:, 1:s[1] - 1, 1:s[2] - 1] -
            lg.abs(dy.forward(img_true) - img_true)[:, 1:s[1] - 1, 1:s[2] - 1])
    prediction_error = lg.sum(diff_gradients)

    # Mean
    prediction_error = 128 * 128 * prediction_error / (s[0] * s[1] * s[2])

    if prediction_error > eps:
        prediction_error = 10 * math.log((255 * 255) / prediction_error) / math.log(10)
    else:
        prediction_error = 10 * math.log((255 * 255) / eps) / math.log(10)

    return prediction_error
