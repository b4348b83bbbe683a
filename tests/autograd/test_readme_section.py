"""The README's autograd section runs as written, and its comments say what it computes."""
import pathlib
import re

import numpy as np

import legonn as lg

README = pathlib.Path(__file__).resolve().parents[2] / 'README.md'


def readme_autograd_block():
    text = README.read_text()
    section = text[text.index("### autograd: `require 'autograd'`"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_gives_the_gradient_of_its_function():
    scope = {'lg': lg}
    exec(compile(readme_autograd_block(), 'README.md (autograd)', 'exec'), scope)
    params, x, y, grads, loss = (scope[k] for k in ('params', 'x', 'y', 'grads', 'loss'))
    W, b, X, Y = (t.numpy().astype(np.float64) for t in (params['W'], params['b'], x, y))
    h = np.tanh(X @ W + b)
    assert np.isclose(loss, ((h - Y) ** 2).sum(), rtol=1e-5)
    dz = 2 * (h - Y) * (1 - h ** 2)   # the loss's gradient through tanh
    np.testing.assert_allclose(grads['W'].numpy(), X.T @ dz, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(grads['b'].numpy(), dz.sum(0), rtol=1e-4, atol=1e-4)
    linear, linear_params = scope['linear'], scope['linear_params']
    assert linear(linear_params, x).size() == (8, 3)
