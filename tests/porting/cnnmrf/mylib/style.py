"""mylib/style.lua of chuanli11/CNNMRF: ``GramMatrix()`` (View, ConcatTable of two Identities, MM(false, true))
and nn.StyleLoss (``strength`` times the MSE between the input's Gram matrix divided by its element count and
``target``), line for line the Lua of neural-style's early neural_style.lua that manuelruder/artistic-videos
copies too, whose port is imported. No script of the repository uses them."""
from tests.porting.test_artistic_videos import GramMatrix, StyleLoss

__all__ = ['GramMatrix', 'StyleLoss']
