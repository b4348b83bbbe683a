"""decomp-attn's data.lua: the ``data`` class over preprocess.py's hdf5 file. Its lines are harvardnlp/struct-attn's
data-entail.lua's, whose port (tests/porting/struct_attn/data_entail.py) is used: it reads the training script's
global ``opt`` as that module's ``opt``, which train.main and predict.main set."""
from tests.porting.struct_attn import data_entail
from tests.porting.struct_attn.data_entail import data  # noqa: F401
