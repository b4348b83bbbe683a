"""kwrap/*.lua: nn.kWrap, nn.kModule (a gModule addressed through nested OrderedMaps and Lists of names) and
split_transfer.lua; kwrap/init.lua is this package."""
