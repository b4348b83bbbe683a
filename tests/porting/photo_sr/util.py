"""util.lua: dcgan.torch's util.lua, the same lines (but for whitespace) as chuanli11/MGANs' code/lib/util.lua, whose
port is imported: ``save`` a network for the CPU (cudnn convolutions and fbnn batch normalisations replaced by nn's,
the buffers emptied, the gradients dropped), ``load`` it back with zeroed gradients, ``cudnn`` (nn convolutions to
cudnn's) and ``optimizeInferenceMemory`` (shared output buffers). The Lua returns the table ``util``; here it is this
module."""
from tests.porting.mgans.lib.util import cudnn, load, optimizeInferenceMemory, save  # noqa: F401
