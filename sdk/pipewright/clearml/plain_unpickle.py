"""Step results read by a decorated pipeline's body, which runs on the host: a step's container is
not trusted, and a pickle can name any callable to run while it loads. So the body's unpickler
builds plain data only (the standard containers, numbers, text, dates, numpy arrays) and refuses
any other class by name. A step result the body need not look at is better passed on to the next
component, which unpickles it in its own container."""
import io
import pickle

_PLAIN = {
    "builtins": {"dict", "list", "tuple", "set", "frozenset", "str", "bytes", "bytearray", "int",
                 "float", "complex", "bool", "NoneType", "slice", "range"},
    "collections": {"OrderedDict", "defaultdict", "deque", "Counter"},
    "datetime": {"date", "datetime", "time", "timedelta", "timezone"},
    "decimal": {"Decimal"},
    "fractions": {"Fraction"},
    # How numpy pickles arrays and scalars (they rebuild from raw bytes, no user code runs).
    "numpy": {"ndarray", "dtype"},
    "numpy.core.multiarray": {"_reconstruct", "scalar"},
    "numpy._core.multiarray": {"_reconstruct", "scalar"},
}


class NotPlainData(pickle.UnpicklingError):
    pass


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if name in _PLAIN.get(module, ()):
            return super().find_class(module, name)
        raise NotPlainData("%s.%s" % (module, name))


def load_plain(data, step):
    """The value of a step's pickled result, if it is plain data; else a clear error naming the step."""
    try:
        return _PlainUnpickler(io.BytesIO(data)).load()
    except NotPlainData as e:
        raise RuntimeError(
            'Pipeline step "%s" returned an object of class %s: the pipeline body runs on this '
            "machine and reads only plain data (numbers, text, lists, dicts, dates, numpy arrays) "
            "from a step's container. Pass the result to another component instead, which reads "
            "it in its own container, or return plain data." % (step, e)) from None
