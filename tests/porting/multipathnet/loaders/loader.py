"""loaders/loader.lua: a dataset of a COCO-format JSON file (through the COCO API: coco.py's stand-in here).
Image and annotation indices are 0-based."""
import legonn as lg
from legonn import image, paths

from .. import coco


def createAnnotationList(m):
    annotation_table = []
    annotations = []
    map = []

    # Find annotations for each image
    for i in range(m.images.id.numel()):
        map.append([])
    for i in range(m.annotations.image_id.size(0)):
        imageIdx = int(m.annotations.image_idx[i])
        map[imageIdx].append(i)

    for i, anns in enumerate(map):
        annotation_table.append([len(annotations), len(anns)])
        for v in anns:
            annotations.append(v)

    return {
        'table': lg.IntTensor(annotation_table),
        'annotations': lg.IntTensor(annotations),
    }


class dataLoader:

    def load(self, path, image_dir):
        cocoApi = coco.CocoApi(path)
        for k, v in vars(cocoApi).items():
            setattr(self, k, v)
        self.images = self.data.images
        self.categories = []
        for i, v in enumerate(cocoApi.getCatIds().totable()):
            self.categories.append(cocoApi.loadCats(v)[0]['name'])
        self.image_dir = image_dir
        self.annotationList = createAnnotationList(self.data)
        return self

    # Gets image properties as a table:
    #  width, height, file_name, annotations
    def getImage(self, idx):
        return {
            'width': self.images.width[idx],
            'height': self.images.height[idx],
            'id': self.images.id[idx],
            'file_name': self.images.file_name[idx],
            'annotations': self.getImageAnnotations(idx),
            'image_dir': self.images['image_dir'][idx] if 'image_dir' in self.images else None,
            'idx': idx,
        }

    # Gets the image data as a ByteTensor
    def loadImage(self, idx):
        metadata = self.getImage(idx)
        dir = self.image_dir or self.image_dir[metadata['image_dir']]
        path = paths.concat(dir, metadata['file_name'])
        return image.load(path, 3, 'double')

    # Gets annotations:
    #  bbox, polygons/rle, category, area, image
    def getAnnotation(self, idx):
        a = self.data.annotations
        assert idx < a.id.numel(), 'no annotation for ' + lg.tostring(idx)
        iscrowd = a.iscrowd[idx] == 1

        annotation = {
            'bbox': a.bbox[idx],
            'image': a.image_idx[idx],
            'area': a.area[idx],
            'category': a.category_idx[idx],
            'iscrowd': iscrowd,
            'idx': idx,
            'difficult': a['ignore'][idx] if 'ignore' in a else 0,
        }

        return annotation

    # Category names
    def categoryNames(self):
        names = []
        for cat in self.categories:
            names.append(cat.name)
        return names

    # Total number of categories (i.e. 80)
    def nCategories(self):
        return len(self.categories)

    # Total number of categories (i.e. 80)
    def nAnnotations(self):
        return self.annotations.image.size(0)

    # Total number of categories (i.e. 80)
    def nImages(self):
        return self.images.id.size(0)

    # Indices of all labeled annotations for a given image
    def getImageAnnotations(self, idx):
        offset, len_ = self.annotationList['table'][idx].totable()
        if len_ == 0:
            return []
        return self.annotationList['annotations'].narrow(0, offset, len_).totable()

    # All annotations for a given image
    def getAnnotationsForImage(self, idx):
        tbl = []
        for annIdx in self.getImageAnnotations(idx):
            tbl.append(self.getAnnotation(annIdx))
        return tbl


lg.register(dataLoader, 'loaders.dataLoader')
