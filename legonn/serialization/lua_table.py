"""``LuaTable``: a Lua table that is not a list, as the .t7 reader gives it and legonn's own format keeps it."""


class LuaTable(dict):
    """A Lua table that is not a list: a dict, hashable by identity (Lua tables may be keys)."""
    __hash__ = object.__hash__

    def __repr__(self):
        return f"LuaTable({dict.__repr__(self)})" if len(self) < 20 else f"LuaTable(<{len(self)} entries>)"
