"""coupriec/VideoPredictionICLR2016 (Mathieu, Couprie, LeCun: "Deep multi-scale video prediction beyond mean
square error", ICLR 2016) ported line by line; its LICENSE is the GNU GPL v3, kept for this translation.
tests/porting/test_videopred.py runs it. The edits beyond Lua syntax and 0-based indices are said in each
file's docstring."""
