"""The two runtimes of legonn.autograd: ``direct`` (a tape of the calls, walked backwards at each call of ``df``)
and ``codegen`` (the optimized mode: the graph traced once, then generated Python code)."""
