"""misc/ of jnhwkim/MulLowBiVQA: mhdf5.lua (RNNUtils.lua is VQA_LSTM_CNN's port, imported by train.py)."""
