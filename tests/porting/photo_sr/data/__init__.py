"""data/: the threaded loader (data.lua), the dataLoader class (dataset.lua) and the donkey
(donkey_folder_supres.lua)."""
