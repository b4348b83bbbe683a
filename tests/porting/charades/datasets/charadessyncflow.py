"""datasets/charadessyncflow.lua, which is datasets/charadesflow.lua byte for byte: the same class, imported."""
from .charadesflow import CharadesDataset  # noqa: F401 (the module's M.CharadesDataset)
