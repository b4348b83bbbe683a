"""ramprs/grad-cam (Grad-CAM, guided backpropagation and guided Grad-CAM for classification, captioning and VQA)
ported line by line: classification.lua, captioning.lua, visual_question_answering.lua (each as ``main(arg)``),
misc/utils.lua, misc/GuidedBackpropReLU.lua, misc/DeconvReLU.lua, and misc/prepro_ques.py (the Python the VQA
script shells out to). tests/porting/test_grad_cam.py runs them; its docstring says which stand-ins are used.
The repository's submodules are the ports already in tests/porting: karpathy/neuraltalk2 (neuraltalk2.py) and
VT-vision-lab/VQA_LSTM_CNN (test_vqa_lstm_cnn.py), imported from there.
"""
