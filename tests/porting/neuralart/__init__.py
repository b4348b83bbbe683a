"""kaishengtai/neuralart (an implementation of Gatys, Ecker and Bethge's "A Neural Algorithm of Artistic Style")
ported line by line; its LICENSE is the MIT licence, kept for this translation. tests/porting/test_neuralart.py
runs it."""
