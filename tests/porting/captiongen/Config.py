"""captionGeneration.torch's Config.lua: the paths and sizes Data.lua and Main.lua share. ``require 'Config'``
returns one table that both change; ``make_config()`` builds it (a fresh one per call)."""


def Key(num):
    return '%06d' % num


def make_config():
    config = {'model': 'inception_v2'}  # default

    if config['model'] == 'inception_v2':
        config['PreTrainedCNN'] = '../GoogLeNet.torch/GoogLeNet_v2.t7'  # '../inception-v3.torch/inception_v3.net',--
        config['Normalization'] = ['simple', 118.380948, 61.896913]  # Default normalization -global mean, std
        config['FeatLayerCNN'] = 27
        config['NumFeatsCNN'] = 1024
    elif config['model'] == 'inception_v3':
        config['PreTrainedCNN'] = '../inception-v3.torch/inception_v3.net'
        config['Normalization'] = ['simple', 128, 128]  # Inception-v3 case
        config['FeatLayerCNN'] = 28
        config['NumFeatsCNN'] = 2048

    config['VOCAB_FILE'] = '/home/ehoffer/Datasets/COCO/LMDB/Vocab.t7'
    config['TRAINING_IMAGE_PATH'] = '/home/ehoffer/Datasets/COCO/train2014/'  # Training images location
    config['TRAINING_CAPTIONS_FILE'] = '/home/ehoffer/Datasets/COCO/annotations/captions_train2014.json'
    config['VALIDATION_IMAGE_PATH'] = '/home/ehoffer/Datasets/COCO/val2014/'  # Validation images location
    config['VALIDATION_CAPTIONS_FILE'] = '/home/ehoffer/Datasets/COCO/annotations/captions_val2014.json'
    config['VALIDATION_DATA'] = '/home/ehoffer/Datasets/COCO/LMDB/validation/'  # Validation LMDB location
    config['TRAINING_DATA'] = '/home/ehoffer/Datasets/COCO/LMDB/train/'  # Training LMDB location
    config['InputSize'] = [3, 224, 224]
    config['ImageMinSide'] = 256  # Minimum side length of saved images
    config['Compressed'] = True
    config['Key'] = Key
    return config
