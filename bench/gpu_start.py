"""What each GPU benchmark script (gpu_launches.py, gpu_capture.py) does first: read its workloads from
``--workloads``, and find the GPU or say why there is none (the script then exits 0: nothing to measure); and
PyTorch on that GPU, for the columns compared with it."""
import legonn as lg


def chosen_workloads(parser, text, known):
    """The upper-cased names in the comma-separated ``text``; a parser error unless each is in ``known``."""
    names = [w.strip().upper() for w in text.split(',') if w.strip()]
    if not names or any(w not in known for w in names):
        parser.error(f"--workloads must be a comma-separated subset of {','.join(known)}, got {text!r}")
    return names


def cupy_or_skip(script):
    """The cupy module, or None after printing why ``script`` skips."""
    try:
        return lg.tensor.backend.cupy()
    except (ImportError, RuntimeError) as err:
        print(f'{script}: skipped, no usable GPU: {err}')
        return None


def torch_cuda():
    """The torch module when it sees a GPU; ImportError saying why not (no PyTorch, or a build without CUDA),
    which the scripts report as a missing column."""
    import torch
    if not torch.cuda.is_available():
        raise ImportError(f'PyTorch {torch.__version__} sees no CUDA device')
    return torch
