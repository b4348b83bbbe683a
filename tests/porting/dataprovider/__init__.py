"""eladhoffer/DataProvider.torch (MIT licence), the parts eladhoffer's training programs call: Container.lua
(the constructor, ``size``, ``reset``, ``shuffleItems``, ``getItems``, ``createBatch``, ``getNextBatch``,
``normalize``) and LMDBProvider.lua (``size``, ``cacheSeq``, ``cacheRand``, ``threads``, ``asyncCacheSeq``,
``synchronize``), the latter over an in-memory stand-in of lmdb's environment (legonn has no lmdb binding)."""
