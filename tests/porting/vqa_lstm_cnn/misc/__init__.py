"""VQA_LSTM_CNN's misc/ folder: LSTM.lua, netdef.lua, RNNUtils.lua."""
