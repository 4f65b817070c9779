"""Find the user's stack frame: the first one outside the SDK folder."""
import os
import sys

_SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_in_sdk = {}  # co_filename -> bool; a dict lookup is much cheaper than a path test per frame


def is_sdk_file(filename):
    known = _in_sdk.get(filename)
    if known is None:
        known = not filename.startswith("<") and os.path.abspath(filename).startswith(_SDK_DIR)
        _in_sdk[filename] = known
    return known


def user_frame():
    """The innermost frame not in the SDK (None if the SDK called itself from the top)."""
    f = sys._getframe(1)
    get = _in_sdk.get
    while f is not None:
        name = f.f_code.co_filename
        sdk = get(name)
        if sdk is None:
            sdk = is_sdk_file(name)
        if not sdk:
            return f
        f = f.f_back
    return None


def column_of(code, lasti):
    """1-based column of the instruction at lasti, where Python records it (3.11+), else None."""
    positions = getattr(code, "co_positions", None)
    if positions is None or lasti is None or lasti < 0:
        return None
    for i, pos in enumerate(positions()):
        if i == lasti // 2:
            return pos[2] + 1 if pos[2] is not None else None
    return None
