"""co.Image: how to get the container image a node runs in."""
import os
import re
import subprocess

from .errors import DefinitionError
from .frames import user_frame

#: Where copy_dir / copy_url / copy_repo code lands in the image (the runner's COPY_DIR_TARGET).
COPY_TARGET = "/pipewright/src"

#: Directories registered with Image.share_directory (name -> absolute path), for this definition.
SHARED_DIRECTORIES = {}

# Conducto sanitizes share names to these characters (imagepath._sanitize_git_url).
_SHARE_NAME = re.compile(r"^[A-Za-z0-9@/._-]+$")


def _str_list(name, value):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise DefinitionError("Image %s=%r is invalid: expected a list of strings" % (name, value))
    return list(value)


def _caller_dir():
    """The folder of the user's file that made the call (relative paths start there)."""
    f = user_frame()
    if f is not None and not f.f_code.co_filename.startswith("<"):
        return os.path.dirname(os.path.abspath(f.f_code.co_filename))
    return os.getcwd()


def _is_remote_url(url):
    """A URL git fetches over the network (scheme://, or scp-like user@host:path)."""
    return "://" in url or re.match(r"^[^/\\]+@[^/\\]+:", url) is not None


def _git(args, cwd):
    try:
        out = subprocess.run(["git"] + args, cwd=cwd, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode("utf-8", "replace").strip() or None


def _git_root(start):
    """The top of the git work tree holding `start` (a `.git` folder or file), else None."""
    d = start
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


class Image:
    """An image by name, or built from a Dockerfile / copied folder / git repository. Relative
    paths are taken against the folder of the file that creates the Image, and stored absolute.

    As in Conducto, `image` (the first argument) is the image to start from and `name` only a
    name to refer to this Image by: it never chooses the image."""

    __slots__ = ("image", "name", "dockerfile", "dockerfile_text", "context", "copy_dir",
                 "copy_url", "copy_branch", "copy_repo", "install_packages", "install_pip",
                 "install_docker", "path_map", "error", "_json")

    def __init__(self, image=None, dockerfile=None, dockerfile_text=None, context=None,
                 copy_dir=None, install_packages=None, install_pip=None, path_map=None,
                 name=None, reqs_py=None, reqs_packages=None, copy_url=None, copy_branch=None,
                 copy_repo=None, install_docker=False, reqs_docker=False):
        # Conducto spelled these reqs_py=, reqs_packages=, reqs_docker=; accept both.
        install_pip = install_pip if install_pip is not None else reqs_py
        install_packages = install_packages if install_packages is not None else reqs_packages
        install_docker = install_docker or reqs_docker
        base = _caller_dir()

        def path(key, value):
            if value is None:
                return None
            if not isinstance(value, str) or not value:
                raise DefinitionError("Image %s=%r is invalid: expected a path" % (key, value))
            return os.path.normpath(os.path.join(base, os.path.expanduser(value)))

        for key, value in (("image", image), ("name", name), ("dockerfile_text", dockerfile_text),
                           ("copy_url", copy_url), ("copy_branch", copy_branch)):
            if value is not None and (not isinstance(value, str) or not value):
                raise DefinitionError("Image %s=%r is invalid: expected a non-empty string"
                                      % (key, value))
        for key, value in (("install_docker", install_docker), ("copy_repo", copy_repo)):
            if value is not None and not isinstance(value, bool):
                raise DefinitionError("Image %s=%r is invalid: expected True or False"
                                      % (key, value))
        if sum(v is not None for v in (image, dockerfile, dockerfile_text)) > 1:
            raise DefinitionError("Image takes at most one of image=, dockerfile= and "
                                  "dockerfile_text=")
        if path_map is not None and not (isinstance(path_map, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in path_map.items())):
            raise DefinitionError("Image path_map=%r is invalid: expected a dict of str to str"
                                  % (path_map,))
        self.image = image
        self.name = name
        self.dockerfile = path("dockerfile", dockerfile)
        self.dockerfile_text = dockerfile_text
        self.context = path("context", context)
        self.copy_dir = path("copy_dir", copy_dir)
        self.copy_url = copy_url
        self.copy_branch = copy_branch
        self.copy_repo = bool(copy_repo)
        self.install_packages = _str_list("install_packages", install_packages)
        self.install_pip = _str_list("install_pip", install_pip)
        self.install_docker = bool(install_docker)
        self.path_map = {path("path_map", k): v for k, v in (path_map or {}).items()}
        self.error = None
        if self.copy_repo:
            self._copy_repo(base)
        self._check_copy_source(base)
        self._json = None

    def _copy_repo(self, base):
        """copy_repo=True: the git repository of the defining file; its local work tree, or with
        copy_branch that branch of the repository's origin (Conducto's two modes)."""
        if self.copy_dir is not None or self.copy_url is not None:
            raise DefinitionError("Image copy_repo=True takes neither copy_dir= nor copy_url=: "
                                  "it copies the git repository of this file")
        root = _git_root(base)
        if root is None:
            # As in Conducto, the tree still loads (and prints); a node using the image fails
            # with this message when the runner prepares it.
            where = DefinitionError("")
            self.error = "%s:%s: Image copy_repo=True, but %s is not inside a git repository" % (
                where.file, where.line, base)
            return
        if self.copy_branch:
            self.copy_url = _git(["config", "--get", "remote.origin.url"], root) or root
        else:
            self.copy_dir = root
        self.path_map.setdefault(root, COPY_TARGET)
        if self.context is None and (self.dockerfile or self.dockerfile_text):
            self.context = root

    def _check_copy_source(self, base):
        if self.copy_dir is not None and self.copy_url is not None:
            raise DefinitionError("Image takes copy_dir= or copy_url=, not both")
        if self.copy_url is not None:
            if self.copy_url.startswith("s3://"):
                raise DefinitionError("Image copy_url=%r: s3:// URLs are not supported; use a git "
                                      "repository" % self.copy_url)
            if not self.copy_branch:
                raise DefinitionError("Image copy_url=%r needs copy_branch= (the branch to clone)"
                                      % self.copy_url)
            if not _is_remote_url(self.copy_url):
                # A repository on this machine: stored absolute, like the other paths.
                local = self.copy_url[len("file://"):] if self.copy_url.startswith("file://") \
                    else self.copy_url
                self.copy_url = os.path.normpath(os.path.join(base, os.path.expanduser(local)))
        elif self.copy_branch is not None:
            raise DefinitionError("Image copy_branch=%r needs copy_url= or copy_repo=True (the "
                                  "repository to clone)" % self.copy_branch)

    @staticmethod
    def share_directory(name, relative):
        """Conducto's named share: `relative` (from the calling file's folder) is known as `name`
        while this definition runs. Conducto kept the name in the user's profile so that another
        machine could map it to its own copy; here the runner runs where the definition is
        evaluated, so the name only has to be valid and the folder real."""
        if not isinstance(name, str) or not _SHARE_NAME.match(name):
            raise DefinitionError("Image.share_directory name %r is invalid: expected letters, "
                                  "digits and @ / . _ -" % (name,))
        if not isinstance(relative, str) or not relative:
            raise DefinitionError("Image.share_directory(%r, %r): expected a path to a folder"
                                  % (name, relative))
        path = os.path.normpath(os.path.join(_caller_dir(), os.path.expanduser(relative)))
        if not os.path.isdir(path):
            raise DefinitionError("Image.share_directory(%r, %r): %s is not a folder"
                                  % (name, relative, path))
        SHARED_DIRECTORIES[name] = path
        return path

    register_directory = share_directory

    def to_json(self):
        """The Image object of docs/pipeline-json.md (computed once: images are shared widely).
        `name` there is the image to run; the fields Conducto added appear only when set, so
        pipelines that do not use them keep their JSON."""
        if self._json is None:
            j = {
                "name": self.image, "dockerfile": self.dockerfile,
                "dockerfile_text": self.dockerfile_text, "context": self.context,
                "copy_dir": self.copy_dir, "install_packages": self.install_packages,
                "install_pip": self.install_pip, "path_map": self.path_map,
            }
            if self.name is not None:
                j["reference_name"] = self.name
            if self.copy_url is not None:
                j["copy_url"] = self.copy_url
                j["copy_branch"] = self.copy_branch
            if self.install_docker:
                j["install_docker"] = True
            if self.error is not None:
                j["error"] = self.error
            self._json = j
        return self._json

    def __repr__(self):
        set_fields = ", ".join("%s=%r" % (k, v) for k, v in self.to_json().items() if v)
        return "Image(%s)" % set_fields
