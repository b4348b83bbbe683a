"""SETTINGS.lua: the default tensor type, the thread count, the data folder and the class names."""
import legonn as lg

lg.setdefaulttensortype('torch.FloatTensor')
lg.setnumthreads(4)

DATA_DIR = "./data"

CLASSES = {}
LABEL2ID = {
    'frog': 0,
    'truck': 1,
    'deer': 2,
    'automobile': 3,
    'bird': 4,
    'horse': 5,
    'ship': 6,
    'cat': 7,
    'dog': 8,
    'airplane': 9,
}
ID2LABEL = {}
for k, v in LABEL2ID.items():
    ID2LABEL[v] = k
    CLASSES[v] = k
