"""reedscot/cvpr2016 (Scott Reed, MIT licence; "Learning Deep Representations of Fine-Grained Visual Descriptions")
ported line by line onto legonn: train_sje_hybrid.lua -> train_sje_hybrid.py, classify_sje_tcnn.lua ->
classify_sje_tcnn.py, retrieval_sje_tcnn.lua -> retrieval_sje_tcnn.py (its char branch), modules/{FixedRNN,FixedGRU,BidirectionalRNN,
HybridCNN,HybridCNNLong,HybridCNNWord,DocumentCNN,DocumentCNNWord,ImageEncoder}.lua -> modules/*.py,
util/{MultimodalMinibatchLoaderCaption,model_utils,util_retrieval}.lua -> util/*.py. tests/porting/test_cvpr2016.py
runs them; reedscot/icml2016 (tests/porting/icml2016/) conditions its GAN on the char-CNN-RNN this package trains.

Not ported: the modules no script of the repository builds (AttributeEncoder, BoWEncoder, W2VEncoder: one Linear
each; BidirectionalGRU, DocumentCNNLarge, DocumentCNNShort, DocumentEncoder, DocumentEncoderEmb, LSTM, LSTMPred), the
scripts/ shell files; train_sje_hybrid.lua's ``opt.checkgrad`` branch calls a ``checkgrad`` the repository never
defines (test_cvpr2016.py checks the same gradient by finite differences)."""
