"""config.lua: the image directory of each dataset (the authors' paths; a run sets its own, as the Lua's
users edit this file)."""
from legonn import paths

VOCdevkit = '/home/zagoruys/raid/datasets/VOCdevkit'
coco_dir = '/home/zagoruys/raid/datasets/mscoco'

config = {
    'pascal_train2007': paths.concat(VOCdevkit, 'VOC2007/JPEGImages'),
    'pascal_val2007': paths.concat(VOCdevkit, 'VOC2007/JPEGImages'),
    'pascal_test2007': paths.concat(VOCdevkit, 'VOC2007/JPEGImages'),
    'pascal_train2012': paths.concat(VOCdevkit, 'VOC2012/JPEGImages'),
    'pascal_val2012': paths.concat(VOCdevkit, 'VOC2012/JPEGImages'),
    'pascal_test2012': paths.concat(VOCdevkit, 'VOC2012/JPEGImages'),
    'coco_train2014': paths.concat(coco_dir, 'train2014'),
    'coco_val2014': paths.concat(coco_dir, 'val2014'),
}
