"""twitter-archive/torch-distlearn ported line by line onto legonn (Apache License 2.0, Copyright Twitter; this
translation keeps that licence): its test/ files and examples/. distlearn's lua/AllReduceSGD.lua and
lua/AllReduceEA.lua are legonn.distributed.AllReduceSGD(tree) and AllReduceEA(tree, tau, alpha)
(legonn/distributed/tree_allreduce.py), on legonn.ipc (torch-ipc's map, client/server and trees).
tests/porting/test_distlearn.py runs them."""
