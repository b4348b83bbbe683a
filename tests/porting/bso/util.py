"""BSO's util.lua: nn.LinearNoBias "from elements library", the lines tests/porting/im2markup.py ports from
im2markup's model_utils.lua (registered there as im2markup.LinearNoBias, since legonn's nn has rnn's
LinearNoBias, a name luaT would not give a second class)."""
from tests.porting.im2markup import LinearNoBias  # noqa: F401
