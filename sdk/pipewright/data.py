"""Shared data, as Conducto's `co.data.pipeline` and `co.data.user`.

Inside a node, `co.data.pipeline` is the pipeline's folder (`/conducto/data/pipeline`, the same
folder as `$PIPEWRIGHT_DATA`) and `co.data.user` the user's folder shared by all their pipelines
(`/conducto/data/user`):

    co.data.pipeline.puts("model/weights", b"...")     # in one node
    co.data.pipeline.gets("model/weights")             # in a later one

From a shell command, Conducto's tools: `conducto-data-pipeline put NAME FILE`, `get`, `gets`,
`puts` (from stdin), `list PREFIX`, `exists`, `size`, `url`, `delete`, `cache-exists`,
`save-cache`, `restore-cache`, `clear-cache` (and `conducto-data-user ...`). They print their
result as JSON, as Conducto's do. `python3 -m pipewright.data` is `conducto-data-pipeline`.

Names are `/`-separated paths inside the folder; one that leads out of it (`..`, or a symbolic
link to a place outside) is refused.
"""
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.parse

PIPELINE_DIR = "/conducto/data/pipeline"
USER_DIR = "/conducto/data/user"


class _Data:
    """One data folder; `kind` is Conducto's class name (`pipeline`, `user`), used in urls."""

    def __init__(self, kind, env, default):
        self._kind = kind
        self._env = env
        self._default = default

    def __repr__(self):
        return "co.data.%s" % self._kind

    # ---- where ------------------------------------------------------------------------------

    def _root(self):
        root = os.environ.get(self._env)
        if not root and _in_node() and os.path.isdir(self._default):
            root = self._default
        if not root:
            raise RuntimeError("co.data.%s is only available inside a running pipeline "
                               "(%s is not set)" % (self._kind, self._env))
        return root

    def _path(self, name):
        root = os.path.realpath(self._root())
        path = os.path.realpath(os.path.join(root, str(name).lstrip("/")))
        if not _inside(path, root):
            raise ValueError("data name %r leads out of co.data.%s's folder" % (name, self._kind))
        return path

    # ---- Conducto's API ---------------------------------------------------------------------

    def put(self, name, file, skip_cleanup=False):
        """Copies the local file `file` in under `name` (`skip_cleanup`: Conducto's S3 versions; nothing here)."""
        dest = self._path(name)
        self._write(dest, lambda out: _copy_into(file, out))

    def get(self, name, file):
        """Copies `name` out to the local file `file`."""
        shutil.copyfile(self._path(name), file)

    def puts(self, name, obj):
        """Stores bytes (or str, as UTF-8) under `name`."""
        data = obj.encode("utf-8") if isinstance(obj, str) else bytes(obj)
        self._write(self._path(name), lambda out: out.write(data))

    def gets(self, name, byte_range=None):
        """The bytes stored under `name` (or those in [begin, end) of `byte_range`)."""
        with open(self._path(name), "rb") as f:
            if not byte_range:
                return f.read()
            begin, end = byte_range
            f.seek(begin)
            return f.read(end - begin)

    def exists(self, name):
        return os.path.exists(self._path(name))

    def size(self, name):
        """The size of the object at `name`, in bytes."""
        return os.stat(self._path(name)).st_size

    def delete(self, name, recursive=False):
        path = self._path(name)
        if os.path.isdir(path) and not os.path.islink(path):
            if not recursive:
                raise IsADirectoryError("%s is a folder; pass recursive=True" % name)
            shutil.rmtree(path)
        else:
            os.remove(path)

    def list(self, prefix=""):
        """The names in the folder `prefix` (`prefix/name`), sorted, as Conducto lists them."""
        try:
            names = os.listdir(self._path(prefix))
        except (NotADirectoryError, FileNotFoundError):
            return []
        prefix = str(prefix).strip("/")
        return [prefix + "/" + n if prefix else n for n in sorted(names) if not n.startswith(".pw-tmp-")]

    def url(self, name, path_only=True):
        """
        Conducto's address of `name` in its web app, `/gw/manager/data/ID/KIND/NAME`; with
        `path_only=False` prefixed by $CONDUCTO_AUTO_URL when set.
        """
        pipeline_id = os.environ.get("CONDUCTO_PIPELINE_ID") or os.environ.get("PIPEWRIGHT_PIPELINE")
        if not pipeline_id:
            raise RuntimeError("co.data.%s.url is only available inside a running pipeline "
                               "(CONDUCTO_PIPELINE_ID is not set)" % self._kind)
        base = "" if path_only else os.environ.get("CONDUCTO_AUTO_URL", "").rstrip("/")
        return "%s/gw/manager/data/%s/%s/%s" % (base, pipeline_id, self._kind, urllib.parse.quote(str(name)))

    # ---- caches (a folder saved as conducto-cache/NAME/CHECKSUM.tar.gz) ---------------------

    def cache_exists(self, name, checksum):
        return self.exists(_cache_name(name, checksum))

    def save_cache(self, name, checksum, save_dir):
        """Saves the folder `save_dir` as the cache `name` at `checksum`."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            tar.add(save_dir, arcname=os.path.basename(os.path.normpath(save_dir)))
        self.puts(_cache_name(name, checksum), buf.getvalue())

    def restore_cache(self, name, checksum, restore_dir):
        """Unpacks the cache `name` at `checksum` into `restore_dir`; refuses members that lead out of it."""
        if not self.cache_exists(name, checksum):
            raise FileNotFoundError("Cache not found")
        with tarfile.open(fileobj=io.BytesIO(self.gets(_cache_name(name, checksum)))) as tar:
            members = tar.getmembers()
            for m in members:
                _check_member(m, restore_dir)
            tar.extractall(path=restore_dir, members=members)

    def clear_cache(self, name, checksum=None):
        """Clears the cache `name` at `checksum`, or at every checksum."""
        if checksum is None:
            for entry in self.list("conducto-cache/%s" % name):
                self.delete(entry, recursive=True)
        else:
            self.delete(_cache_name(name, checksum))

    # ---- helpers ----------------------------------------------------------------------------

    def _write(self, dest, fill):
        """Writes `dest` whole or not at all: a temporary file beside it, renamed into place."""
        folder = os.path.dirname(dest)
        os.makedirs(folder, exist_ok=True)
        # The folder made may have been a link leading out (refused by _path, but made meanwhile).
        self._path(os.path.relpath(folder, os.path.realpath(self._root())))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".pw-tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                fill(out)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise


def _in_node():
    return bool(os.environ.get("PIPEWRIGHT_WORKER")) or os.environ.get("CONDUCTO_EXECUTION_ENV", "").startswith(("worker", "debug"))


def _copy_into(file, out):
    with open(file, "rb") as f:
        shutil.copyfileobj(f, out)


def _inside(path, root):
    """Whether the real path `path` is `root` or below it (`root` may be `/`)."""
    return os.path.commonpath([path, root]) == root


def _cache_name(name, checksum):
    return "conducto-cache/%s/%s.tar.gz" % (name, checksum)


def _check_member(member, restore_dir):
    root = os.path.realpath(restore_dir)
    target = os.path.realpath(os.path.join(root, member.name))
    if not _inside(target, root):
        raise ValueError("cache member %r leads out of %s" % (member.name, restore_dir))
    if member.islnk() or member.issym():
        link = os.path.realpath(os.path.join(os.path.dirname(target), member.linkname)) if member.issym() else \
            os.path.realpath(os.path.join(root, member.linkname))
        if not _inside(link, root):
            raise ValueError("cache member %r links out of %s" % (member.name, restore_dir))
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        raise ValueError("cache member %r is a device or FIFO" % member.name)


pipeline = _Data("pipeline", "PIPEWRIGHT_DATA", PIPELINE_DIR)
user = _Data("user", "PIPEWRIGHT_USER_DATA", USER_DIR)


def getpath(p):
    return os.path.abspath(p)


# ---- the command line (conducto-data-pipeline, conducto-data-user) ------------------------------

# Each subcommand: the method, its arguments in order (a default makes one optional), and what
# kind of value each takes. `--NAME VALUE`, `--NAME=VALUE` and positional forms all work, as with
# Conducto's tools.
_COMMANDS = {
    "get": ("get", [("name",), ("file",)]),
    "gets": ("gets", [("name",), ("byte_range", None, "range")]),
    "put": ("put", [("name",), ("file",)]),
    "puts": ("puts", [("name",), ("text", None)]),
    "list": ("list", [("prefix", "")]),
    "exists": ("exists", [("name",)]),
    "size": ("size", [("name",)]),
    "delete": ("delete", [("name",), ("recursive", False, "bool")]),
    "url": ("url", [("name",), ("path_only", True, "bool")]),
    "cache-exists": ("cache_exists", [("name",), ("checksum",)]),
    "save-cache": ("save_cache", [("name",), ("checksum",), ("save_dir",)]),
    "restore-cache": ("restore_cache", [("name",), ("checksum",), ("restore_dir",)]),
    "clear-cache": ("clear_cache", [("name",), ("checksum", None)]),
}


class _Usage(Exception):
    pass


def _parse(spec, argv):
    names = [s[0] for s in spec]
    values = {}
    positional = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--") and len(arg) > 2:
            key, eq, value = arg[2:].partition("=")
            key = key.replace("-", "_")
            if key == "local":
                i += 1
                continue
            if key == "id":
                value = value if eq else (argv[i + 1] if i + 1 < len(argv) else "")
                i += 1 if eq else 2
                own = os.environ.get("CONDUCTO_PIPELINE_ID") or os.environ.get("PIPEWRIGHT_PIPELINE")
                if value != own:
                    raise _Usage("--id %s: a node reaches only its own pipeline's data (%s)" % (value, own))
                continue
            kinds = {s[0]: (s[2] if len(s) > 2 else "str") for s in spec}
            if key not in kinds:
                raise _Usage("unknown option --%s" % arg[2:].partition("=")[0])
            if not eq and kinds[key] == "bool":
                value = "true"
            elif not eq:
                if i + 1 >= len(argv):
                    raise _Usage("--%s needs a value" % key)
                i += 1
                value = argv[i]
            values[key] = value
        else:
            positional.append(arg)
        i += 1
    free = [n for n in names if n not in values]
    if len(positional) > len(free):
        raise _Usage("too many arguments: %s" % " ".join(positional[len(free):]))
    values.update(zip(free, positional))
    out = []
    for s in spec:
        if s[0] in values:
            out.append(_convert(s[0], values[s[0]], s[2] if len(s) > 2 else "str"))
        elif len(s) > 1:
            out.append(s[1])
        else:
            raise _Usage("missing %s" % s[0].upper())
    return out


def _convert(name, value, kind):
    if kind == "bool":
        low = value.lower()
        if low in ("true", "1", "yes", "t", "y"):
            return True
        if low in ("false", "0", "no", "f", "n"):
            return False
        raise _Usage("--%s: %r is not true or false" % (name, value))
    if kind == "range":
        parts = value.replace("[", "").replace("]", "").split(",")
        try:
            begin, end = (int(p) for p in parts)
        except ValueError:
            raise _Usage("--byte-range: %r is not BEGIN,END" % value) from None
        return [begin, end]
    return value


def _usage(prog):
    lines = ["usage: %s COMMAND ARGS..." % prog]
    for cmd, (_m, spec) in _COMMANDS.items():
        args = " ".join(s[0].upper() if len(s) == 1 else "[%s]" % s[0].upper() for s in spec)
        lines.append("  %s %s" % (cmd, args))
    return "\n".join(lines) + "\n"


def _cli(argv, which=pipeline, prog="conducto-data-pipeline"):
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(_usage(prog)) if argv else sys.stderr.write(_usage(prog))
        return 0 if argv else 2
    cmd = argv[0]
    if cmd not in _COMMANDS:
        sys.stderr.write("%s: unknown command %r\n%s" % (prog, cmd, _usage(prog)))
        return 2
    method, spec = _COMMANDS[cmd]
    try:
        args = _parse(spec, argv[1:])
    except _Usage as e:
        sys.stderr.write("%s %s: %s\n" % (prog, cmd, e))
        return 2
    try:
        if cmd == "puts":
            text = args.pop()
            args.append(sys.stdin.buffer.read() if text is None else text)
        if cmd == "gets":
            sys.stdout.buffer.write(which.gets(args[0], byte_range=args[1]))
            return 0
        value = getattr(which, method)(*args)
    except (OSError, RuntimeError, ValueError, tarfile.TarError) as e:
        sys.stderr.write("%s %s: %s\n" % (prog, cmd, e))
        return 1
    if value is not None:
        print(json.dumps(value))
    return 0


def main_pipeline():
    return _cli(sys.argv[1:], pipeline, "conducto-data-pipeline")


def main_user():
    return _cli(sys.argv[1:], user, "conducto-data-user")


if __name__ == "__main__":
    sys.exit(main_pipeline())
