"""decomp-attn's utils.lua: adagrad_step (its accumulator starts at 0.1, "to be consistent with tensorflow"),
adam_step and adadelta_step, the lines of harvardnlp/struct-attn's model_utils.lua, whose port is used."""
from tests.porting.struct_attn.model_utils import adadelta_step, adagrad_step, adam_step  # noqa: F401
