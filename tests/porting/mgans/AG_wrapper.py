"""code/AG_wrapper.lua of chuanli11/MGANs (MIT licence), ported line by line: ``state(params)`` writes the
training and testing patches (``imageSize`` squares every ``sampleStep`` pixels, numbered from 1) of the content
and style images of a dataset, each image resized so its longer side is ``stand_imageSize_syn`` (a multiple of
``stand_atom``), rotated by -n..n steps (cropped to computeBB's box), scaled by -n..n steps, and flipped.

The Lua's four blocks (test and train, content and style) are the same lines over other names, as here. Its
globals (``dataset_name``, ``count``, the folder names, ...) are locals; computeBB's 1-based box is cropped with
``min - 1:max``, the patches' 1-based ``{i_row, i_row + imageSize - 1}`` are 0-based ``i_row:i_row + imageSize``.
"""
import math
import os

import legonn as lg
from legonn import image, pl
from tests.porting.mgans.lib.helper import computeBB


def run_AG(params):
    flag_state = 1
    dataset_name = params['dataset_name']
    stand_imageSize_syn = params['stand_imageSize_syn']
    stand_atom = params['stand_atom']
    imageSize = params['AG_imageSize']
    sampleStep = params['AG_sampleStep']
    step_rotation = params['AG_step_rotation']
    step_scale = params['AG_step_scale']
    num_rotation = params['AG_num_rotation']
    num_scale = params['AG_num_scale']
    flag_flip = params['AG_flag_flip']

    # -----------------------------------------------------------------
    # DONOT CHANGE AFTER THIS LINE
    # -----------------------------------------------------------------

    # -------------------------------------------------------------------------------------------------------------
    # Generate Testing Images
    # -------------------------------------------------------------------------------------------------------------
    data_Content = 'ContentTest/'
    data_Style = 'StyleTest/'
    patch_Content = 'ContentTestPatch' + '%d' % imageSize + '/'
    patch_Style = 'StyleTestPatch' + '%d' % imageSize + '/'

    folder_source = dataset_name + data_Content
    folder_source_patch = dataset_name + patch_Content
    folder_target = dataset_name + data_Style
    folder_target_patch = dataset_name + patch_Style

    os.system('mkdir ' + folder_source_patch)
    os.system('mkdir ' + folder_target_patch)

    source_images_names = pl.dir.getallfiles(folder_source, '*.png')
    num_source_images = len(source_images_names)
    print('num of source images: %d' % num_source_images)

    count = 1
    for i_source_image in range(num_source_images):
        image_source = image.load(source_images_names[i_source_image], 3)

        # resize
        max_dim = max(image_source.size()[1], image_source.size()[2])
        scale = stand_imageSize_syn / max_dim
        new_dim_x = math.floor((image_source.size()[2] * scale) / stand_atom) * stand_atom
        new_dim_y = math.floor((image_source.size()[1] * scale) / stand_atom) * stand_atom
        image_source = image.scale(image_source, new_dim_x, new_dim_y, 'bilinear')

        # make copies
        for i_r in range(-num_rotation, num_rotation + 1):
            alpha = step_rotation * i_r
            min_x, min_y, max_x, max_y = computeBB(image_source.size()[2], image_source.size()[1], alpha)
            image_source_rt = image.rotate(image_source, alpha, 'bilinear')
            image_source_rt = image_source_rt[0:image_source_rt.size()[0], min_y - 1:max_y, min_x - 1:max_x]
            for i_s in range(-num_scale, num_scale + 1):
                max_sz = math.floor(max(image_source_rt.size()[1], image_source_rt.size()[2])
                                        * lg.pow(step_scale, i_s))
                image_source_rt_s = image.scale(image_source_rt, max_sz, 'bilinear')

                for i_row in range(0, image_source_rt_s.size()[1] - imageSize + 1, sampleStep):
                    for i_col in range(0, image_source_rt_s.size()[2] - imageSize + 1, sampleStep):
                        image.save(folder_source_patch + '%d' % count + '.png',
                                   image_source_rt_s[0:3, i_row:i_row + imageSize, i_col:i_col + imageSize])
                        count = count + 1

        # flip
        if flag_flip:
            image_source = image.hflip(image_source)
            for i_r in range(-num_rotation, num_rotation + 1):
                alpha = step_rotation * i_r
                min_x, min_y, max_x, max_y = computeBB(image_source.size()[2], image_source.size()[1], alpha)
                image_source_rt = image.rotate(image_source, alpha, 'bilinear')
                image_source_rt = image_source_rt[0:image_source_rt.size()[0], min_y - 1:max_y, min_x - 1:max_x]
                for i_s in range(-num_scale, num_scale + 1):
                    max_sz = math.floor(max(image_source_rt.size()[1], image_source_rt.size()[2])
                                            * lg.pow(step_scale, i_s))
                    image_source_rt_s = image.scale(image_source_rt, max_sz, 'bilinear')

                    for i_row in range(0, image_source_rt_s.size()[1] - imageSize + 1, sampleStep):
                        for i_col in range(0, image_source_rt_s.size()[2] - imageSize + 1, sampleStep):
                            image.save(folder_source_patch + '%d' % count + '.png',
                                       image_source_rt_s[0:3, i_row:i_row + imageSize, i_col:i_col + imageSize])
                            count = count + 1

    target_images_names = pl.dir.getallfiles(folder_target, '*.png')
    num_target_images = len(target_images_names)
    print('num of target images: %d' % num_target_images)

    count = 1
    for i_target_image in range(num_target_images):
        image_target = image.load(target_images_names[i_target_image], 3)

        # resize
        max_dim = max(image_target.size()[1], image_target.size()[2])
        scale = stand_imageSize_syn / max_dim
        new_dim_x = math.floor((image_target.size()[2] * scale) / stand_atom) * stand_atom
        new_dim_y = math.floor((image_target.size()[1] * scale) / stand_atom) * stand_atom
        image_target = image.scale(image_target, new_dim_x, new_dim_y, 'bilinear')

        # make copies
        for i_r in range(-num_rotation, num_rotation + 1):
            alpha = step_rotation * i_r
            min_x, min_y, max_x, max_y = computeBB(image_target.size()[2], image_target.size()[1], alpha)
            image_target_rt = image.rotate(image_target, alpha, 'bilinear')
            image_target_rt = image_target_rt[0:image_target_rt.size()[0], min_y - 1:max_y, min_x - 1:max_x]
            for i_s in range(-num_scale, num_scale + 1):
                max_sz = math.floor(max(image_target_rt.size()[1], image_target_rt.size()[2])
                                        * lg.pow(step_scale, i_s))
                image_target_rt_s = image.scale(image_target_rt, max_sz, 'bilinear')

                for i_row in range(0, image_target_rt_s.size()[1] - imageSize + 1, sampleStep):
                    for i_col in range(0, image_target_rt_s.size()[2] - imageSize + 1, sampleStep):
                        image.save(folder_target_patch + '%d' % count + '.png',
                                   image_target_rt_s[0:3, i_row:i_row + imageSize, i_col:i_col + imageSize])
                        count = count + 1

        # flip
        if flag_flip:
            image_target = image.hflip(image_target)
            for i_r in range(-num_rotation, num_rotation + 1):
                alpha = step_rotation * i_r
                min_x, min_y, max_x, max_y = computeBB(image_target.size()[2], image_target.size()[1], alpha)
                image_target_rt = image.rotate(image_target, alpha, 'bilinear')
                image_target_rt = image_target_rt[0:image_target_rt.size()[0], min_y - 1:max_y, min_x - 1:max_x]
                for i_s in range(-num_scale, num_scale + 1):
                    max_sz = math.floor(max(image_target_rt.size()[1], image_target_rt.size()[2])
                                            * lg.pow(step_scale, i_s))
                    image_target_rt_s = image.scale(image_target_rt, max_sz, 'bilinear')

                    for i_row in range(0, image_target_rt_s.size()[1] - imageSize + 1, sampleStep):
                        for i_col in range(0, image_target_rt_s.size()[2] - imageSize + 1, sampleStep):
                            image.save(folder_target_patch + '%d' % count + '.png',
                                       image_target_rt_s[0:3, i_row:i_row + imageSize, i_col:i_col + imageSize])
                            count = count + 1

    # -------------------------------------------------------------------------------------------------------------
    # Generate Training Images
    # -------------------------------------------------------------------------------------------------------------
    data_Content = 'ContentTrain/'
    data_Style = 'StyleTrain/'
    patch_Content = 'ContentTrainPatch' + '%d' % imageSize + '/'
    patch_Style = 'StyleTrainPatch' + '%d' % imageSize + '/'

    folder_source = dataset_name + data_Content
    folder_source_patch = dataset_name + patch_Content
    folder_target = dataset_name + data_Style
    folder_target_patch = dataset_name + patch_Style

    os.system('mkdir ' + folder_source_patch)
    os.system('mkdir ' + folder_target_patch)

    source_images_names = pl.dir.getallfiles(folder_source, '*.png')
    num_source_images = len(source_images_names)
    print('num of source images: %d' % num_source_images)

    count = 1
    for i_source_image in range(num_source_images):
        image_source = image.load(source_images_names[i_source_image], 3)

        # resize
        max_dim = max(image_source.size()[1], image_source.size()[2])
        scale = stand_imageSize_syn / max_dim
        new_dim_x = math.floor((image_source.size()[2] * scale) / stand_atom) * stand_atom
        new_dim_y = math.floor((image_source.size()[1] * scale) / stand_atom) * stand_atom
        image_source = image.scale(image_source, new_dim_x, new_dim_y, 'bilinear')

        # make copies
        for i_r in range(-num_rotation, num_rotation + 1):
            alpha = step_rotation * i_r
            min_x, min_y, max_x, max_y = computeBB(image_source.size()[2], image_source.size()[1], alpha)
            image_source_rt = image.rotate(image_source, alpha, 'bilinear')
            image_source_rt = image_source_rt[0:image_source_rt.size()[0], min_y - 1:max_y, min_x - 1:max_x]
            for i_s in range(-num_scale, num_scale + 1):
                max_sz = math.floor(max(image_source_rt.size()[1], image_source_rt.size()[2])
                                        * lg.pow(step_scale, i_s))
                image_source_rt_s = image.scale(image_source_rt, max_sz, 'bilinear')

                for i_row in range(0, image_source_rt_s.size()[1] - imageSize + 1, sampleStep):
                    for i_col in range(0, image_source_rt_s.size()[2] - imageSize + 1, sampleStep):
                        image.save(folder_source_patch + '%d' % count + '.png',
                                   image_source_rt_s[0:3, i_row:i_row + imageSize, i_col:i_col + imageSize])
                        count = count + 1

        # flip
        if flag_flip:
            image_source = image.hflip(image_source)
            for i_r in range(-num_rotation, num_rotation + 1):
                alpha = step_rotation * i_r
                min_x, min_y, max_x, max_y = computeBB(image_source.size()[2], image_source.size()[1], alpha)
                image_source_rt = image.rotate(image_source, alpha, 'bilinear')
                image_source_rt = image_source_rt[0:image_source_rt.size()[0], min_y - 1:max_y, min_x - 1:max_x]
                for i_s in range(-num_scale, num_scale + 1):
                    max_sz = math.floor(max(image_source_rt.size()[1], image_source_rt.size()[2])
                                            * lg.pow(step_scale, i_s))
                    image_source_rt_s = image.scale(image_source_rt, max_sz, 'bilinear')

                    for i_row in range(0, image_source_rt_s.size()[1] - imageSize + 1, sampleStep):
                        for i_col in range(0, image_source_rt_s.size()[2] - imageSize + 1, sampleStep):
                            image.save(folder_source_patch + '%d' % count + '.png',
                                       image_source_rt_s[0:3, i_row:i_row + imageSize, i_col:i_col + imageSize])
                            count = count + 1

    target_images_names = pl.dir.getallfiles(folder_target, '*.png')
    num_target_images = len(target_images_names)
    print('num of target images: %d' % num_target_images)

    count = 1
    for i_target_image in range(num_target_images):
        image_target = image.load(target_images_names[i_target_image], 3)

        # resize
        max_dim = max(image_target.size()[1], image_target.size()[2])
        scale = stand_imageSize_syn / max_dim
        new_dim_x = math.floor((image_target.size()[2] * scale) / stand_atom) * stand_atom
        new_dim_y = math.floor((image_target.size()[1] * scale) / stand_atom) * stand_atom
        image_target = image.scale(image_target, new_dim_x, new_dim_y, 'bilinear')

        # make copies
        for i_r in range(-num_rotation, num_rotation + 1):
            alpha = step_rotation * i_r
            min_x, min_y, max_x, max_y = computeBB(image_target.size()[2], image_target.size()[1], alpha)
            image_target_rt = image.rotate(image_target, alpha, 'bilinear')
            image_target_rt = image_target_rt[0:image_target_rt.size()[0], min_y - 1:max_y, min_x - 1:max_x]
            for i_s in range(-num_scale, num_scale + 1):
                max_sz = math.floor(max(image_target_rt.size()[1], image_target_rt.size()[2])
                                        * lg.pow(step_scale, i_s))
                image_target_rt_s = image.scale(image_target_rt, max_sz, 'bilinear')

                for i_row in range(0, image_target_rt_s.size()[1] - imageSize + 1, sampleStep):
                    for i_col in range(0, image_target_rt_s.size()[2] - imageSize + 1, sampleStep):
                        image.save(folder_target_patch + '%d' % count + '.png',
                                   image_target_rt_s[0:3, i_row:i_row + imageSize, i_col:i_col + imageSize])
                        count = count + 1

        # flip
        if flag_flip:
            image_target = image.hflip(image_target)
            for i_r in range(-num_rotation, num_rotation + 1):
                alpha = step_rotation * i_r
                min_x, min_y, max_x, max_y = computeBB(image_target.size()[2], image_target.size()[1], alpha)
                image_target_rt = image.rotate(image_target, alpha, 'bilinear')
                image_target_rt = image_target_rt[0:image_target_rt.size()[0], min_y - 1:max_y, min_x - 1:max_x]
                for i_s in range(-num_scale, num_scale + 1):
                    max_sz = math.floor(max(image_target_rt.size()[1], image_target_rt.size()[2])
                                            * lg.pow(step_scale, i_s))
                    image_target_rt_s = image.scale(image_target_rt, max_sz, 'bilinear')

                    for i_row in range(0, image_target_rt_s.size()[1] - imageSize + 1, sampleStep):
                        for i_col in range(0, image_target_rt_s.size()[2] - imageSize + 1, sampleStep):
                            image.save(folder_target_patch + '%d' % count + '.png',
                                       image_target_rt_s[0:3, i_row:i_row + imageSize, i_col:i_col + imageSize])
                            count = count + 1

    return flag_state


state = run_AG
