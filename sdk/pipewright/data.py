"""Shared data, as Conducto's `co.data.pipeline`: a per-pipeline folder every node's container mounts.

    co.data.pipeline.puts("model/weights", b"...")     # in one node
    co.data.pipeline.gets("model/weights")             # in a later one

From a shell command: `python3 -m pipewright.data put NAME FILE` (get, puts, gets, list, exists,
delete), or use the folder $PIPEWRIGHT_DATA directly.
"""
import os
import shutil
import sys


class PipelineData:
    """Names are `/`-separated paths inside the pipeline's data folder."""

    def _root(self):
        root = os.environ.get("PIPEWRIGHT_DATA")
        if not root:
            raise RuntimeError("co.data.pipeline is only available inside a running pipeline "
                               "(PIPEWRIGHT_DATA is not set)")
        return root

    def _path(self, name):
        root = os.path.realpath(self._root())
        path = os.path.realpath(os.path.join(root, name.lstrip("/")))
        if path != root and not path.startswith(root + os.sep):
            raise ValueError("data name %r leaves the pipeline's data folder" % name)
        return path

    def put(self, name, file):
        """Copies a local file in under `name`."""
        dest = self._path(name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(file, dest + ".tmp")
        os.replace(dest + ".tmp", dest)

    def get(self, name, file):
        """Copies `name` out to a local file."""
        shutil.copyfile(self._path(name), file)

    def puts(self, name, obj):
        """Stores bytes (or str, as UTF-8) under `name`."""
        data = obj.encode("utf-8") if isinstance(obj, str) else bytes(obj)
        dest = self._path(name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest + ".tmp", "wb") as f:
            f.write(data)
        os.replace(dest + ".tmp", dest)

    def gets(self, name, byte_range=None):
        """Reads the bytes stored under `name` (optionally `byte_range=(start, end)`)."""
        with open(self._path(name), "rb") as f:
            if byte_range is None:
                return f.read()
            start, end = byte_range
            f.seek(start)
            return f.read(end - start)

    def exists(self, name):
        return os.path.isfile(self._path(name))

    def delete(self, name, recursive=False):
        path = self._path(name)
        if os.path.isdir(path):
            if not recursive:
                raise IsADirectoryError("%s is a folder; pass recursive=True" % name)
            shutil.rmtree(path)
        else:
            os.remove(path)

    def list(self, prefix=""):
        """Names stored under `prefix`, sorted."""
        root = os.path.realpath(self._root())
        base = self._path(prefix) if prefix else root
        names = []
        for folder, _dirs, files in os.walk(base):
            for f in files:
                if not f.endswith(".tmp"):
                    names.append(os.path.relpath(os.path.join(folder, f), root).replace(os.sep, "/"))
        return sorted(names)


pipeline = PipelineData()


def _cli(argv):
    usage = "usage: python3 -m pipewright.data put NAME FILE | get NAME FILE | puts NAME TEXT | gets NAME | list [PREFIX] | exists NAME | delete NAME"
    if not argv:
        sys.stderr.write(usage + "\n")
        return 2
    op, args = argv[0], argv[1:]
    try:
        if op in ("put", "get") and len(args) == 2:
            getattr(pipeline, op)(*args)
        elif op == "puts" and len(args) == 2:
            pipeline.puts(args[0], args[1])
        elif op == "gets" and len(args) == 1:
            sys.stdout.buffer.write(pipeline.gets(args[0]))
        elif op == "list" and len(args) <= 1:
            for name in pipeline.list(*args):
                print(name)
        elif op == "exists" and len(args) == 1:
            return 0 if pipeline.exists(args[0]) else 1
        elif op == "delete" and len(args) == 1:
            pipeline.delete(args[0], recursive=True)
        else:
            sys.stderr.write(usage + "\n")
            return 2
    except (OSError, RuntimeError, ValueError) as e:
        sys.stderr.write("pipewright.data: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
