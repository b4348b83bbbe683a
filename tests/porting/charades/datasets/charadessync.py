"""datasets/charadessync.lua, which is datasets/charades.lua byte for byte: the same class, imported (the
synchronous order is the generator's, charadessync-gen.lua, and dataloader.lua's)."""
from .charades import CharadesDataset  # noqa: F401 (the module's M.CharadesDataset)
