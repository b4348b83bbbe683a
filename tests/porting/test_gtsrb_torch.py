"""Moodstocks/gtsrb.torch ported line by line: networks.lua (lines 1-250: new_conv with its optional multi-scale
ConcatTable and contrastive normalisation, convs_noutput, new_fc, new_classifier, the spatial transformer of
stnbhwd's modules with its CUDA/CPU Copy bridges and the sampler kept on the CPU by overriding its ``type``,
the factory ``new``), idsia_net.lua and use_cudnn.lua (the user network files ``-net`` names), dataset.lua
(lines 1-285 less the download: the binaries, ``get_train_dataset`` with the validation split, the global and
local normalisations, ``prune_dataset``, ``generate_dataset`` reading GTSRB's directories of PPM images and
their ``;``-separated annotations with ``pl.data``), Optim.lua (fbcunn's per-module optimiser, which
trainer.lua loads with ``paths.dofile``), trainer.lua (lines 1-151) and main.lua (lines 1-125: the lapp
options, normalisation, training, testing, saving and ``--eval``).

GTSRB is downloaded by dataset.lua; a small stand-in tree of the same layout is generated instead
(``GTSRB/Final_Training/Images/000cc/GT-000cc.csv`` with ``TTTTT_IIIII.ppm`` images of two tracks per class,
``GTSRB/Final_Test/Images/final_test``), the classes told apart by colour and the side a bar is drawn on.
GTSRB's ``ClassId`` is 0-based already; the Lua adds 1, legonn's classes are 0-based, so the port does not.

Three places the port keeps the Lua's behaviour on purpose: new_conv passes ``norm_kernel``, a global the
file never sets (its local is ``normkernel``), so SpatialContrastiveNormalization gets nil and its default
9 x 9 kernel; normalize_local's batch count ``math.min(dataset_size, i+batch) - i`` leaves the last sample
unnormalised (docs/porting.md's row on counts computed from a loop index); validation picks a track in
``1 .. max_track_nbr``, never track 0."""
import gc
import math
import os
import random
import re

import numpy as np
import pytest

import legonn as lg
from legonn import cutorch, image, nn, optim, paths, xlua
from legonn import sys as tsys
from legonn.pl import data as pldata, dir as pldir, lapp, path as plpath, tablex, utils as plutils


def tonumber(s):
    """Lua's tonumber of a string: the number, or None (the test images' '00000.ppm' gives nil)."""
    try:
        return int(s)
    except ValueError:
        return None


# --- networks.lua -----------------------------------------------------------------------------------------

class networks:
    # These are the basic modules used when creating any macro-module
    # Can be modified to use for example cudnn
    modules = {
        'convolutionModule': nn.SpatialConvolutionMM,
        'poolingModule': nn.SpatialMaxPooling,
        'nonLinearityModule': nn.ReLU,
    }

    # Size of the input image. This comes from the dataset loader
    base_input_size = 48

    # Number of output classes. This comes from the dataset.
    nbr_classes = 43

    @staticmethod
    def new_conv(nbr_input_channels, nbr_output_channels, multiscale=None, no_cnorm=None, filter_size=None):
        """A conv module with the specified number of channels in input and output; with multiscale the
        output has nbr_input_channels + nbr_output_channels; no_cnorm drops the contrastive normalisation;
        the filter size defaults to 5, the stride is 1."""
        multiscale = multiscale or False
        no_cnorm = no_cnorm or False
        filter_size = filter_size or 5
        padding_size = 2
        pooling_size = 2
        normkernel = image.gaussian1D(7)

        first = nn.Sequential()
        first.add(networks.modules['convolutionModule'](nbr_input_channels,
                                                        nbr_output_channels,
                                                        filter_size, filter_size,
                                                        1, 1,
                                                        padding_size, padding_size))
        first.add(networks.modules['nonLinearityModule']())
        first.add(networks.modules['poolingModule'](pooling_size, pooling_size,
                                                    pooling_size, pooling_size))
        if not no_cnorm:
            # the Lua passes norm_kernel, a global never set (the local is normkernel): nil, the default kernel
            first.add(nn.SpatialContrastiveNormalization(nbr_output_channels,
                                                         None))

        if multiscale:
            conv = nn.Sequential()
            second = networks.modules['poolingModule'](pooling_size, pooling_size,
                                                       pooling_size, pooling_size)

            parallel = nn.ConcatTable()
            parallel.add(first)
            parallel.add(second)
            conv.add(parallel)
            conv.add(nn.JoinTable(0, 3))
        else:
            conv = first

        return conv

    @staticmethod
    def convs_noutput(convs, input_size=None):
        """The number of output elements for a list of convolution layers, and the new height (=width)."""
        input_size = input_size or networks.base_input_size
        # Get the number of channels for conv that are multiscale or not (a missing field reads nil in Lua)
        nbr_input_channels = getattr(convs[0].get(0), 'nInputPlane', None) or \
            convs[0].get(0).get(0).nInputPlane
        output = lg.Tensor(1, nbr_input_channels, input_size, input_size)
        for conv in convs:
            output = conv.forward(output)
        return output.nElement(), output.size(2)

    @staticmethod
    def new_fc(nbr_input, nbr_output):
        fc = nn.Sequential()
        fc.add(nn.View(nbr_input))
        fc.add(nn.Linear(nbr_input, nbr_output))
        fc.add(networks.modules['nonLinearityModule']())
        return fc

    @staticmethod
    def new_classifier(nbr_input, nbr_output):
        classifier = nn.Sequential()
        classifier.add(nn.View(nbr_input))
        classifier.add(nn.Linear(nbr_input, nbr_output))
        return classifier

    @staticmethod
    def new_spatial_tranformer(locnet, rot, sca, tra, input_size=None, input_channels=None, no_cuda=None):
        """A spatial transformer module: locnet the localisation network's sizes, rot/sca/tra force specific
        transformations, input_size the height (=width), input_channels the channels; no_cuda tells whether the
        network runs on CUDA, where the sampler is kept on the CPU (see (1))."""
        input_size = input_size or networks.base_input_size
        input_channels = input_channels or 3
        # require 'stn': legonn's nn has stnbhwd's modules
        nbr_elements = []
        for c in re.findall(r'\d+', locnet):
            nbr_elements.append(tonumber(c))

        # Get number of params and initial state
        init_bias = []
        nbr_params = 0
        if rot:
            nbr_params = nbr_params + 1
            init_bias.append(0)
        if sca:
            nbr_params = nbr_params + 1
            init_bias.append(1)
        if tra:
            nbr_params = nbr_params + 2
            init_bias.append(0)
            init_bias.append(0)
        if nbr_params == 0:
            # fully parametrized case
            nbr_params = 6
            init_bias = [1, 0, 0, 0, 1, 0]

        st = nn.Sequential()

        # Create a localization network same as cnn but with downsampled inputs
        localization_network = nn.Sequential()
        conv1 = networks.new_conv(input_channels, nbr_elements[0], False, True)
        conv2 = networks.new_conv(nbr_elements[0], nbr_elements[1], False, True)
        conv_output_size = networks.convs_noutput([conv1, conv2], input_size / 2)[0]
        fc = networks.new_fc(conv_output_size, nbr_elements[2])
        classifier = networks.new_classifier(nbr_elements[2], nbr_params)
        # Initialize the localization network (see paper, A.3 section)
        classifier.get(1).weight.zero()
        classifier.get(1).bias = lg.Tensor(init_bias)

        localization_network.add(networks.modules['poolingModule'](2, 2, 2, 2))
        localization_network.add(conv1)
        localization_network.add(conv2)
        localization_network.add(fc)
        localization_network.add(classifier)

        # Create the actual module structure
        ct = nn.ConcatTable()
        branch1 = nn.Sequential()
        branch1.add(nn.Transpose([2, 3], [1, 3]))
        if not no_cuda:  # see (1) below
            branch1.add(nn.Copy('torch.CudaTensor', 'torch.FloatTensor', True, True))
        branch2 = nn.Sequential()
        branch2.add(localization_network)
        branch2.add(nn.AffineTransformMatrixGenerator(rot, sca, tra))
        branch2.add(nn.AffineGridGeneratorBHWD(input_size, input_size))
        if not no_cuda:  # see (1) below
            branch2.add(nn.Copy('torch.CudaTensor', 'torch.FloatTensor', True, True))
        ct.add(branch1)
        ct.add(branch2)

        st.add(ct)
        sampler = nn.BilinearSamplerBHWD()
        # (1)
        # The sampler lead to non-reproducible results on GPU
        # We want to always keep it on CPU
        # This does no lead to slowdown of the training
        if not no_cuda:
            sampler.type('torch.FloatTensor')
            # make sure it will not go back to the GPU when we call
            # ":cuda()" on the network later
            sampler.type = keep_on_cpu
            st.add(sampler)
            st.add(nn.Copy('torch.FloatTensor', 'torch.CudaTensor', True, True))
        else:
            st.add(sampler)
        st.add(nn.Transpose([1, 3], [2, 3]))

        return st

    @staticmethod
    def new(opt):
        """Main factory function: an opt.net file creates the network, else opt.cnn says how to build it."""
        if opt.get('net') is not None and opt['net'] != '':
            user_module = NET_FILES[opt['net']]                 # dofile(opt.net)
            network = user_module.get_network(opt)
        elif opt.get('cnn') is not None:
            network = nn.Sequential()
            nbr_elements = []
            for c in re.findall(r'\d+', opt['cnn']):
                nbr_elements.append(tonumber(c))
            assert len(nbr_elements) == 3, \
                'opt.cnn should contain 3 comma separated values, got ' + str(len(nbr_elements))

            conv1 = networks.new_conv(3, nbr_elements[0],
                                      False, opt.get('no_cnorm'))
            conv2 = networks.new_conv(nbr_elements[0], nbr_elements[1],
                                      opt.get('ms'), opt.get('no_cnorm'))
            conv_output_size = networks.convs_noutput([conv1, conv2])[0]
            fc = networks.new_fc(conv_output_size, nbr_elements[2])
            classifier = networks.new_classifier(nbr_elements[2],
                                                 networks.nbr_classes)

            if opt.get('st') and opt.get('locnet') is not None and opt['locnet'] != '':
                network.add(networks.new_spatial_tranformer(opt['locnet'],
                                                            opt['rot'], opt['sca'], opt['tra'],
                                                            None, None,
                                                            opt['no_cuda']))
            network.add(conv1)
            if opt.get('locnet2') is not None and opt['locnet2'] != '':
                _, current_size = networks.convs_noutput([conv1])
                network.add(networks.new_spatial_tranformer(opt['locnet2'],
                                                            opt['rot'], opt['sca'], opt['tra'],
                                                            current_size, nbr_elements[0],
                                                            opt['no_cuda']))
            network.add(conv2)
            network.add(fc)
            network.add(classifier)
        else:
            raise RuntimeError('You should either use -net or -cnn options')

        return network


def keep_on_cpu(type=None, tensorCache=None):
    """networks.lua's ``sampler.type = function(type) return self end``: a ``type`` that converts nothing. Its
    ``self`` is a global the file never sets, so it returns nil, which nn's recursiveType ignores."""
    return None


# --- idsia_net.lua ----------------------------------------------------------------------------------------

class idsia_net:
    @staticmethod
    def get_network(opt):
        network = nn.Sequential()

        nbr_elements = []
        for c in re.findall(r'\d+', opt['cnn']):
            nbr_elements.append(tonumber(c))
        assert len(nbr_elements) == 4, \
            'opt.cnn should contain 4 comma separated values when working with ' + \
            'the idsia network, got ' + str(len(nbr_elements))

        conv1 = networks.new_conv(3, nbr_elements[0], False, opt.get('no_cnorm'), 7)
        conv2 = networks.new_conv(nbr_elements[0], nbr_elements[1],
                                  False, opt.get('no_cnorm'), 4)
        conv3 = networks.new_conv(nbr_elements[1], nbr_elements[2],
                                  False, opt.get('no_cnorm'), 4)

        conv_output_size = networks.convs_noutput([conv1, conv2, conv3])[0]

        fc = networks.new_fc(conv_output_size, nbr_elements[3])
        classifier = networks.new_classifier(nbr_elements[3],
                                             networks.nbr_classes)

        if opt.get('st') and opt.get('locnet') is not None and opt['locnet'] != '':
            network.add(networks.new_spatial_tranformer(opt['locnet'],
                                                        opt['rot'], opt['sca'], opt['tra'],
                                                        None, None,
                                                        opt['no_cuda']))
        network.add(conv1)
        if opt.get('locnet2') is not None and opt['locnet2'] != '':
            _, current_size = networks.convs_noutput([conv1])
            network.add(networks.new_spatial_tranformer(opt['locnet2'],
                                                        opt['rot'], opt['sca'], opt['tra'],
                                                        current_size, nbr_elements[0],
                                                        opt['no_cuda']))
        network.add(conv2)
        if opt.get('locnet3') is not None and opt['locnet3'] != '':
            _, current_size = networks.convs_noutput([conv1, conv2])
            network.add(networks.new_spatial_tranformer(opt['locnet3'],
                                                        opt['rot'], opt['sca'], opt['tra'],
                                                        current_size, nbr_elements[1],
                                                        opt['no_cuda']))
        network.add(conv3)
        network.add(fc)
        network.add(classifier)

        return network


# --- use_cudnn.lua ----------------------------------------------------------------------------------------

class use_cudnn:
    @staticmethod
    def convs_noutput(convs, input_size=None):
        """networks.convs_noutput on CUDA (a 3-D input: its size(2) is the height)."""
        input_size = input_size or networks.base_input_size
        nbr_input_channels = getattr(convs[0].get(0), 'nInputPlane', None) or \
            convs[0].get(0).get(0).nInputPlane
        output = lg.CudaTensor(nbr_input_channels, input_size, input_size)
        for conv in convs:
            conv.cuda()
            output = conv.forward(output)
        return output.nElement(), output.size(1)

    @staticmethod
    def get_network(opt):
        from legonn import cudnn
        # Change the default modules to cudnn ones
        networks.modules['convolutionModule'] = cudnn.SpatialConvolution
        networks.modules['poolingModule'] = cudnn.SpatialMaxPooling
        networks.modules['nonLinearityModule'] = cudnn.ReLU

        # Patch the convs_noutput method to use cuda
        networks.convs_noutput = use_cudnn.convs_noutput

        # Now just create the network using the original module
        options = {}
        options['ms'] = opt.get('ms')
        options['cnn'] = opt.get('cnn')
        options['st'] = opt.get('st')
        return networks.new(options)


NET_FILES = {'idsia_net.lua': idsia_net, 'use_cudnn.lua': use_cudnn}


# --- dataset.lua ------------------------------------------------------------------------------------------

class dataset:
    # These paths should not be changed
    path_remote_train = "http://benchmark.ini.rub.de/Dataset/GTSRB_Final_Training_Images.zip"
    path_remote_test = "http://benchmark.ini.rub.de/Dataset/GTSRB_Final_Test_Images.zip"
    path_remote_test_gt = "http://benchmark.ini.rub.de/Dataset/GTSRB_Final_Test_GT.zip"

    train_dataset_bin = "train_dataset.bin"
    validation_dataset_bin = "validation_dataset.bin"
    test_dataset_bin = "test_dataset.bin"

    @staticmethod
    def download_generate_bin():
        """Generate the binary files of the dataset from the './GTSRB' folder (downloading it is not ported)."""
        if not plpath.isfile(dataset.train_dataset_bin) or \
                not plpath.isfile(dataset.validation_dataset_bin) or \
                not plpath.isfile(dataset.test_dataset_bin):

            if not plpath.isdir('GTSRB'):
                raise NotImplementedError('downloading GTSRB (wget, unzip) is not ported')

            print('Generating bin of the dataset')
            train_set, validation_set = generate_dataset('GTSRB/Final_Training/Images', True)
            lg.save(dataset.train_dataset_bin, train_set)
            train_set = None
            lg.save(dataset.validation_dataset_bin, validation_set)
            validation_set = None
            gc.collect()
            test_set = generate_dataset('GTSRB/Final_Test/Images')
            lg.save(dataset.test_dataset_bin, test_set)
            test_set = None
            gc.collect()

            if paths.dirp('GTSRB'):
                os.system('rm -r GTSRB')

    @staticmethod
    def get_train_dataset(nbr_examples=None, use_validation=None):
        """The train dataset, or at most nbr_examples of it (shuffled); with use_validation also the
        validation set (the split of Sermanet and LeCun)."""
        dataset.download_generate_bin()
        train_dataset = lg.load(dataset.train_dataset_bin)
        validation_dataset = lg.load(dataset.validation_dataset_bin)

        if not use_validation:
            # Merge both train and validation set to have the full train set
            full_train_dataset = {}
            # Create the full dataset with the proper size
            data_size = list(train_dataset['data'].size())
            label_size = list(train_dataset['label'].size())
            nbr_train_examples = train_dataset['data'].size(0)
            nbr_val_examples = validation_dataset['data'].size(0)
            data_size[0] = nbr_train_examples + nbr_val_examples
            label_size[0] = nbr_train_examples + nbr_val_examples
            full_train_dataset['data'] = lg.Tensor(lg.LongStorage(data_size))
            full_train_dataset['label'] = lg.Tensor(lg.LongStorage(label_size))
            # Copy the data in the full dataset
            full_train_dataset['data'].narrow(0,
                                              0, nbr_train_examples).copy(
                                              train_dataset['data'])
            full_train_dataset['data'].narrow(0,
                                              nbr_train_examples,
                                              nbr_val_examples).copy(
                                              validation_dataset['data'])
            full_train_dataset['label'].narrow(0,
                                               0, nbr_train_examples).copy(
                                               train_dataset['label'])
            full_train_dataset['label'].narrow(0,
                                               nbr_train_examples,
                                               nbr_val_examples).copy(
                                               validation_dataset['label'])
            validation_dataset = None
            train_dataset = full_train_dataset

        # Limit the number of samples if required by the user
        if nbr_examples is not None and nbr_examples != -1:
            train_dataset = prune_dataset(train_dataset, nbr_examples)

        return train_dataset, validation_dataset

    @staticmethod
    def get_test_dataset(nbr_examples=None):
        dataset.download_generate_bin()
        test_dataset = lg.load(dataset.test_dataset_bin)

        # Limit the number of samples if required by the user
        if nbr_examples is not None and nbr_examples != -1:
            test_dataset = prune_dataset(test_dataset, nbr_examples)
        return test_dataset

    @staticmethod
    def normalize_global(dataset, mean=None, std=None):
        """Normalise with the given mean and std, else the dataset's own; returns them."""
        std = std if std is not None else dataset['data'].std()
        mean = mean if mean is not None else dataset['data'].mean()
        dataset['data'].add(-mean)
        dataset['data'].div(std)
        return mean, std

    @staticmethod
    def normalize_local(dataset):
        norm_kernel = image.gaussian1D(7)
        norm = nn.SpatialContrastiveNormalization(3, norm_kernel)
        batch = 200  # Can be reduced if you experience memory issues
        dataset_size = dataset['data'].size(0)
        for i in range(0, dataset_size, batch):
            # the Lua's count from its 1-based i: min(n, i+batch) - i, one short of the batch's end
            local_batch = min(dataset_size, i + 1 + batch) - (i + 1)
            normalized_images = norm.forward(dataset['data'].narrow(0, i, local_batch))
            dataset['data'].narrow(0, i, local_batch).copy(normalized_images)


def prune_dataset(dataset, nbr_examples):
    # Limit the number of samples if required by the user
    assert nbr_examples is not None and nbr_examples > 1 and nbr_examples < dataset['data'].size(0), \
        'Invalid number of examples required, not within dataset range.'

    randperm = lg.randperm(dataset['data'].size(0))
    subset_data = lg.Tensor(nbr_examples, 3, 48, 48)
    subset_label = lg.Tensor(nbr_examples, 1)
    for i in range(nbr_examples):
        subset_data[i].copy(dataset['data'][randperm[i]])
        subset_label[i].copy(dataset['label'][randperm[i]])
    dataset['data'] = subset_data
    dataset['label'] = subset_label
    gc.collect()

    return dataset


def generate_dataset(parent_path, use_validation=None):
    """A dataset as tensors from a directory of images (and with use_validation a validation set too)."""
    assert parent_path, "A parent path is needed to generate the dataset"

    main_dataset = {}
    main_dataset['nbr_elements'] = 0

    # This will only be used if use_validation is true
    validation_dataset = {}
    validation_dataset['nbr_elements'] = 0

    images_directories = pldir.getdirectories(parent_path)
    images_directories.sort()

    for image_directory_id, image_directory in enumerate(images_directories):
        csv_file_name = 'GT-' + plpath.basename(image_directory) + '.csv'
        csv_file_path = plpath.join(image_directory, csv_file_name)

        csv_content = pldata.read(csv_file_path)

        filename_index = csv_content.fieldnames.index('Filename')
        class_id_index = csv_content.fieldnames.index('ClassId')

        if use_validation:
            # Count number of tracks for this class
            max_track_nbr = 0
            for image_index, image_metadata in enumerate(csv_content):
                track_nbr = tonumber(plutils.split(image_metadata[filename_index], '_')[0])
                if track_nbr > max_track_nbr:
                    max_track_nbr = track_nbr

            # Select one random track for validation (a track number, as in the file names)
            track_for_validation = math.floor(random.random() * max_track_nbr) + 1
        else:
            track_for_validation = -1

        for image_index, image_metadata in enumerate(csv_content):
            track_nbr = tonumber(plutils.split(image_metadata[filename_index], '_')[0])
            image_path = plpath.join(image_directory, image_metadata[filename_index])
            image_data = image.load(image_path)

            # We do no transformation but a rescaling so all the images have the same size
            image_data = image.scale(image_data, 48, 48)

            label = lg.Tensor([image_metadata[class_id_index]])

            if use_validation and track_nbr == track_for_validation:
                validation_dataset['nbr_elements'] = validation_dataset['nbr_elements'] + 1
                validation_dataset[validation_dataset['nbr_elements'] - 1] = [image_data, label]
            else:
                main_dataset['nbr_elements'] = main_dataset['nbr_elements'] + 1
                main_dataset[main_dataset['nbr_elements'] - 1] = [image_data, label]

            if (image_index + 1) % 50 == 0:
                gc.collect()

    # Store everything as proper torch Tensor now that we know the total size
    main_data = lg.Tensor(main_dataset['nbr_elements'], 3, 48, 48)
    main_label = lg.Tensor(main_dataset['nbr_elements'], 1)
    for i in range(main_dataset['nbr_elements']):                     # ipairs(main_dataset)
        main_data[i].copy(main_dataset[i][0])
        main_label[i].copy(main_dataset[i][1])
    main_dataset = {}
    main_dataset['data'] = main_data
    main_dataset['label'] = main_label

    if use_validation:
        # Store everything as proper torch Tensor now that we know the total size
        validation_data = lg.Tensor(validation_dataset['nbr_elements'], 3, 48, 48)
        validation_label = lg.Tensor(validation_dataset['nbr_elements'], 1)
        for i in range(validation_dataset['nbr_elements']):
            validation_data[i].copy(validation_dataset[i][0])
            validation_label[i].copy(validation_dataset[i][1])
        validation_dataset = {}
        validation_dataset['data'] = validation_data
        validation_dataset['label'] = validation_label

        return main_dataset, validation_dataset
    else:
        return main_dataset


# --- Optim.lua (fbcunn's nn.Optim, copied into the repository) -------------------------------------------

def deepcopy(x):
    """fblualib's deepcopy: tensors cloned, tables copied deeply, the rest shared."""
    if lg.isTensor(x):
        return x.clone()
    if isinstance(x, dict):
        return {deepcopy(k): deepcopy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [deepcopy(v) for v in x]
    return x


class Optim:
    typename = 'nn.Optim'                     # torch.class('nn.Optim')

    @staticmethod
    def weight_bias_parameters(module):
        """Weight parameters and bias parameters with their gradients, each pair a table marked is_bias (a
        dict of positions 0, 1 and the mark, as a Lua table with both); None where the module has none."""
        weight_params, bias_params = None, None
        if module.weight is not None:
            weight_params = {0: module.weight, 1: module.gradWeight}
            weight_params['is_bias'] = False
        if module.bias is not None:
            bias_params = {0: module.bias, 1: module.gradBias}
            bias_params['is_bias'] = True
        return [weight_params, bias_params]

    # The regular `optim` package relies on `getParameters`, which is a
    # beastly abomination before all. This `optim` package uses separate
    # optim state for each submodule of a `nn.Module`.
    def __init__(self, model, optState=None, checkpoint_data=None):
        assert model
        assert checkpoint_data or optState
        assert not (checkpoint_data and optState)

        self.model = model
        self.modulesToOptState = {}
        # Keep this around so we update it in setParameters
        self.originalOptState = optState

        # self.modulesToOptState maps each module to a table of optState clones, one per parameter tensor
        if not checkpoint_data:
            def visit(module):
                self.modulesToOptState[module] = {}
                params = self.weight_bias_parameters(module)
                # expects either an empty table or 2 element table, one for weights
                # and one for biases (tablex.size counts a Lua table's non-nil entries)
                assert tablex.size(lua_table(params)) == 0 or tablex.size(lua_table(params)) == 2
                for i, _ in ipairs(params):
                    self.modulesToOptState[module][i] = deepcopy(optState)
                    if params[i] is not None and params[i]['is_bias']:
                        # never regularize biases
                        self.modulesToOptState[module][i]['weightDecay'] = 0.0
                assert module
                assert self.modulesToOptState[module] is not None
            self.model.apply(visit)
        else:
            state = checkpoint_data['optim_state']
            modules = []
            self.model.apply(lambda m: modules.append(m))
            assert tablex.compare_no_order(modules, tablex.keys(state))
            self.modulesToOptState = state

    def save(self):
        return {
            'optim_state': self.modulesToOptState
        }

    def type(self, t):
        def visit(module):
            state = self.modulesToOptState[module]
            assert state is not None
            _type_all(state, t)
        self.model.apply(visit)

    def optimize(self, optimMethod, inputs, targets, criterion):
        assert optimMethod
        assert inputs is not None
        assert targets is not None
        assert criterion
        assert self.modulesToOptState is not None

        self.model.zeroGradParameters()
        output = self.model.forward(inputs)

        err = criterion.forward(output, targets)

        df_do = criterion.backward(output, targets)
        self.model.backward(inputs, df_do)

        # We'll set these in the loop that iterates over each module. Get them
        # out here to be captured.
        curGrad = None
        curParam = None

        def fEvalMod(x):
            return err, curGrad

        for curMod, opt in self.modulesToOptState.items():
            def step():
                nonlocal curParam, curGrad
                curModParams = self.weight_bias_parameters(curMod)
                # expects either an empty table or 2 element table, one for weights
                # and one for biases
                assert tablex.size(lua_table(curModParams)) == 0 or \
                    tablex.size(lua_table(curModParams)) == 2
                if curModParams:
                    for i, tensor in ipairs(curModParams):
                        if curModParams[i] is not None:
                            # expect param, gradParam pair
                            curParam, curGrad = curModParams[i][0], curModParams[i][1]
                            assert curParam is not None and curGrad is not None
                            optimMethod(fEvalMod, curParam, opt[i])
            on_device_for_module(curMod, step)

        return err, output

    def setParameters(self, newParams):
        assert newParams
        assert isinstance(newParams, dict)

        def splice(dest, src):
            for k, v in src.items():
                dest[k] = v

        splice(self.originalOptState, newParams)
        for _, optStates in self.modulesToOptState.items():
            for i, optState in optStates.items():
                assert isinstance(optState, dict)
                splice(optState, newParams)


def ipairs(t):
    """Lua's ipairs: (index, value) from the first position until a nil."""
    for i, v in enumerate(t):
        if v is None:
            return
        yield i, v


def lua_table(values):
    """A Lua table's entries: the positions holding nil are no entries (``{nil, b}`` has one)."""
    return {i: v for i, v in enumerate(values) if v is not None}


def _type_all(obj, t):
    for k, v in list(obj.items()):
        if isinstance(v, dict):
            _type_all(v, t)
        else:
            tn = lg.typename(v)
            if tn and re.search(r'(torch|legonn)\..+Tensor', tn):
                obj[k] = v.type(t)


def get_device_for_module(mod):
    dev_id = None
    for name, val in vars(mod).items():
        if lg.typename(val) == 'torch.CudaTensor':
            this_dev = val.getDevice()
            if this_dev != -1:                   # cutorch's 0 (not allocated) is legonn's -1
                # _make sure the tensors are allocated consistently
                assert dev_id is None or dev_id == this_dev
                dev_id = this_dev
    return dev_id  # _may still be None if none are allocated.


def on_device_for_module(mod, f):
    this_dev = get_device_for_module(mod)
    if this_dev is not None:
        return cutorch.withDevice(this_dev, f)
    return f()


# --- trainer.lua ------------------------------------------------------------------------------------------

class trainer:
    @staticmethod
    def initialize(network, criterion, options):
        """Called before any other function of the trainer: the network, the criterion and the options."""
        optim_state = {
            'learningRate': options['lr'],
            'momentum': options['mom'],
            'learningRateDecay': options['lrd'],
            'weightDecay': options['wd'],
        }

        trainer.tensor_type = lg.getdefaulttensortype()
        if not options['no_cuda']:
            trainer.tensor_type = 'torch.CudaTensor'
        trainer.batch_size = options['bs']
        trainer.network = network
        if criterion is not None:
            trainer.criterion = criterion
            trainer.optimizer = Optim(network, optim_state)

    @staticmethod
    def train(dataset):
        """One epoch of training on the dataset; returns the summed error."""
        if getattr(trainer, 'optimizer', None) is None:
            raise RuntimeError('Trainer not initialized properly. Use trainer.initialize first.')
        # do one epoch
        print('<trainer> on training set:')
        epoch_error = 0
        nbr_samples = dataset['data'].size(0)
        size_samples = dataset['data'].size()[dataset['data'].dim() - 1]
        time_ = tsys.clock()

        # generate random training batches
        indices = lg.randperm(nbr_samples).long().split(trainer.batch_size)
        del indices[-1]  # remove last partial batch (indices[#indices] = nil)

        # preallocate input and target tensors
        inputs = lg.zeros(trainer.batch_size, 3,
                          size_samples, size_samples,
                          trainer.tensor_type)
        targets = lg.zeros(trainer.batch_size, 1,
                           trainer.tensor_type)

        for t, ind in enumerate(indices):
            # get the minibatch
            inputs.copy(dataset['data'].index(0, ind))
            targets.copy(dataset['label'].index(0, ind))

            epoch_error = epoch_error + trainer.optimizer.optimize(optim.sgd,
                                                                   inputs,
                                                                   targets,
                                                                   trainer.criterion)[0]

            # disp progress
            xlua.progress(t * trainer.batch_size, nbr_samples)
        # finish progress
        xlua.progress(nbr_samples, nbr_samples)

        # time taken
        time_ = tsys.clock() - time_
        time_ = time_ / nbr_samples
        print("<trainer> time to learn 1 sample = " + str(time_ * 1000) + 'ms')
        print("<trainer> mean error (train set) = " + str(epoch_error / nbr_samples))

        return epoch_error

    @staticmethod
    def test(dataset):
        """A full test on the dataset: the summed error and the accuracy."""
        if getattr(trainer, 'network', None) is None:
            raise RuntimeError('Trainer not initialized properly. Use trainer.initialize first.')
        # test over given dataset
        print('')
        print('<trainer> on testing Set:')
        time_ = tsys.clock()
        nbr_samples = dataset['data'].size(0)
        size_samples = dataset['data'].size()[dataset['data'].dim() - 1]
        epoch_error = 0
        correct = 0
        all_ = 0

        # generate indices and split them into batches
        indices = lg.range(0, nbr_samples - 1).long()
        indices = indices.split(trainer.batch_size)

        # preallocate input and target tensors
        inputs = lg.zeros(trainer.batch_size, 3,
                          size_samples, size_samples,
                          trainer.tensor_type)
        targets = lg.zeros(trainer.batch_size, 1,
                           trainer.tensor_type)

        for t, ind in enumerate(indices):
            # last batch may not be full
            local_batch_size = ind.size(0)
            # resize prealocated tensors (should only happen on last batch)
            inputs.resize(local_batch_size, 3, size_samples, size_samples)
            targets.resize(local_batch_size, 1)

            inputs.copy(dataset['data'].index(0, ind))
            targets.copy(dataset['label'].index(0, ind))

            # test samples
            scores = trainer.network.forward(inputs)
            epoch_error = epoch_error + trainer.criterion.forward(scores,
                                                                  targets)

            _, preds = scores.max(1)
            correct = correct + preds.float().eq(targets.float()).sum()
            all_ = all_ + preds.size(0)

            # disp progress
            xlua.progress(t * trainer.batch_size, nbr_samples)
        # finish progress
        xlua.progress(nbr_samples, nbr_samples)

        # timing
        time_ = tsys.clock() - time_
        time_ = time_ / nbr_samples
        print("<trainer> time to test 1 sample = " + str(time_ * 1000) + 'ms')
        print("<trainer> mean error (test set) = " + str(epoch_error / nbr_samples))
        accuracy = correct / all_
        print('accuracy % : ', accuracy * 100)
        print('')

        return epoch_error, accuracy


# --- main.lua ---------------------------------------------------------------------------------------------

USAGE = """
GTSRB Training script
Main options
  -o,--output   (default "")              Output model
  --eval                                  Only run eval
  --val                                   Use a validation set instead of the test set
  --script                                Write accuracy on last line of output for benchmarks
  --no_cuda                               Do not use CUDA
  -n            (default 20000)           Use only N samples for training
  -e            (default 10)              Number of epochs

Network generation
  --cnn         (default "108,200,100")   Basic network factory parameters (see doc for more details)
  --net         (default "")              Path to user defined module for networks
  --ms                                    Use multi-scale network

Normalization
  --no_norm                               Do not globally normalize the training and test samples
  --no_lnorm                              Do not locally normalize the training and test samples
  --no_cnorm                              Do not use contrastive normalization in conv

Learning hyperparameters
  -s,--seed     (default 1)               Random seed value (-1 to disable)
  -b,--bs       (default 50)              Mini batch size
  --lr          (default 0.01)            Initial learning rate
  --lrd         (default 0)               Learning rate decay
  --wd          (default 0)               Weight decay
  --mom         (default 0)               Momentum

Spatial transformer options
  --st                                    Add a spatial transformer module
  --locnet      (default "30,60,30")      Localization network parameters
  --locnet2     (default "")              Localization network parameters for second st
  --locnet3     (default "")              Localization network parameters for third st (idsia net only)
  --rot                                   Force the st to use rotation
  --sca                                   Force the st to use scale
  --tra                                   Force the st to use translation
"""


def main(argv):
    """main.lua; ``argv`` stands for the command line (Lua's global arg). Returns the network, for the test."""
    lg.setdefaulttensortype('torch.FloatTensor')

    opt = lapp(USAGE, argv)

    if opt['seed'] > 0:
        lg.manualSeed(opt['seed'])
        random.seed(opt['seed'])
    # if not opt.no_cuda then require 'cunn' end: nothing to load

    print("Loading training data...")
    if opt['val']:
        # In this case our variable 'test_dataset' contains the validation set
        train_dataset, test_dataset = dataset.get_train_dataset(opt['n'], True)
    else:
        train_dataset = dataset.get_train_dataset(opt['n'])[0]
        test_dataset = dataset.get_test_dataset()

    mean, std = None, None
    if not opt['no_norm']:
        print('Performing global normalization...')
        mean, std = dataset.normalize_global(train_dataset)
        dataset.normalize_global(test_dataset, mean, std)
    if not opt['no_lnorm']:
        print('Performing local normalization...')
        dataset.normalize_local(train_dataset)
        dataset.normalize_local(test_dataset)

    if opt['eval']:
        if opt['output']:
            print('Loading network from ' + opt['output'])
            network = lg.load(opt['output'])
            # the samplers' type override is code, which lg.save does not store (docs/porting.md): set it again
            if opt['st'] and not opt['no_cuda']:
                for sampler in network.findModules('nn.BilinearSamplerBHWD')[0]:
                    sampler.type = keep_on_cpu
        else:
            raise RuntimeError('Must supply the network to use in eval mode')
    else:
        print('Building the network...')
        network = networks.new(opt)
    criterion = nn.CrossEntropyCriterion()
    if not opt['no_cuda']:
        network = network.cuda()
        criterion = criterion.cuda()
    print(network)

    print("Initializing the trainer...")
    trainer.initialize(network, criterion, opt)

    if opt['eval']:
        _, accuracy = trainer.test(test_dataset)
    else:
        epoch = 1
        while opt['e'] == -1 or opt['e'] >= epoch:
            print('Starting epoch ' + str(epoch))

            trainer.train(train_dataset)

            _, accuracy = trainer.test(test_dataset)

            if opt['output'] != '':
                save_without_code(opt['output'], network)
                lg.save(opt['output'] + "norm", [mean, std])
            epoch = epoch + 1

    if opt['script']:
        print(accuracy)
    return network


def save_without_code(path, network):
    """torch.save(opt.output, network): Torch7 writes the samplers' ``type`` function into the file; lg.save
    stores no code (docs/porting.md), so the override is left out of the file and put back."""
    kept = [m for m in network.listModules() if 'type' in vars(m)]
    for m in kept:
        del m.type
    try:
        lg.save(path, network)
    finally:
        for m in kept:
            m.type = keep_on_cpu


# --- a stand-in for GTSRB ---------------------------------------------------------------------------------

N_CLASSES = 3


def draw_sign(rng, class_id):
    """A sign of class c: a coloured disc on grey with a dark bar on its left (c = 0, 1) or right (c = 2), of a
    random size between 28 and 40 pixels, as 3 x H x W in [0, 1]."""
    h, w = rng.randint(28, 41, 2)
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.full((3, h, w), 0.5) + rng.uniform(-0.05, 0.05, (3, h, w))
    disc = (yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (min(h, w) / 2.5) ** 2
    colour = [(0.9, 0.1, 0.1), (0.1, 0.2, 0.9), (0.9, 0.1, 0.1)][class_id]
    for ch in range(3):
        img[ch][disc] = colour[ch]
    bar = (xx < w // 3) if class_id < 2 else (xx > 2 * w // 3)
    img[:, bar & disc] = 0.05
    return np.clip(img, 0, 1)


def make_gtsrb(root, n_tracks=2, per_track=4, n_test=12, seed=0):
    """GTSRB's layout: per class a folder 000cc of TTTTT_IIIII.ppm images and GT-000cc.csv; the test folder
    final_test with GT-final_test.csv (the annotation columns of the real files, ';'-separated)."""
    rng = np.random.RandomState(seed)
    header = 'Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n'

    def write(folder, csv_name, items):
        os.makedirs(folder)
        lines = [header]
        for name, c in items:
            img = draw_sign(rng, c)
            image.save(os.path.join(folder, name), lg.FloatTensor(img))
            lines.append(f'{name};{img.shape[2]};{img.shape[1]};5;5;{img.shape[2] - 5};{img.shape[1] - 5};{c}\n')
        with open(os.path.join(folder, csv_name), 'w') as f:
            f.write(''.join(lines))
    for c in range(N_CLASSES):
        write(os.path.join(root, 'GTSRB/Final_Training/Images', f'{c:05d}'), f'GT-{c:05d}.csv',
              [(f'{t:05d}_{i:05d}.ppm', c) for t in range(n_tracks) for i in range(per_track)])
    write(os.path.join(root, 'GTSRB/Final_Test/Images/final_test'), 'GT-final_test.csv',
          [(f'{i:05d}.ppm', i % N_CLASSES) for i in range(n_test)])


# --- tests ------------------------------------------------------------------------------------------------

def test_generate_dataset_reads_the_gtsrb_layout(tmp_path, monkeypatch):
    """generate_dataset over the stand-in tree: pl.data reads each class's annotations, every image is loaded
    and scaled to 48 x 48, labels are the ClassId column; with validation, one track per class (numbered
    1 .. max_track_nbr: with tracks 0 and 1 always track 1) goes to the validation set. download_generate_bin
    writes the three binaries and removes the tree; get_train_dataset merges train and validation."""
    monkeypatch.chdir(tmp_path)
    make_gtsrb(str(tmp_path))
    random.seed(3)
    train, val = generate_dataset('GTSRB/Final_Training/Images', True)
    assert train['data'].size() == (12, 3, 48, 48) and val['data'].size() == (12, 3, 48, 48)
    assert sorted(train['label'].view(-1).tolist()) == sorted(val['label'].view(-1).tolist()) == \
        [0] * 4 + [1] * 4 + [2] * 4
    # the first validation image is class 0's track 1, image 0, scaled as image.scale does
    src = image.load('GTSRB/Final_Training/Images/00000/00001_00000.ppm')
    np.testing.assert_allclose(val['data'][0].numpy(), image.scale(src, 48, 48).numpy(), atol=1e-6)

    dataset.download_generate_bin()
    assert not os.path.exists('GTSRB') and os.path.exists('test_dataset.bin')
    full, none = dataset.get_train_dataset()
    assert none is None and full['data'].size() == (24, 3, 48, 48) and full['label'].size() == (24, 1)
    test = dataset.get_test_dataset()
    assert test['label'].view(-1).tolist() == [i % 3 for i in range(12)]
    pruned = dataset.get_test_dataset(5)
    assert pruned['data'].size() == (5, 3, 48, 48)
    with pytest.raises(AssertionError, match='Invalid number of examples'):
        dataset.get_test_dataset(12)


def test_normalisations():
    """normalize_global subtracts the data's mean and divides by its std (and hands them back for the test
    set); normalize_local runs SpatialContrastiveNormalization(3, gaussian1D(7)) over batches, and its count
    min(n, i+batch) - i from the Lua's 1-based i leaves the last sample as it was."""
    data = {'data': lg.rand(5, 3, 12, 12) * 4 + 1}
    raw = data['data'].clone()
    mean, std = dataset.normalize_global(data)
    assert mean == pytest.approx(float(raw.mean())) and std == pytest.approx(float(raw.std()))
    np.testing.assert_allclose(data['data'].numpy(), (raw.numpy() - mean) / std, rtol=1e-5, atol=1e-5)
    before = data['data'].clone()
    dataset.normalize_local(data)
    expected = nn.SpatialContrastiveNormalization(3, image.gaussian1D(7)).forward(before.narrow(0, 0, 4))
    np.testing.assert_allclose(data['data'].narrow(0, 0, 4).numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    assert data['data'][4].equal(before[4])


def conv_out(size, k, pad=2):
    """A 'same'-padded convolution (stride 1) then a 2 x 2 pooling: the spatial size after new_conv."""
    return (size + 2 * pad - k + 1) // 2


def test_networks_new_and_idsia_sizes():
    """networks.new with cnn 8,12,16: 48 -> 24 -> 12, so the fc sees 12 * 12 * 12 values; with ms the second
    conv's output joins the first's pooled again (8 + 12 planes); idsia_net's 7, 4, 4 filters give 48 -> 23 ->
    12 -> 6; the contrastive normalisation is there unless no_cnorm and has no parameters (as in nn)."""
    net = networks.new({'cnn': '8,12,16'})
    assert net.forward(lg.randn(2, 3, 48, 48)).size() == (2, 43)
    assert net.get(2).get(1).weight.size() == (16, 12 * 12 * 12)
    assert lg.typename(net.get(0).get(3)) == 'nn.SpatialContrastiveNormalization'
    assert net.get(0).get(3).parameters() in (None, ([], []))
    ms = networks.new({'cnn': '8,12,16', 'ms': True, 'no_cnorm': True})
    assert ms.get(2).get(1).weight.size() == (16, (8 + 12) * 12 * 12) and len(ms.get(0).modules) == 3
    s = conv_out(conv_out(conv_out(48, 7), 4), 4)
    assert s == 6
    idsia = networks.new({'net': 'idsia_net.lua', 'cnn': '4,6,8,10'})
    assert idsia.get(3).get(1).weight.size() == (10, 8 * s * s)
    assert idsia.forward(lg.randn(2, 3, 48, 48)).size() == (2, 43)
    with pytest.raises(AssertionError, match='should contain 3 comma'):
        networks.new({'cnn': '8,12'})


@pytest.mark.parametrize('rot, sca, tra', [(False, False, False), (True, True, True), (False, True, False)])
def test_spatial_transformer_starts_as_identity(rot, sca, tra):
    """The localisation classifier starts with zero weights and the identity as bias (1,0,0,0,1,0, or 0 angle,
    scale 1, no translation), so the untrained transformer hands its input on unchanged (bilinear sampling on
    the identity grid), on 48 x 48 and on a smaller map (locnet2's current_size)."""
    st = networks.new_spatial_tranformer('4,6,8', rot, sca, tra, None, None, True)
    cls = st.get(0).get(1).get(0).get(4).get(1)
    assert cls.weight.abs().max() == 0
    assert cls.bias.tolist() == ([1, 0, 0, 0, 1, 0] if not (rot or sca or tra) else
                                 [0] * rot + [1] * sca + [0, 0] * tra)
    x = lg.randn(2, 3, 48, 48)
    np.testing.assert_allclose(st.forward(x).numpy(), x.numpy(), atol=1e-5)
    small = networks.new_spatial_tranformer('4,6,8', rot, sca, tra, 24, 8, True)
    y = lg.randn(2, 8, 24, 24)
    np.testing.assert_allclose(small.forward(y).numpy(), y.numpy(), atol=1e-5)


def test_spatial_transformer_gradients():
    """The whole transformer (localisation net, matrix generator, grid, bilinear sampler, transposes) against
    finite differences in float64, for the input and the parameters of the classifier (rotation, scale,
    translation, moved off the identity) and of the first convolution."""
    lg.manualSeed(4)
    st = networks.new_spatial_tranformer('2,2,3', True, True, True, 8, 1, True).double()
    cls = st.get(0).get(1).get(0).get(4).get(1)
    cls.weight.uniform(-0.1, 0.1)
    cls.bias.copy(lg.Tensor([0.2, 0.9, 0.1, -0.1]))
    # a batch of two: View(n) reads one sample as no batch, and the sampler refuses a 3-D grid, as stnbhwd's check
    x = lg.DoubleTensor(2, 1, 8, 8).uniform(-1, 1)
    assert nn.Jacobian.testJacobian(st, x, -1, 1, 1e-6) < 1e-4
    conv1 = st.get(0).get(1).get(0).get(1).get(0)
    # the transform's parameters, and the first layer's bias
    for p, g in ((cls.weight, cls.gradWeight), (cls.bias, cls.gradBias), (conv1.bias, conv1.gradBias)):
        assert nn.Jacobian.testJacobianParameters(st, x, p, g, -1, 1, 1e-6) < 1e-4


def test_optim_per_module_states_match_fbnn():
    """Optim.lua as the repository copies it: one optim state per parameter tensor, biases never decayed, each
    tensor stepped by optim.sgd with the loss's gradient; three steps give legonn.fbnn.Optim's parameters, and
    the module without parameters gets an empty state."""
    from legonn import fbnn
    lg.manualSeed(5)
    net = nn.Sequential().add(nn.Linear(4, 5)).add(nn.ReLU()).add(nn.Linear(5, 3))
    twin = net.clone()
    state = {'learningRate': 0.1, 'momentum': 0.5, 'learningRateDecay': 0.01, 'weightDecay': 0.1}
    mine, theirs = Optim(net, state), fbnn.Optim(twin, state)
    assert mine.modulesToOptState[net.get(1)] == {}
    assert mine.modulesToOptState[net.get(0)][1]['weightDecay'] == 0.0
    assert mine.modulesToOptState[net.get(0)][0]['weightDecay'] == 0.1
    x, t = lg.randn(6, 4), lg.LongTensor([0, 1, 2, 0, 1, 2])
    crit = nn.CrossEntropyCriterion()
    for _ in range(3):
        err, out = mine.optimize(optim.sgd, x, t, crit)
        theirs.optimize(optim.sgd, x, t, crit)
    for a, b in zip(net.parameters()[0], twin.parameters()[0]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    assert mine.modulesToOptState[net.get(0)][0]['evalCounter'] == 3
    mine.setParameters({'learningRate': 0.5})
    assert mine.modulesToOptState[net.get(2)][1]['learningRate'] == 0.5 and state['learningRate'] == 0.5
    saved = mine.save()
    again = Optim(net, None, saved)
    assert again.modulesToOptState is saved['optim_state']
    mine.type('torch.DoubleTensor')
    assert mine.modulesToOptState[net.get(0)][0]['dfdx'].type() == 'torch.DoubleTensor'


def main_args(*extra):
    return ['-n', '20', '-e', '3', '--no_cuda', '--cnn', '6,8,12', '-b', '5', '--lr', '0.1', '--mom', '0.9',
            '--script'] + list(extra)


def test_main_trains_saves_and_evaluates(tmp_path, monkeypatch, capsys):
    """main.lua on CPU: 20 of the 24 training images (prune_dataset), batches of 5 of which the last is always
    dropped, three epochs; the training error falls, the test accuracy is printed last (--script); the model
    and the normalisation are saved, and --eval of the saved model gives the same accuracy."""
    monkeypatch.chdir(tmp_path)
    make_gtsrb(str(tmp_path))
    main(main_args('-o', 'model.t7'))
    out = capsys.readouterr().out
    errors = [float(v) for v in re.findall(r'mean error \(train set\) = ([0-9.e-]+)', out)]
    assert len(errors) == 3 and errors[-1] < 0.6 * errors[0]
    accuracy = float(out.strip().splitlines()[-1])
    assert accuracy >= 0.5
    mean, std = lg.load('model.t7norm')
    assert isinstance(mean, float) and std > 0
    main(main_args('-o', 'model.t7', '--eval'))
    assert float(capsys.readouterr().out.strip().splitlines()[-1]) == accuracy


def test_main_with_a_spatial_transformer_and_validation(tmp_path, monkeypatch, capsys):
    """--st --locnet 4,6,8 --val on CPU: the transformer first in the network, trained with the rest (its
    classifier leaves the identity), tested on the validation tracks."""
    monkeypatch.chdir(tmp_path)
    make_gtsrb(str(tmp_path))
    net = main(main_args('--st', '--locnet', '4,6,8', '--val', '-n', '10', '-e', '2'))
    out = capsys.readouterr().out
    assert lg.typename(net.get(0).get(1)) == 'nn.BilinearSamplerBHWD'
    assert not net.get(0).get(0).get(1).get(0).get(4).get(1).bias.equal(lg.Tensor([1, 0, 0, 0, 1, 0]))
    assert 0 <= float(out.strip().splitlines()[-1]) <= 1


@pytest.mark.gpu
def test_main_on_cuda_keeps_the_sampler_on_the_cpu(tmp_path, monkeypatch, capsys):
    """Without --no_cuda: the network and the criterion on the GPU, the batches built as CudaTensors
    (torch.zeros(..., 'torch.CudaTensor')), the transformer's sampler kept a FloatTensor module by its type
    override between the Copy bridges; Optim runs its steps on each module's device. The saved network
    (without the override, which lg.save cannot store) reloads for --eval, which puts the override back."""
    monkeypatch.chdir(tmp_path)
    make_gtsrb(str(tmp_path))
    args = ['-n', '10', '-e', '1', '--cnn', '4,6,8', '-b', '5', '--st', '--locnet', '4,6,8', '-o', 'st.t7',
            '--script']
    net = main(args)
    out = capsys.readouterr().out
    sampler = net.get(0).get(1)
    assert lg.typename(sampler) == 'nn.BilinearSamplerBHWD' and sampler.output.type() == 'torch.FloatTensor'
    assert net.get(1).get(0).weight.type() == 'torch.CudaTensor' and net.output.type() == 'torch.CudaTensor'
    accuracy = float(out.strip().splitlines()[-1])
    main(args + ['--eval'])
    assert float(capsys.readouterr().out.strip().splitlines()[-1]) == pytest.approx(accuracy)


@pytest.mark.gpu
def test_use_cudnn_network_file(monkeypatch):
    """use_cudnn.lua as ``-net``: it swaps cudnn's convolution, pooling and ReLU into networks.modules and patches
    convs_noutput to run on CUDA (a 3-D input), then builds the -cnn network of cudnn modules."""
    monkeypatch.setattr(networks, 'modules', dict(networks.modules))
    monkeypatch.setattr(networks, 'convs_noutput', networks.convs_noutput)
    net = networks.new({'net': 'use_cudnn.lua', 'cnn': '4,6,8'})
    assert lg.typename(net.get(0).get(0)) == 'cudnn.SpatialConvolution'
    assert lg.typename(net.get(1).get(2)) == 'cudnn.SpatialMaxPooling'
    net.cuda()
    assert net.forward(lg.randn(2, 3, 48, 48).cuda()).size() == (2, 43)
