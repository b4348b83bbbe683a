"""luanfujun/deep-photo-styletransfer (code for "Deep Photo Style Transfer", Luan, Paris, Shechtman and Bala, CVPR
2017; the repository has no licence file, its README says "published for academic and non-commercial use only")
ported onto legonn; the test file is tests/porting/test_deepphoto.py.

neuralstyle_seg.lua -> neuralstyle_seg.py, deepmatting_seg.lua -> deepmatting_seg.py (line by line);
cuda_utils.cu (the repository's CUDA library, ``require 'libcuda_utils'``) -> cuda_utils.py, its kernels' maths on
NumPy/CuPy arrays; gen_laplacian/gen_laplacian.m and matting/getLaplacian1.m (Matlab) -> gen_laplacian.py in
NumPy; matio-ffi.torch (``require 'matio'``) is legonn.matio. Not ported: gen_all.py (a shell driver running both
scripts over 60 images on 8 GPUs), Matlab's imresize (reshape_img.m), refine_posterization.m and the guided
filter (post-processing the paper mentions, which neither Lua script calls), and the gaimc graph library (only its
sparse_to_csr ordering is used).
"""
