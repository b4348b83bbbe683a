"""colorize.lua of satoshiiizuka/siggraph2016_colorization, ported line by line: a greyscale image (or the luma of
an RGB one) scaled to a multiple of 8, less the data mean, goes through the joint global/local network as the full
image and a 224 x 224 copy; the predicted chrominance (a and b of CIE Lab, in [0, 1]) is scaled up to the image's
size and joined to its luminance, then saved as an RGB image. The script's body is ``main(arg)``, with ``arg`` its
command-line arguments (Lua's ``arg[1]`` is ``arg[0]``)."""
import legonn as lg
from legonn import image


def main(arg):
    infile = arg[0]
    outfile = arg[1] if len(arg) > 1 else 'out.png'
    netfile = arg[2] if len(arg) > 2 else 'colornet.t7'

    d = lg.load(netfile)
    datamean = d['mean']
    model = d['model'].float()

    def pred2rgb(x, data):
        I = lg.cat(data[0][0:1, :, :].float(),
                   data[0].clone().float().mul(2).add(-1), 0)
        O = image.scale(I, x.size(2), x.size(1))
        X = image.rgb2lab(image.yuv2rgb(lg.repeatTensor(x, 3, 1, 1)))
        O = O * 100
        O[0] = X[0]
        O = image.rgb2yuv(image.lab2rgb(O))
        return image.yuv2rgb(lg.cat(x, O[1:3, :, :], 0))

    I = image.load(infile)
    if I.size(0) == 3:
        I = image.rgb2y(I)
    X2 = image.scale(I, lg.round(I.size(2) / 8) * 8, lg.round(I.size(1) / 8) * 8).add(-datamean).float()
    X1 = image.scale(X2, 224, 224).float()
    X1 = X1.reshape(1, X1.size(0), X1.size(1), X1.size(2))
    X2 = X2.reshape(1, X2.size(0), X2.size(1), X2.size(2))
    # Lua's forwardnodes[9]: its first eight nodes are nngraph's innode, split node and first input's select
    # node, then five module nodes; legonn's forwardnodes hold the module nodes only (docs/porting.md)
    model.forwardnodes[5].data.module.modules[2].nfeatures = X2.size(2) / 8
    model.forwardnodes[5].data.module.modules[3].nfeatures = X2.size(3) / 8

    image.save(outfile, pred2rgb(I.float(), model.forward([X1, X2])))
