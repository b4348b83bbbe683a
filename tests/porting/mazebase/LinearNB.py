"""LinearNB.lua: the same file as facebookarchive/MemNN's MemN2N-lang-model/LinearNB.lua (a Linear without
bias, y = W x), ported there; imported rather than translated twice."""
from tests.porting.test_memn2n_lang_model import LinearNB

__all__ = ['LinearNB']
