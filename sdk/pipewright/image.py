"""co.Image: how to get the container image a node runs in."""
import os

from .errors import DefinitionError
from .frames import user_frame


def _str_list(name, value):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise DefinitionError("Image %s=%r is invalid: expected a list of strings" % (name, value))
    return list(value)


class Image:
    """An image by name, or built from a Dockerfile / copied folder. Relative paths are taken
    against the folder of the file that creates the Image, and stored absolute."""

    __slots__ = ("name", "dockerfile", "dockerfile_text", "context", "copy_dir",
                 "install_packages", "install_pip", "path_map", "_json")

    def __init__(self, name=None, dockerfile=None, dockerfile_text=None, context=None,
                 copy_dir=None, install_packages=None, install_pip=None, path_map=None,
                 image=None, reqs_py=None, reqs_packages=None):
            # Conducto spelled these image=, reqs_py=, reqs_packages=; accept both.
        name = name if name is not None else image
        install_pip = install_pip if install_pip is not None else reqs_py
        install_packages = install_packages if install_packages is not None else reqs_packages
        f = user_frame()
        base = os.path.dirname(os.path.abspath(f.f_code.co_filename)) \
            if f is not None and not f.f_code.co_filename.startswith("<") else os.getcwd()

        def path(key, value):
            if value is None:
                return None
            if not isinstance(value, str) or not value:
                raise DefinitionError("Image %s=%r is invalid: expected a path" % (key, value))
            return os.path.normpath(os.path.join(base, os.path.expanduser(value)))

        for key, value in (("name", name), ("dockerfile_text", dockerfile_text)):
            if value is not None and not isinstance(value, str):
                raise DefinitionError("Image %s=%r is invalid: expected a string" % (key, value))
        if dockerfile is not None and dockerfile_text is not None:
            raise DefinitionError("Image takes dockerfile= or dockerfile_text=, not both")
        if path_map is not None and not (isinstance(path_map, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in path_map.items())):
            raise DefinitionError("Image path_map=%r is invalid: expected a dict of str to str"
                                  % (path_map,))
        self.name = name
        self.dockerfile = path("dockerfile", dockerfile)
        self.dockerfile_text = dockerfile_text
        self.context = path("context", context)
        self.copy_dir = path("copy_dir", copy_dir)
        self.install_packages = _str_list("install_packages", install_packages)
        self.install_pip = _str_list("install_pip", install_pip)
        self.path_map = {path("path_map", k): v for k, v in (path_map or {}).items()}
        self._json = None

    def to_json(self):
        """The Image object of docs/pipeline-json.md (computed once: images are shared widely)."""
        if self._json is None:
            self._json = {
                "name": self.name, "dockerfile": self.dockerfile,
                "dockerfile_text": self.dockerfile_text, "context": self.context,
                "copy_dir": self.copy_dir, "install_packages": self.install_packages,
                "install_pip": self.install_pip, "path_map": self.path_map,
            }
        return self._json

    def __repr__(self):
        set_fields = ", ".join("%s=%r" % (k, v) for k, v in self.to_json().items() if v)
        return "Image(%s)" % set_fields
