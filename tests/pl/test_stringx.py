"""legonn.pl.stringx against Penlight's spec/stringx_spec.lua (positions made 0-based)."""
import pytest

from legonn.pl import stringx


def test_split_with_and_without_a_separator():
    """spec/stringx_spec.lua 'split' (stringx.lua's split over utils.split): a trailing separator gives a
    last empty piece, whitespace splitting skips leading blanks, the limit keeps the rest in the last piece."""
    split = stringx.split
    assert split('', '') == ['']
    assert split('', 'z') == []
    assert split('a', '') == ['a']
    assert split('a', 'a') == ['']
    assert split(' 1  2  3 ') == ['1', '2', '3']
    assert split('a*bb*c*ddd', '*') == ['a', 'bb', 'c', 'ddd']
    assert split('dog:fred:bonzo:alice', ':', 3) == ['dog', 'fred', 'bonzo:alice']
    assert split('dog:fred:bonzo:alice:', ':', 3) == ['dog', 'fred', 'bonzo:alice:']
    assert split('///', '/') == ['', '', '', '']
    assert split('one,two,three', ',', 2) == ['one', 'two,three']
    assert split('a..b', '.') == ['a', '', 'b']   # the separator is text, not a pattern


def test_split_at_luas_white_space_only():
    """The default separator is Lua's '%s+', C's isspace: space, \\t \\n \\v \\f \\r split; the characters
    Python's \\s adds (the ASCII separators \\x1c-\\x1f, \\x85, no-break and Unicode spaces) are text."""
    assert stringx.split(' a\tb\nc\vd\fe\rf') == ['a', 'b', 'c', 'd', 'e', 'f']
    for other in ('\x1c', '\x1f', '\x85', '\xa0', '\u2003', '\u3000'):
        assert stringx.split(f'{other}a{other}b c') == [f'{other}a{other}b', 'c']


def test_splitlines():
    """spec/stringx_spec.lua 'splitlines': \\r, \\n and \\r\\n end lines; a final end makes no empty line."""
    sl = stringx.splitlines
    assert sl('') == [] and sl('a') == ['a'] and sl('\n') == [''] and sl('\n\n') == ['', '']
    assert sl('\r\r') == ['', ''] and sl('\r\n') == [''] and sl('ab\ncd\n') == ['ab', 'cd']
    assert sl('ab\ncd\n', True) == ['ab\n', 'cd\n']
    assert sl('\nab\r\r\ncd\n', True) == ['\n', 'ab\r', '\r\n', 'cd\n']


def test_expandtabs():
    """spec/stringx_spec.lua 'expandtabs': tab stops counted from the text before each tab."""
    assert stringx.expandtabs('', 0) == '' and stringx.expandtabs(' ', 1) == ' '
    assert stringx.expandtabs(' \t ') == ' ' * 9
    assert stringx.expandtabs(' \t ', 2) == ' ' * 3
    assert stringx.expandtabs(' \t ', 0) == ' ' * 2
    assert stringx.expandtabs('\thi\tthere\tfolks!') == '        hi      there   folks!'


def test_lfind_rfind_are_zero_based():
    """spec/stringx_spec.lua 'lfind'/'rfind', each Lua position minus one (first/last too)."""
    assert stringx.lfind('', '') == 0 and stringx.lfind('ab', 'b') == 1
    assert stringx.lfind('abc', 'cd') is None and stringx.lfind('ab..cd', '.') == 2
    assert stringx.lfind('abcbcbbc', 'bc', 2) == 3
    assert stringx.lfind('abcbcbbc', 'bc', 2, 3) is None
    assert stringx.lfind('abcbcbbc', 'bc', 2, 4) == 3
    assert stringx.lfind('abcbcbbc', 'bc', None, 4) == 1
    assert stringx.rfind('', '') == 0 and stringx.rfind('ab', '') == 2
    assert stringx.rfind('abcbc', 'bc') == 3 and stringx.rfind('abcbcb', 'bc') == 3
    assert stringx.rfind('abcbcbbc', 'bc', 2) == 6
    assert stringx.rfind('abcbcbbc', 'bc', 2, 3) is None
    assert stringx.rfind('abcbcbbc', 'bc', 2, 4) == 3
    assert stringx.rfind('banana', 'ana') == 3


def test_count_replace_justify():
    """spec/stringx_spec.lua 'count', 'replace', 'ljust', 'rjust', 'center'."""
    assert stringx.count('', '') == 0 and stringx.count('  ', '') == 2
    assert stringx.count('a..c', '.') == 2 and stringx.count('a1c', '%d') == 0
    assert stringx.count('banana', 'ana') == 1 and stringx.count('banana', 'ana', True) == 2
    assert stringx.replace('a.b.c', '.', '%', 1) == 'a%b.c'
    assert stringx.ljust('ab', 3, '%') == 'ab%' and stringx.ljust('abcd', 3) == 'abcd'
    assert stringx.rjust('ab', 3, '%') == '%ab' and stringx.rjust('', 2) == '  '
    assert stringx.center('a', 2) == 'a ' and stringx.center('a', 3) == ' a ' and stringx.center('hello', 10, '*') \
        == '**hello***'


def test_predicates_strip_and_affixes():
    """stringx.lua's is* (ASCII classes; islower/isupper let whitespace through), strip with a character set,
    startswith/endswith with a list of affixes."""
    assert stringx.islower('hello world') and not stringx.islower('Hello') and not stringx.isalpha('')
    assert stringx.isdigit('123') and not stringx.isdigit('12a') and stringx.isspace(' \t')
    assert stringx.strip('--abc--', '-') == 'abc' and stringx.lstrip('  x ') == 'x ' and stringx.rstrip(' x  ') == ' x'
    assert stringx.startswith('hello', ['x', 'he']) and stringx.endswith('hello', 'llo')
    assert not stringx.endswith('lo', 'hello')
    with pytest.raises(TypeError, match="'string' or a 'table'"):
        stringx.startswith('a', 3)
    with pytest.raises(TypeError, match="argument 0 expected a 'string'"):
        stringx.strip(3)


def test_partition_at_lines_title_shorten_join():
    """stringx.lua's partition/rpartition, at (0-based here), lines, title, shorten, join."""
    assert stringx.partition('a=b=c', '=') == ('a', '=', 'b=c')
    assert stringx.rpartition('a=b=c', '=') == ('a=b', '=', 'c')
    assert stringx.partition('abc', '=') == ('abc', '', '') and stringx.rpartition('abc', '=') == ('', '', 'abc')
    assert stringx.at('abc', 0) == 'a'
    assert list(stringx.lines('one\ntwo')) == ['one', 'two']
    assert stringx.title('hello WORLD  x') == 'Hello World  X'
    # C-locale toupper/tolower: only ASCII letters change, and a no-break space is inside a word (%S)
    assert stringx.title('\u00e9T\u00c9 \u00dfx a\u00a0bC') == '\u00e9t\u00c9 \u00dfx A\u00a0bc'
    assert stringx.shorten('1234567890', 8) == '12345...' and stringx.shorten('1234567890', 8, True) == '...67890'
    assert stringx.shorten('abc', 2) == '..'
    assert stringx.join(' ', [1, 2.5, 'x']) == '1 2.5 x'


def test_quote_string():
    """stringx.lua's quote_string: %q for plain text, long brackets (one '=' more than any inside) for text
    with newlines or bracket sequences, %q with \\r for text holding \\r."""
    assert stringx.quote_string('ab"c') == '"ab\\"c"'
    assert stringx.quote_string('a\nb') == '[[a\nb]]'
    assert stringx.quote_string('\nab') == '[[\n\nab]]'
    assert stringx.quote_string('a]]b') == '[=[a]]b]=]'
    assert stringx.quote_string('x[==[y') == '[===[x[==[y]===]'
    assert stringx.quote_string('a\rb\n') == '"a\\rb\\\n"'
