"""loaders/dataloader.lua: ``DataLoader(name)``, the dataset of a named JSON file under ./data/annotations with
its image directory from config.py."""
import legonn as lg

from .. import config
from .loader import dataLoader as loader

datasets = {}

path_config = config.config

dataset_path = './data/annotations'

# Add COCO datasets
for name in ['train', 'val', 'test']:
    file = dataset_path + '/instances_' + name + '2014.json'
    datasets['coco_' + name + '2014'] = file
    datasets[name] = file
for name in ['test2014', 'test2015-dev', 'test2015-full']:
    file = dataset_path + '/instances_' + name + '.json'
    datasets['coco_' + name] = file
    datasets[name] = file

# Add Pascal datasets
for name in ['train2007', 'train2012', 'val2007', 'val2012', 'test2007']:
    file = dataset_path + '/pascal_' + name + '.json'
    datasets['pascal_' + name] = file

# Add ImageNet detection datasets
for name in ['train2014', 'val2013']:
    file = dataset_path + '/imagenet_' + name + '.json'
    datasets['imagenet_' + name] = file


# e.g. coco.DataLoader('train') or coco.DataLoader('pascal_train2007')
def DataLoader(dset):
    if lg.typename(dset) == 'loaders.dataLoader':
        return dset
    file = datasets.get(dset)

    if not file:
        raise ValueError('invalid dataset: ' + lg.tostring(dset))
    assert path_config.get(dset), 'image dir not set in config.lua'

    return loader().load(file, path_config[dset])
