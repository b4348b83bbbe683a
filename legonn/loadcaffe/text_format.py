"""Reads a ``.prototxt``: a ``caffe.NetParameter`` in protobuf's text format.

The grammar: ``name: value`` for a number, a double- or single-quoted string (C escapes; adjacent strings
join), an enum name or ``true``/``false``; ``name { ... }`` (or ``name: { ... }``, ``< ... >``) for a nested
message; ``name: [v, v]`` for a repeated field's list; ``#`` starts a comment to the end of the line; ``,``
or ``;`` may follow a field. Fields outside ``schema.MESSAGES`` are parsed and dropped. A syntax error,
a value of the wrong kind or nesting deeper than 100 raises ``ValueError`` naming the file, the
line:column and the field.
"""
import re

from .schema import BY_NAME, ENUMS, MESSAGES, Message

MAX_DEPTH = 100
_TOKEN = re.compile(r'''
    (?P<space>[ \t\r\n\f\v]+|\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[fF]?))
  | (?P<word>-?[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[{}<>:\[\],;])
''', re.VERBOSE)
_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v', '\\': '\\',
            "'": "'", '"': '"', '?': '?'}
_ESCAPE = re.compile(r'\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))', re.DOTALL)
_INT_KINDS = {'int32': (-2 ** 31, 2 ** 31 - 1), 'uint32': (0, 2 ** 32 - 1), 'int64': (-2 ** 63, 2 ** 63 - 1),
              'enum': (-2 ** 31, 2 ** 31 - 1)}


def _tokens(text, name):
    """(kind, text, line, column) of each token; a character no token starts with is an error."""
    out, pos, line, line_start = [], 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"loadcaffe: {name}:{line}:{pos - line_start + 1}: unexpected character "
                             f"{text[pos]!r} in the text format")
        if m.lastgroup != 'space':
            out.append((m.lastgroup, m.group(), line, pos - line_start + 1))
        for nl in re.finditer('\n', m.group()):
            line, line_start = line + 1, pos + nl.end()
        pos = m.end()
    return out


def _unescape(quoted):
    def one(m):
        octal, hexa, char = m.groups()
        if octal or hexa:
            return chr(int(octal, 8) if octal else int(hexa, 16))
        return _ESCAPES.get(char, '\\' + char)
    return _ESCAPE.sub(one, quoted[1:-1])


class _Parser:
    def __init__(self, text, name):
        self.tokens, self.name, self.i = _tokens(text, name), name, 0

    def fail(self, what, token=None):
        token = token or (self.tokens[self.i] if self.i < len(self.tokens) else None)
        where = f"{token[2]}:{token[3]}" if token else "end of file"
        return ValueError(f"loadcaffe: {self.name}:{where}: {what}")

    def peek(self, text=None):
        if self.i >= len(self.tokens):
            return None
        token = self.tokens[self.i]
        return token if text is None or token[1] == text else None

    def take(self, what):
        token = self.peek()
        if token is None:
            raise self.fail(f"expected {what}, the file ends")
        self.i += 1
        return token

    def message(self, type, path, close, depth):
        if depth > MAX_DEPTH:
            raise self.fail(f"{path}: messages nested deeper than {MAX_DEPTH}")
        message = Message(type) if type else None
        while not (self.peek() is None and close is None):
            if close is not None and self.peek(close):
                self.i += 1
                return message
            kind, field, *_ = token = self.take(f"a field name or {close!r} closing {path}")
            if kind != 'word':
                raise self.fail(f"{path}: expected a field name, got {field!r}", token)
            self.field(message, field, f"{path}.{field}", depth)
            if self.peek(',') or self.peek(';'):
                self.i += 1
        return message

    def field(self, message, field, path, depth):
        known = BY_NAME.get(message.type, {}).get(field) if message is not None else None
        sub = known[1] if known and known[1] in MESSAGES else None
        colon = bool(self.peek(':'))
        self.i += colon
        opener = self.peek('{') or self.peek('<')
        if opener:
            self.i += 1
            if known and not sub:
                raise self.fail(f"{path} is a {known[1]}, got a message", opener)
            value = self.message(sub, path, '}' if opener[1] == '{' else '>', depth + 1)
            if known:
                message.add(field, value)
            return
        if not colon:
            raise self.fail(f"{path}: expected ':' or '{{' after the field name")
        if sub:
            raise self.fail(f"{path} is a caffe.{sub} message, expected '{{'")
        if self.peek('['):
            self.i += 1
            while not self.peek(']'):
                self.value(message, field, known, path)
                if not self.peek(']'):
                    token = self.take(f"',' or ']' in the list of {path}")
                    if token[1] != ',':
                        raise self.fail(f"{path}: expected ',' or ']' in a list, got {token[1]!r}", token)
            self.i += 1
            return
        self.value(message, field, known, path)

    def value(self, message, field, known, path):
        kind, text, *_ = token = self.take(f"a value for {path}")
        if kind == 'string':
            text = _unescape(text)
            while self.peek() and self.peek()[0] == 'string':   # "a" "b" is "ab", as in C
                text += _unescape(self.take('a string')[1])
        elif kind not in ('number', 'word'):
            raise self.fail(f"{path}: expected a value, got {text!r}", token)
        if known:
            message.add(field, self.convert(known[1], kind, text, message.type, field, path, token))

    def convert(self, type, kind, text, message_type, field, path, token):
        """The value of token ``text`` (of token kind ``kind``) for a field of protobuf type ``type``."""
        if type == 'string':
            if kind != 'string':
                raise self.fail(f"{path} is a string, expected a quoted value, got {text}", token)
            return text
        if kind == 'string':
            raise self.fail(f"{path} is a {type}, got the string {text}", token)
        if type == 'bool':
            if text in ('true', 't', '1', 'True'):
                return True
            if text in ('false', 'f', '0', 'False'):
                return False
            raise self.fail(f"{path} is a bool, expected true or false, got {text}", token)
        if type == 'float':
            bare = text.lower().lstrip('-+')
            if bare in ('inf', 'infinity', 'nan'):
                return float(text)
            try:
                return float(int(text, 16)) if bare.startswith('0x') else float(text.rstrip('fF'))
            except ValueError:
                raise self.fail(f"{path} is a float, got {text}", token) from None
        if kind == 'word' and type == 'enum':
            names = ENUMS.get((message_type, field), {})
            if text not in names:
                raise self.fail(f"{path}: unknown enum value {text} (expected one of {sorted(names)})", token)
            return names[text]
        try:
            value = int(text, 0) if not re.fullmatch(r'[-+]?0\d+', text) else int(text, 8)
        except ValueError:
            raise self.fail(f"{path} is an integer ({type}), got {text}", token) from None
        low, high = _INT_KINDS[type]
        if not low <= value <= high:
            raise self.fail(f"{path}: {value} is out of range for a {type}", token)
        return value


def parse(text, name='<text>'):
    """The ``caffe.NetParameter`` message written in ``text`` (str); ``name`` labels errors."""
    return _Parser(text, name).message('NetParameter', 'NetParameter', None, 0)


def parse_file(filename):
    """The ``caffe.NetParameter`` of the text file ``filename`` (a ``.prototxt``)."""
    with open(filename, 'rb') as f:
        data = f.read()
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as err:
        raise ValueError(f"loadcaffe: {filename}: byte {err.start} is not UTF-8 text: not a prototxt") from None
    return parse(text, str(filename))
