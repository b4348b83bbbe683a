"""ramprs/grad-cam (Grad-CAM, guided backpropagation and guided Grad-CAM for classification, captioning and VQA)
ported line by line: classification.lua, captioning.lua, visual_question_answering.lua (each as ``main(arg)``,
returning what the tests check), misc/utils.lua, misc/GuidedBackpropReLU.lua, misc/DeconvReLU.lua, and
misc/prepro_ques.py (the Python 2 script the VQA script shells out to). tests/porting/test_grad_cam.py runs them;
its docstring says which stand-ins are used. The repository's two submodules are ports already in tests/porting,
imported from there: karpathy/neuraltalk2 (neuraltalk2.py: LanguageModel, net_utils) and VT-vision-lab/VQA_LSTM_CNN
(vqa_lstm_cnn/misc/: LSTM.lstm_conventional, netdef.AxB, RNNUtils as ``load_rnn_utils(opt)``). Not ported:
models/download_models.sh (downloads VGG and the checkpoints) and the README.

Edits beyond Lua syntax and 0-based indices, each marked where it is made:

* Indices from 0 (docs/porting.md's index rules): classification.lua's ``-label`` (its help's 283 = tiger cat is 282
  here; -1 still means "the predicted class") and captioning.lua's ``-layer`` (30, VGG-16's relu5_3 counted from 1,
  is 29). neuraltalk2's port numbers words from 0 with -1 as the null token, so utils.sent_to_label pads with
  ``fill(-1)`` where the Lua's ``torch.zeros`` pads with neuraltalk2's null 0, and create_grad_input_lm tests
  ``labels[t][0] != -1`` for ``~= 0``; VQA_LSTM_CNN's port numbers words and answers from 0 in its json.
* A numeric string as a tensor's element or index (docs/porting.md's row): sent_to_label's ``labels[{{i},{1}}] =
  ix_word`` and create_grad_input's ``doutput[label] = 1`` (the VQA script passes ``inv_vocab[answer]``, a json key)
  take ``int(...)``: Torch7's ``__newindex`` reads '3' as 3, legonn refuses a string.
* ``torch.class('nn.GuidedBackpropReLU', 'nn.Module')`` and ``nn.DeconvReLU`` are the port's classes, registered
  under their Torch7 names (docs/porting.md's torch.class row); utils.guidedbackprop and utils.deconv return them
  where the Lua returns ``nn.GuidedBackpropReLU()``. ``require 'misc.X'`` inside those functions is a local import.
* Lua's ``tonumber(layer_name)`` (a number or a numeric string, else nil) is a small function of utils; its result
  is a float, so ``for i = layer_id+1, #cnn.modules`` takes ``int(layer_id)`` (docs/porting.md's float ``for`` row).
  ``for word in sent:gmatch'%w+'`` is ``re.findall(r'[A-Za-z0-9]+', sent)``.
* ``utils.preprocess`` returns three values; the scripts keep the first (``local img = utils.preprocess(...)``), so
  the port takes ``[0]``. ``local dlm, ddummy = unpack(lm:backward(...))`` unpacks the list.
* The scripts' ``opt.x`` are ``opt['x']`` (legonn's CmdLine parses to a dict); file names built with ``..`` of the
  label (a number) use ``lg.tostring``. ``cutorch.setDevice(opt.gpuid + 1)`` is ``setDevice(opt['gpuid'])``
  (legonn's devices are 0-based); ``require 'cunn'``/``'cudnn'`` are dropped (legonn's CUDA is built in).
* captioning.lua passes the global ``sample_opts``, never set (nil): a module-level ``None``.
* visual_question_answering.lua's ``os.execute('python misc/prepro_ques.py --question "..."')``: the script is
  Python 2 and imports what the environment lacks (module docstring of misc/prepro_ques.py); the port runs its
  Python 3 translation with this interpreter (``sys.executable`` and the file's path in this package), in the
  working directory as the Lua does (it reads VQA_LSTM_CNN/data_prepro.json and writes ques_feat.json there).
  ``file:read()`` (one line) is ``readline()``.

Found, and the same in legonn as in Torch7 (tested): grad_cam splits the forwarded net into two new Sequentials and
backpropagates the second from ``model1.output``, which Sequential.lua's ``add`` makes the last module's output
(legonn's Sequential did not track it: fixed in legonn, tests/containers/test_sequential.py); ``gb_viz:float()``
of a FloatTensor is the tensor itself, so classification's and captioning's guided Grad-CAM ``cmul`` overwrites
``gb_viz`` (saved before); captioning's ``dcnn`` is zeroed in place at the CNN's dead final ReLU(true) units when
grad_cam backpropagates it (Threshold's in-place backward); grad_cam reads ``.name`` of each module up to the layer,
which loadcaffe's modules all have (a module without one is an AttributeError here, nil in Lua: docs/porting.md's
"field never set" rule).
"""
