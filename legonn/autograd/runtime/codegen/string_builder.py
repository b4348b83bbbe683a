"""Text assembled piece by piece (torch-autograd's runtime/codegen/StringBuilder.lua): the generated code and
the debugger's DOT files."""


class StringBuilder:
    def __init__(self):
        self.strings = []

    def write(self, *parts):
        self.strings.extend(parts)

    def writeln(self, *parts):
        self.strings.extend(parts)
        self.strings.append('\n')

    def indent(self, n):
        self.strings.append('    ' * n)

    def finish(self):
        return ''.join(self.strings)
