"""reedscot/nips2016 (Scott Reed, MIT licence; "Learning What and Where to Draw", GAWWN) ported line by line onto
legonn: CropInvert.lua -> CropInvert.py, util.lua -> util.py, data/data.lua -> data/data.py,
data/donkey_folder_cub_keypoint_and_image.lua, donkey_folder_cub_keypoint.lua and donkey_folder_cub_bbox_and_image.lua
-> data/ (same names), main_cub_keypoints.lua, main_gen_keypoints.lua and main_cub_bbox.lua -> the same names .py.
It builds on reedscot/icml2016 (tests/porting/icml2016/: data.lua is that file's with other donkeys) and conditions on
reedscot/cvpr2016's char-CNN-RNN text features (tests/porting/cvpr2016/); tests/porting/test_gawwn.py runs them.

main_cub_bbox.lua requires cudnn at its top, so it runs on a GPU only, as its test does (on CuPy's simulator where
there is no GPU); stn's AffineGridGeneratorBHWD and BilinearSamplerBHWD are legonn's own nn classes.

The MHP (MPII human pose) half: main_mhp.lua, data/donkey_folder_mhp_keypoint_and_image.lua and
donkey_folder_mhp_keypoint.lua, demo_mhp_keypoints_given.lua and demo_mhp_keypoints_gen.lua -> the same names .py,
run by tests/porting/test_gawwn_mhp.py (main_gen_keypoints.lua on the MHP keypoints too, as
scripts/train_mhp_gen_keypoints.sh runs it). main_mhp.lua requires cudnn and the demos cunn and cudnn, so they run on
a GPU only (CuPy's simulator where there is none).

Not ported: the demo_cub_*.lua sampling scripts (they dofile data/donkey_folder_cub_keypoint.lua, whose file list
is read from the default ``opt.data_root`` before the environment's overrides apply, and load the released models)
and the scripts/ shell files (their settings are the tests' options)."""
