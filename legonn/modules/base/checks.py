"""InputChecks: the one vocabulary of input checks shared by modules and criterions.

The common cases are declared on the class and checked by ``checkContract``,
which ``forward`` (and every container and graph step) runs before
``updateOutput``, as Chainer's ``check_type_forward`` runs before a function:

- ``input_dtypes``: 'floating' tensors, or 'any' element type (see ``Typed``);
- ``input_kind``: 'tensor' or 'table' (a list); None takes either;
- ``input_ranks``: the accepted numbers of dimensions of a tensor input, e.g. ``(1, 2)``; None takes any.

What depends on the values (a size matching a hyper-parameter, the length a
table must have) stays in the layer, written with the methods below, whose
errors name the module's path, what it expected and what came.
"""
from ...tensor import Tensor
from ...tensor.backend import to_module
from ...tensor.scatter_kernels import out_of_range
from .errors import input_error
from .table_buffers import describe


def tensor_leaves(tree, out):
    if isinstance(tree, Tensor):
        out.append(tree)
    elif isinstance(tree, (list, tuple)):
        for v in tree:
            tensor_leaves(v, out)
    return out


def _acceptable_tensors(table, cuda, any_device, floating, empty):
    """True when every entry of the list ``table`` is a tensor that ``checkContract`` accepts (non-empty unless
    ``empty``, on the ``cuda`` side unless ``any_device``, floating if ``floating``)."""
    for t in table:
        if not isinstance(t, Tensor) or (0 in t._size and not empty) or (t._cuda != cuda and not any_device) or \
                (floating and t._dtype.kind != 'f'):
            return False
    return True


def _named(x):
    """How an error message names a value that should have been a tensor."""
    if isinstance(x, list):
        return f"a list of {len(x)} entries"
    return f"a {type(x).__name__}"


def _ranks_text(ranks):
    return ' or '.join(f'{r}-D' for r in ranks)


class InputChecks:
    # declared per class, read by checkContract (see the module docstring)
    input_kind = None
    input_ranks = None
    # True: empty tensors pass, as every module takes them in Torch7. Set for a user's module (a class defined
    # outside legonn: densecap's PosSlicer takes an empty gt_features at test time) and for pass-through
    # modules; legonn's computing modules refuse them, naming the module
    empty_inputs = False
    # False for a user's class that writes its own updateOutput under a parent declaring input_kind or input_ranks
    # (module.py): checkContract leaves the parent's declaration to the parent's own code, which the class may call
    contract_checks_declared = True

    def checkContract(self, input, what='input', floating=None, declared=True):
        """Raise an error naming this module unless ``input`` is what the class declares: every tensor of it
        (a tensor or nested table) non-empty unless ``empty_inputs`` (ValueError), on the module's device and of
        a floating type when ``floating`` (default: ``input_dtypes == 'floating'``) (TypeError); then, when
        ``declared`` (False for a criterion's target), a tensor or a table as ``input_kind`` says (TypeError) and
        a tensor's rank one of ``input_ranks`` (ValueError)."""
        cuda = self._type.startswith('legonn.Cuda')
        declared = declared and self.contract_checks_declared
        if floating is None:
            floating = self.input_dtypes == 'floating'
        if isinstance(input, Tensor):
            # the common case, a single acceptable tensor, in a few attribute reads
            if (input._cuda == cuda or self.any_device) and (not floating or input._dtype.kind == 'f') and \
                    (0 not in input._size or self.empty_inputs) and (not declared or self.input_kind != 'table' and
                                              (self.input_ranks is None or len(input._size) in self.input_ranks)):
                return
            leaves = (input,)
        elif type(input) is list and _acceptable_tensors(input, cuda, self.any_device, floating, self.empty_inputs):
            # the other common case, a flat table of acceptable tensors, without collecting them
            if declared:
                self.checkInput(input, what)
            return
        else:
            leaves = tensor_leaves(input, [])
        for t in leaves:
            if 0 in t._size and not self.empty_inputs:
                raise input_error(self, f"a non-empty {what}", f"size {t._size}")
            if t._cuda != cuda and not self.any_device:
                raise input_error(self, f"a {self._type} {what} (the module's type)", t._typename, TypeError)
            if floating and t._dtype.kind != 'f':
                raise input_error(self, f"a floating-point tensor {what}", t._typename, TypeError)
        if declared:
            self.checkInput(input, what)

    def checkInput(self, input, what='input'):
        """Raise unless ``input`` is of the declared ``input_kind`` and ``input_ranks`` (a tensor input: of a floating
        type too when ``input_dtypes`` says so): checkContract's part that backward paths reading the input
        (possibly before any forward) call themselves."""
        if self.input_kind == 'table':
            self.checkTable(input, min_length=0, what=what)
        elif self.input_kind == 'tensor' or self.input_ranks is not None:
            self.checkTensor(input, self.input_ranks, what, floating=self.input_dtypes == 'floating')
        return input

    def checkTensor(self, x, ranks=None, what='input', floating=False):
        """Raise a path-naming error unless ``x`` is a tensor (of a floating type when ``floating``) whose rank
        is in ``ranks`` (None: any rank)."""
        if not isinstance(x, Tensor):
            raise input_error(self, f"a tensor {what}", _named(x), TypeError)
        if floating and x._dtype.kind != 'f':
            raise input_error(self, f"a floating-point tensor {what}", x._typename, TypeError)
        if ranks is not None and len(x._size) not in ranks:
            raise input_error(self, f"a {_ranks_text(ranks)} {what}", f"{x.dim()}-D of size {tuple(x.size())}")
        return x

    def checkTable(self, x, length=None, min_length=1, what='input'):
        """Raise a path-naming error unless ``x`` is a list of ``length`` (or at least ``min_length``) entries."""
        article = 'an' if what[0] in 'aeiou' else 'a'
        if not isinstance(x, list):
            raise input_error(self, f"a table (list) {what}", describe(x), TypeError)
        if length is not None and len(x) != length:
            raise input_error(self, f"{article} {what} table of {length} entries", f"{len(x)} entries")
        if len(x) < min_length:
            raise input_error(self, f"{article} {what} table of at least {min_length} entries", f"{len(x)} entries")
        return x

    def checkTensorsAlike(self, tensors, what='input'):
        """Raise unless every entry of ``tensors`` is a tensor of the first one's size and type."""
        first = self.checkTensor(tensors[0], what=f"{what}[0]")
        for i, t in enumerate(tensors[1:], 1):
            self.checkTensor(t, what=f"{what}[{i}]")
            if t._size != first._size:
                raise input_error(self, f"{what}[{i}] of size {tuple(first.size())} (like {what}[0])",
                                  tuple(t.size()))
            if type(t) is not type(first):
                raise input_error(self, f"{what}[{i}] of type {first.type()} (like {what}[0])", t.type(), TypeError)
        return tensors

    def checkSize(self, x, sizes, what='gradOutput'):
        """Raise unless ``x`` is a tensor of exactly ``sizes``; a ``gradOutput`` must also have the type of the
        module's output (a tensor), as every THNN function takes one tensor type."""
        self.checkTensor(x, what=what)
        if what == 'gradOutput':
            self.checkGradOutputType(x)
        if x._size != tuple(sizes):
            raise input_error(self, f"{what} of size {tuple(sizes)}", tuple(x.size()))
        return x

    def checkSameType(self, x, reference, what='input', like=None):
        """Raise a TypeError naming this module unless ``x`` has ``reference``'s type and device. The message says
        whose type that is: ``like`` ("input[0]'s") when given, else the module's when ``reference`` is one of
        its own tensors (a parameter, a buffer), the input's when it is not."""
        if type(x) is not type(reference):
            got = x.type() if isinstance(x, Tensor) else f"a {type(x).__name__}"
            if like is None:
                like = "the module's" if any(v is reference for v in vars(self).values()) else "the input's"
            raise input_error(self, f"a {reference.type()} {what} ({like} type)", got, TypeError)
        return x

    def checkIndices(self, x, n, what='indices', xp=None, offset=0, readonly=False):
        """``x``, a tensor of integers (or of whole numbers in a floating type: Lua's numbers), as an int64 array
        on the array module ``xp`` (default: ``x``'s), ``offset`` added; raise a path-naming TypeError for other
        values and an IndexError unless every index lies in [0, ``n``) (``x``'s values in [-offset, n - offset)),
        ``what`` naming them ('indices', 'targets'). ``readonly``: the caller only reads the result, so int64
        indices already on ``xp``, with no offset, come back as ``x``'s own array (no copy: on a GPU, a launch)."""
        arr = x.array
        if x._dtype.kind == 'f':
            if x.nElement() and not bool((arr == x.xp.floor(arr)).all()):
                raise input_error(self, f"integer {what} or whole-number {what} in a floating tensor",
                                  f"non-integral values in a {x.type()}", TypeError)
        elif x._dtype.kind not in 'iu':
            raise input_error(self, f"integer {what} (an integer or floating tensor)", x.type(), TypeError)
        idx = to_module(arr.astype('int64', copy=not readonly or bool(offset)), xp or x.xp)
        if offset:
            idx += offset
        bad = out_of_range(idx, n)
        if bad:
            raise input_error(self, f"{what} in [{-offset}, {n - offset})",
                              f"{what} in [{bad[0] - offset}, {bad[1] - offset}]", IndexError)
        return idx

    def checkTraining(self):
        """Raise unless the module is in training mode: for a backward defined only while training (the noise
        modules of dpnn and the rnn package)."""
        if not self.train:
            raise input_error(self, "training mode (backprop is only defined while training)", "evaluate mode")

    reads_grad_output = True  # False where backward never reads gradOutput (gradInput zeros, a reward drives it)

    def checkGradOutputType(self, gradOutput):
        """Raise unless a tensor ``gradOutput`` has the type (and device) of the module's output, where that is a
        floating tensor: every THNN function takes one tensor type, and a gradOutput of another type or device
        would otherwise fail deep in NumPy or CuPy, or compute silently in mixed precision."""
        output = self.__dict__.get('output')
        # an empty output: no forward yet, which the module's own check reports; a module that never reads its
        # gradOutput (reads_grad_output False) takes whatever its caller has
        if (type(gradOutput) is not type(output) and isinstance(gradOutput, Tensor) and isinstance(output, Tensor)
                and output.dtype.kind == 'f' and output._size != (0,) and type(self).reads_grad_output):
            raise input_error(self, f"a {output.type()} gradOutput (the output's type)", gradOutput.type(), TypeError)
        return gradOutput

    def checkGradOutputCount(self, gradOutput, reference):
        """Raise unless ``gradOutput`` is a tensor of ``reference``'s type holding as many elements: the check of
        the modules whose backward only views gradOutput with the input's sizes (View.lua's
        ``self.gradInput:view(gradOutput, input:size())``, Reshape.lua's ``viewAs``), which Torch7 code relies
        on (Kaixhin/Atari's async agents send a ``1 x m`` Q-value net an ``m``-vector gradOutput)."""
        if type(gradOutput) is not type(reference):
            got = gradOutput.type() if isinstance(gradOutput, Tensor) else f"a {type(gradOutput).__name__}"
            raise input_error(self, f"a {reference.type()} gradOutput", got, TypeError)
        if gradOutput.nElement() != reference.nElement():
            raise input_error(self, f"gradOutput of {reference.nElement()} elements (the output's size "
                                    f"{tuple(reference.size())})",
                              f"size {tuple(gradOutput.size())}")
        return gradOutput

    def checkGradOutput(self, gradOutput, reference):
        """Raise unless ``gradOutput`` is a tensor of ``reference``'s type and size (``reference``:
        the output, or the input for shape-keeping modules)."""
        if type(gradOutput) is not type(reference):
            got = gradOutput.type() if isinstance(gradOutput, Tensor) else f"a {type(gradOutput).__name__}"
            raise input_error(self, f"a {reference.type()} gradOutput", got, TypeError)
        if gradOutput._size != reference._size:
            raise input_error(self, f"gradOutput of size {tuple(reference.size())}", tuple(gradOutput.size()))
        return gradOutput
