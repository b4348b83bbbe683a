"""What every legonn.fbnn class shares: it stands for a class of facebookarchive/fbnn.

fbnn declares most of its classes as ``torch.class('nn.X')`` and a few as ``fbnn.X``; ``legonn.typename``
and reprs say what the Lua's torch.class says (``lua_name``). ``lg.save`` records every one as 'fbnn.X', a
name nn's classes never take, so fbnn's SparseLinear and nn's SparseLinear (which fbnn replaces when
loaded in Lua) both stay loadable from one file.
"""
import re


class FbnnClass:
    """Mixin put before the nn parent. ``lua_name`` ('nn' or 'fbnn'): the package the Lua's torch.class names."""

    lua_package = 'fbnn'
    lua_name = 'nn'

    def __init_subclass__(cls, **kwargs):
        # registered first as 'fbnn.X' (by Typed, beside nn's classes, never over them), then named as the Lua does
        cls.lua_package = 'fbnn'
        super().__init_subclass__(**kwargs)
        cls.lua_package = cls.lua_name

    def __repr__(self):
        # the nn parent's repr, 'nn.Linear(3 -> 2)', under this class's Lua name
        text = super().__repr__()
        match = re.match(r'(nn|fbnn)\.\w+', text)
        return f'{self.lua_name}.{type(self).__name__}{text[match.end():]}' if match else text
