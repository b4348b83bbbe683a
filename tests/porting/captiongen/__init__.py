"""eladhoffer/captionGeneration.torch ported line by line: Config.lua, Data.lua, Main.lua, Sample.lua and
SpatialAttentivePooling.lua; tests/porting/test_caption_generation.py runs them. Main.lua's libraries are the ports
of eladtools' Optimizer and EarlyStop and DataProvider.torch's Container and LMDBProvider (in
tests/porting/eladtools/ and tests/porting/dataprovider/), and recurrent.torch's
(tests/porting/recurrent_torch/).

Not ported: CreateLMDBs.lua and TestLMDB.lua (they write and read COCO's images into LMDB, which legonn has no binding
for: the tests put records of CreateLMDBs' form, ``{Data = image, Caption = {...}}``, into the in-memory LMDB
stand-in), Main_attention.lua (its ``nn.AttentiveGRU`` is recurrent.torch's, which cannot run in Torch7 either:
tests/porting/test_recurrent_torch.py's test_attentive_recurrent_fails_on_unpack_of_a_node), generateCaptions.ipynb
(a notebook)."""
