"""karpathy/char-rnn (Andrej Karpathy, MIT licence), ported line by line onto legonn: train.lua -> train.py,
sample.lua -> sample.py, inspect_checkpoint.lua -> inspect_checkpoint.py, convert_gpu_cpu_checkpoint.lua ->
convert_gpu_cpu_checkpoint.py, model/{LSTM,GRU,RNN}.lua -> model/*.py, util/{OneHot,misc,model_utils,
CharSplitLMMinibatchLoader}.lua -> util/*.py. tests/porting/test_char_rnn.py runs the scripts end to end.
"""
