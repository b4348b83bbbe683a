"""nnquery/ElementList.lua of bshillingford/nnquery (BSD licence), ported line by line: sequences of elements
returned by queries, with filtering and aggregation. Positions are 0-based: ``nth(0)`` is the first element and
``-1`` the last; ``slice(from, to)`` includes both ends; predicates get the element and its 0-based index."""
from itertools import count as _count


class ElementList:
    # Constructor meant to be called by an Element, not by the user. new_elem_iter makes a new iterator over the
    # sequence; it may be called several times.
    def __init__(self, new_elem_iter):
        assert callable(new_elem_iter), 'expected iterator factory'
        self._newiter = new_elem_iter
        self._count = None

    # Factory for constructing ElementLists from tables of Elements.
    @staticmethod
    def fromtable(elements):
        assert isinstance(elements, list), 'expected table'

        # returns ElementList w/ iterator factory:
        el = ElementList(lambda: iter(elements))
        el._count = len(elements)  # precomputed for efficiency
        return el

    # Factory for constructing an empty ElementList.
    @staticmethod
    def create_empty():
        return ElementList(lambda: iter(()))

    # Returns a new iterator over elements of this sequence.
    def iter(self):
        return self._newiter()

    # Returns the nth Element of the sequence (0-based); a negative n counts backward from the end (-1 is last).
    def nth(self, n_):
        if not isinstance(n_, int) or isinstance(n_, bool):
            raise ValueError('expected positive or negative int as argument to :nth(), got: ' + str(n_))
        # Make the index a positive one
        n = n_
        if n < 0:
            # e.g. -1 + count = count - 1
            n = n + self.count()

        # Use a new iterator find the n'th
        i = 0
        for e in self.iter():
            if i == n:
                return e
            i = i + 1
        raise IndexError('n out of range: %d (computed: %d), count=%d' % (n_, n, self.count()))

    def __getitem__(self, i):
        # So that nonexistent properties don't go into :nth()
        if isinstance(i, int):
            return self.nth(i)
        raise TypeError('ElementList: expected an int position, got %r' % (i,))

    # First Element.
    def first(self):
        return self.nth(0)

    # Like first(), but ensures only one Element is in the list.
    def only(self):
        if self.count() != 1:
            raise ValueError('expected 1 element, have ' + str(self.count()))
        return self.first()

    # Last Element.
    def last(self):
        return self.nth(-1)

    # A subsequence from `from_` to `to`, both inclusive; `to` None slices to the end; negative as in nth.
    def slice(self, from_, to=None):
        if not isinstance(from_, int):
            raise ValueError('expected negative or positive int index for from')
        if to is not None and not isinstance(to, int):
            raise ValueError('expected negative or positive int index for to')
        if to is not None and (to < from_ or (to < 0 and from_ >= 0)):
            raise ValueError('range must satisfy to <= from (unless to is nil or negative but from is positive)')

        # Make all indices positive (relative to start)
        if from_ < 0:
            from_ = from_ + self.count()
        if to is not None and to < 0:
            to = to + self.count()

        results = []
        i = 0
        for e in self.iter():
            if to is not None and i > to:
                break
            if i >= from_:
                results.append(e)
            i = i + 1
        return ElementList.fromtable(results)

    # Returns the number of elements produced by the query.
    def count(self):
        if self._count is None:
            count = 0
            for e in self.iter():
                count = count + 1
            self._count = count
        return self._count

    # classic has no __len metamethod (the Lua sets it on the metatable); Python's len(el)
    def __len__(self):
        return self.count()

    # The elements after (exclusively unless incl) the first time pred returns true.
    def after(self, pred, incl=None):
        true_yet = False

        def where_pred(*args):
            nonlocal true_yet
            if not true_yet and pred(*args):
                true_yet = True
                if incl:
                    return True
                else:
                    return False
            return true_yet
        return self.where(where_pred)

    # Similar to after, except inclusive.
    def iafter(self, pred):
        return self.after(pred, True)

    # The elements before (exclusively unless incl) the first time pred returns true.
    def before(self, pred, incl=None):
        true_yet = False

        def where_pred(*args):
            nonlocal true_yet
            if not true_yet and pred(*args):
                true_yet = True
                if incl:
                    return True
                else:
                    return False
            return not true_yet
        return self.where(where_pred)

    # Similar to before, except inclusive.
    def ibefore(self, pred):
        return self.before(pred, True)

    # True if pred is true for all elements (true for an empty list).
    def all(self, pred):
        b = True
        idx = 0
        for el in self.iter():
            b = b and pred(el, idx)
            idx = idx + 1
        return b

    # True if pred is true for any element (false for an empty list).
    def any(self, pred):
        b = False
        idx = 0
        for el in self.iter():
            b = b or pred(el, idx)
            idx = idx + 1
        return b

    # Applies a function to each element, with its index.
    def foreach(self, f):
        idx = 0
        for el in self.iter():
            f(el, idx)
            idx = idx + 1

    # Returns a (fresh) table of the Elements.
    def totable(self):
        result = []
        for e in self.iter():
            result.append(e)
        return result

    # Filters by pred(element, index); with no_table the result is computed on the fly each time it is iterated.
    def where(self, pred, no_table=None):
        if not callable(pred):
            raise ValueError('expected function as argument to :where()')

        if no_table:
            def new_iter():
                for pos, el in zip(_count(), self.iter()):
                    if pred(el, pos):
                        yield el
            return ElementList(new_iter)
        else:
            # Here, we don't construct on the fly, in case pred() is rarely or never true
            results = []
            pos = 0
            for el in self.iter():
                if pred(el, pos):
                    results.append(el)
                pos = pos + 1
            return ElementList.fromtable(results)

    # Elements whose properties (fields, or getter methods taking no argument) all equal the given values.
    def props(self, props):
        if not isinstance(props, dict):
            raise ValueError('props must be a table of properties to check')

        def pred(el, *_):
            all_true = True
            for k, v in props.items():
                prop_val = getattr(el, k, None)
                if callable(prop_val):
                    prop_val = prop_val()  # getter method needs implicit self
                all_true = all_true and (prop_val == v)
            return all_true
        return self.where(pred)

    # Alias for props.
    def attr(self, *args):
        return self.props(*args)

    # Same as props() except any property must match rather than all.
    def props_any(self, props):
        if not isinstance(props, dict):
            raise ValueError('props must be a table of properties to check')

        def pred(el, *_):
            for k, v in props.items():
                prop_val = getattr(el, k, None)
                if callable(prop_val):
                    prop_val = prop_val()  # getter method needs implicit self
                if prop_val == v:
                    return True
            return False
        return self.where(pred)

    # Alias for props_any.
    def attr_any(self, *args):
        return self.props_any(*args)

    def __str__(self):
        strs = []
        for e in self.iter():
            strs.append(str(e))
        return '%s{\n  %s\n}' % (type(self).__name__, ',\n  '.join(strs))
