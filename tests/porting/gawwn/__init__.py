"""reedscot/nips2016 (Scott Reed, MIT licence; "Learning What and Where to Draw", GAWWN) ported line by line onto
legonn: CropInvert.lua -> CropInvert.py, util.lua -> util.py, data/data.lua -> data/data.py,
data/donkey_folder_cub_keypoint_and_image.lua -> data/donkey_folder_cub_keypoint_and_image.py,
main_cub_keypoints.lua -> main_cub_keypoints.py. It builds on reedscot/icml2016 (tests/porting/icml2016/: data.lua
is that file's with other donkeys) and conditions on reedscot/cvpr2016's char-CNN-RNN text features
(tests/porting/cvpr2016/); tests/porting/test_gawwn.py runs them.

Not ported (time): main_cub_bbox.lua (the bounding-box GAWWN over stn's AffineGridGeneratorBHWD and
BilinearSamplerBHWD, which legonn has, and CropInvert, ported here), main_mhp.lua and main_gen_keypoints.lua (the
MHP and keypoint-generator variants of main_cub_keypoints.lua), the other four donkeys, the demo_*.lua sampling
scripts and the scripts/ shell files."""
