"""reedscot/icml2016 (Scott Reed, MIT licence; "Generative Adversarial Text to Image Synthesis") ported line by line
onto legonn: main_cls_int.lua -> main_cls_int.py, txt2img_demo.lua -> txt2img_demo.py, data/data.lua -> data/data.py,
data/donkey_folder_txt.lua -> data/donkey_folder_txt.py. Its modules/FixedGRU.lua and modules/HybridCNNLong.lua are
reedscot/cvpr2016's files, byte for byte: their ports are tests/porting/cvpr2016/modules/. The text features it
conditions on come from cvpr2016's char-CNN-RNN (tests/porting/cvpr2016/); tests/porting/test_icml2016.py runs them.

Not ported: main_cls.lua and main_txt_coco.lua (main_cls_int.lua's variants for COCO: the same nets with
``numCaption = 1`` and an optional deeper generator), data/donkey_folder_coco.lua and donkey_folder_txt_coco.lua
(COCO's loaders), the scripts/ shell files."""
