"""nnquery/Context.lua of bshillingford/nnquery (BSD licence), ported line by line.

Represents a query execution context, which keeps track of a registry of ``Element`` types and provides a mechanism
for constructing an ``Element`` given the registry. Caches ``Element`` instances for wrapped values (keyed by the
value, as the Lua table is: modules and graph nodes hash by identity)."""
import importlib

nnquery = importlib.import_module(__package__)


class Context:
    # single_match: if true, only allows one handler to match. Otherwise, the first matching handler is used.
    def __init__(self, single_match=None):
        self.single_match = single_match or False
        self._reg = []
        # Cache table mapping vals to Elements, guaranteeing only one Element exists per val
        self._wrapcache = {}

    # Clears Element cache.
    def clear(self):
        self._wrapcache = {}

    # Register the provided Element to handle the cases specified by the match-checking predicate.
    def reg(self, cls, check_match):
        if not callable(check_match):
            raise ValueError('Match-checking predicate must be a function')
        if not issubclass(cls, nnquery.Element):
            raise ValueError('Can only register Element subclasses')
        self._reg.append({'cls': cls, 'check_match': check_match})
        return self

    # Registers a default Element implementation in case no registered handlers match.
    def default(self, elem_class):
        if not issubclass(elem_class, nnquery.Element):
            raise ValueError('Can only register Element subclasses')
        self._default_cls = elem_class
        return self

    # As specified by the registered handlers, wraps the given object in an instance of Element (or subclass).
    def wrap(self, val):
        if self._wrapcache.get(val):
            return self._wrapcache[val]

        wrapped_reg = None
        wrapped = None
        for reg in self._reg:
            if reg['check_match'](val):
                if wrapped:
                    raise ValueError('More than one handler matched, first '
                                     + str(wrapped_reg or reg['cls'].__name__)
                                     + ', now ' + str(reg.get('name') or reg['cls'].__name__))
                wrapped_reg = reg
                # first arg to ctor is ctx, second is the wrapee
                wrapped = reg['cls'](self, val)
                # if we're only allowing a single matching handler, keep going
                # to check that no other handlers match
                if not self.single_match:
                    break
        if not wrapped_reg:
            if getattr(self, '_default_cls', None):
                return self._default_cls(self, val)
            else:
                raise ValueError('No handlers matched, and no default class provided')
        self._wrapcache[val] = wrapped
        return wrapped

    # Applies wrap() over a table, returns a table of wrapped objects.
    def wrapall(self, vals):
        wrappeds = []
        for v in vals:
            wrappeds.append(self.wrap(v))
        return wrappeds

    # Convenient alias for wrap().
    def __call__(self, val):
        return self.wrap(val)
