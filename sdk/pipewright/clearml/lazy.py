"""The value a PipelineDecorator component call returns: a stand-in for the step's return value
that blocks (waits for the step, loads its artifact) only when the pipeline uses it, as ClearML's
LazyEvalWrapper does. Passed to another component it is not loaded: it becomes a reference.

Every operation but isinstance() and passing it on resolves it: attribute access, operators
(`100 * accuracy`), str/format/print, comparison, iteration, indexing, calls, bool()."""
import operator


class LazyResult(object):
    __slots__ = ("_pw_step", "_pw_name", "_pw_load", "_pw_done", "_pw_value")

    def __init__(self, step, name, load):
        object.__setattr__(self, "_pw_step", step)     # the step's name
        object.__setattr__(self, "_pw_name", name)     # the return value's name
        object.__setattr__(self, "_pw_load", load)     # () -> the value (waits for the step)
        object.__setattr__(self, "_pw_done", False)
        object.__setattr__(self, "_pw_value", None)

    def _pw_get(self):
        if not object.__getattribute__(self, "_pw_done"):
            value = object.__getattribute__(self, "_pw_load")()
            object.__setattr__(self, "_pw_value", value)
            object.__setattr__(self, "_pw_done", True)
        return object.__getattribute__(self, "_pw_value")

    def __getattr__(self, name):
        return getattr(self._pw_get(), name)

    def __setattr__(self, name, value):
        setattr(self._pw_get(), name, value)

    def __repr__(self):
        return repr(self._pw_get())

    def __str__(self):
        return str(self._pw_get())

    def __format__(self, spec):
        return format(self._pw_get(), spec)

    def __bool__(self):
        return bool(self._pw_get())

    def __len__(self):
        return len(self._pw_get())

    def __iter__(self):
        return iter(self._pw_get())

    def __contains__(self, item):
        return item in self._pw_get()

    def __getitem__(self, key):
        return self._pw_get()[key]

    def __setitem__(self, key, value):
        self._pw_get()[key] = value

    def __call__(self, *args, **kwargs):
        return self._pw_get()(*args, **kwargs)

    def __hash__(self):
        return hash(self._pw_get())

    def __int__(self):
        return int(self._pw_get())

    def __float__(self):
        return float(self._pw_get())

    def __index__(self):
        return operator.index(self._pw_get())

    def __neg__(self):
        return -self._pw_get()

    def __pos__(self):
        return +self._pw_get()

    def __abs__(self):
        return abs(self._pw_get())

    def __round__(self, *args):
        return round(self._pw_get(), *args)


def _value(x):
    return x._pw_get() if isinstance(x, LazyResult) else x


def _binary(op):
    def forward(self, other):
        return op(self._pw_get(), _value(other))

    def reverse(self, other):
        return op(_value(other), self._pw_get())
    return forward, reverse


for _name, _op in (("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                   ("truediv", operator.truediv), ("floordiv", operator.floordiv),
                   ("mod", operator.mod), ("pow", operator.pow), ("matmul", operator.matmul),
                   ("and", operator.and_), ("or", operator.or_), ("xor", operator.xor),
                   ("lshift", operator.lshift), ("rshift", operator.rshift)):
    _forward, _reverse = _binary(_op)
    setattr(LazyResult, "__%s__" % _name, _forward)
    setattr(LazyResult, "__r%s__" % _name, _reverse)

for _name, _op in (("eq", operator.eq), ("ne", operator.ne), ("lt", operator.lt),
                   ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge)):
    setattr(LazyResult, "__%s__" % _name, _binary(_op)[0])


def resolve_all(value):
    """A value with every LazyResult inside lists, tuples and dicts loaded."""
    if isinstance(value, LazyResult):
        return value._pw_get()
    if isinstance(value, (list, tuple)):
        return type(value)(resolve_all(v) for v in value)
    if isinstance(value, dict):
        return {k: resolve_all(v) for k, v in value.items()}
    return value
