"""code/demo_MGAN.lua of chuanli11/MGANs (MIT licence), ported line by line: each .png of the input folder,
resized so its longer side is ``max_length`` (a multiple of ``stand_atom``), plus ``noise_weight`` times a
low-frequency noise image, mapped to [-1, 1] and decoded by the released network in one forward pass, is saved as
``<name>_MGANs.jpg``. The script's body is ``main(model_name, output_folder_name, input_folder_name, noise_name)``:
its file names come from the caller."""
import math
import os
import re

import legonn as lg
from legonn import cutorch, image, pl
from tests.porting.mgans.lib import util


def main(model_name, output_folder_name, input_folder_name, noise_name):
    opt = {}

    opt['model_name'] = model_name
    opt['output_folder_name'] = output_folder_name
    opt['input_folder_name'] = input_folder_name

    opt['max_length'] = 512  # change this value for image size. Larger images needs more gpu memory.
    opt['stand_atom'] = 8  # make sure the image size can be divided by stand_atom
    # change this weight for balancing between style and content. Stronger noise makes the synthesis more stylish.
    opt['noise_weight'] = 0.0
    opt['noise_name'] = noise_name  # low frequency noise image
    opt['gpu'] = 1

    # load data
    os.system('mkdir ' + opt['output_folder_name'])
    input_images_names = pl.dir.getallfiles(opt['input_folder_name'], '*.png')
    num_input_images = len(input_images_names)
    noise_image = image.load(opt['noise_name'], 3)
    net = util.load(opt['model_name'], opt['gpu'])
    net.cuda()
    print(net)

    print('*****************************************************')
    print('Testing: ')
    print('*****************************************************')
    counter = 0  # noqa: F841
    for i_img in range(num_input_images):
        # resize the image image
        image_input = image.load(input_images_names[i_img], 3)
        max_dim = max(image_input.size()[1], image_input.size()[2])
        scale = opt['max_length'] / max_dim
        new_dim_x = math.floor((image_input.size()[2] * scale) / opt['stand_atom']) * opt['stand_atom']
        new_dim_y = math.floor((image_input.size()[1] * scale) / opt['stand_atom']) * opt['stand_atom']
        image_input = image.scale(image_input, new_dim_x, new_dim_y, 'bilinear')

        # add noise to the image (improve background quality)
        noise_image_ = image.scale(noise_image, new_dim_x, new_dim_y, 'bilinear')
        image_input.add(noise_image_.mul(opt['noise_weight']))
        image_input.resize(1, image_input.size()[0], image_input.size()[1], image_input.size()[2])
        image_input.mul(2).add(-1)
        image_input = image_input.cuda()

        # decode image with a single forward prop
        tm = lg.Timer()
        image_syn = net.forward(image_input)
        cutorch.synchronize()
        print('Image size: %d by %d, time: %f' % (image_input.size()[2], image_input.size()[3], tm.time()['real']))
        image_syn = image.toDisplayTensor(input=image_syn, nrow=math.ceil(math.sqrt(image_syn.size(0))))

        # save image
        image_name = re.search(r'([^/]+)$', input_images_names[i_img]).group(1)
        image_name = image_name[0:len(image_name) - 4]
        image.save(opt['output_folder_name'] + image_name + '_MGANs.jpg', image_syn)

        # clear memory
        image_input = None
        image_syn = None
        noise_image_ = None

    net = None
