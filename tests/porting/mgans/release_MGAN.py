"""code/release_MGAN.lua of chuanli11/MGANs (MIT licence), ported line by line: the released network is the VGG
encoder (its first ``netEnco_vgg_Outputlayer`` modules) followed by the trained generator, saved with util.save.
The script's body is ``main(loadcaffe_wrap, model_name, release_name)``: its file names and loadcaffe_wrapper.lua
(not ported: an ffi binding) come from the caller."""
from legonn import nn
from tests.porting.mgans.lib import util


def main(loadcaffe_wrap, model_name, release_name):
    opt = {}
    opt['model_name'] = model_name
    opt['release_name'] = release_name

    # ---*****************************************************************************************************
    # DO NOT CHANGE AFTER THIS LINE
    # ---*****************************************************************************************************
    opt['vgg_proto_file'] = '../Dataset/model/VGG_ILSVRC_19_layers_deploy.prototxt'
    opt['vgg_model_file'] = '../Dataset/model/VGG_ILSVRC_19_layers.caffemodel'
    opt['vgg_backend'] = 'nn'
    opt['netEnco_vgg_Outputlayer'] = 21
    opt['gpu'] = 0

    net_vgg = loadcaffe_wrap.load(opt['vgg_proto_file'], opt['vgg_model_file'], opt['vgg_backend'],
                                  opt['netEnco_vgg_Outputlayer'])
    net_deco = util.load(opt['model_name'], opt['gpu'])
    print(net_deco)

    net_release = nn.Sequential()
    for i_layer in range(opt['netEnco_vgg_Outputlayer']):
        net_release.add(net_vgg.get(i_layer))

    for i_layer in range(net_deco.size()):
        net_release.add(net_deco.get(i_layer))

    print(net_release)
    util.save(opt['release_name'], net_release, opt['gpu'])
