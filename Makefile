# Two commands on a fresh machine with Python 3.10+ and pip:
#   make demo   set up .venv, install legonn, train the MNIST MLP, then LeNet-5 (writes its structure)
#   make test   set up .venv, install the test and mpi extras, run the whole suite (distributed tests included)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,mpi]'

demo: install
	$(BIN)/python examples/mnist.py
	$(BIN)/python examples/lenet.py

test: install
	$(BIN)/python -m pytest
