"""`Dataset`, after ClearML's, backed by the local store (storage.store_root()/datasets/<id>/):
inside a pipeline run that is the shared data folder, so one step creates a dataset and the
steps after it `Dataset.get(dataset_id=...)` it. A dataset's files are copied in by `upload()`
(or `finalize(auto_upload=True)`); `get_local_copy()` merges its parents' files and its own."""
import fnmatch
import json
import os
import shutil
import time
import uuid

from .logger import Logger
from .storage import store_root

META = "dataset.json"


def _root():
    return os.path.join(store_root(), "datasets")


class Dataset:
    def __init__(self, meta):
        self._meta = meta
        self._pending = []  # (source path, path inside the dataset) added, not uploaded yet

    id = property(lambda self: self._meta["id"])
    name = property(lambda self: self._meta["name"])
    project = property(lambda self: self._meta["project"])
    tags = property(lambda self: list(self._meta.get("tags") or []))

    @property
    def _folder(self):
        return os.path.join(_root(), self.id)

    def _save(self):
        os.makedirs(self._folder, exist_ok=True)
        path = os.path.join(self._folder, META)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(self._meta, f, indent=1, ensure_ascii=False)
        os.replace(path + ".tmp", path)

    @classmethod
    def create(cls, dataset_name=None, dataset_project=None, dataset_tags=None,
               parent_datasets=None, use_current_task=False, dataset_version=None,
               output_uri=None, description=None, **_ignored):
        parents = []
        for parent in parent_datasets or []:
            parents.append(parent.id if isinstance(parent, Dataset) else str(parent))
        for parent in parents:
            if not os.path.isfile(os.path.join(_root(), parent, META)):
                raise ValueError("Dataset.create: no parent dataset %r" % parent)
        meta = {"id": uuid.uuid4().hex, "name": dataset_name or "", "project":
                dataset_project or "", "version": dataset_version, "tags": list(dataset_tags or []),
                "parents": parents, "files": [], "finalized": False, "created": time.time(),
                "description": description}
        dataset = cls(meta)
        dataset._save()
        return dataset

    def add_files(self, path, wildcard=None, local_base_folder=None, dataset_path=None,
                  recursive=True, verbose=False, **_ignored):
        """Adds a file, or a folder's files (matching wildcard); returns how many."""
        if self._meta["finalized"]:
            raise ValueError("dataset %s is finalized: create a new one to add files" % self.id)
        path = os.path.abspath(os.fspath(path))
        if not os.path.exists(path):
            raise ValueError("Dataset.add_files: no such file or folder: %s" % path)
        patterns = [wildcard] if isinstance(wildcard, str) else list(wildcard or ["*"])
        prefix = (dataset_path or "").strip("/")
        found = []
        if os.path.isfile(path):
            found.append((path, os.path.basename(path)))
        else:
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                if not recursive:
                    dirs[:] = []
                for name in sorted(files):
                    if any(fnmatch.fnmatch(name, p) for p in patterns):
                        full = os.path.join(folder, name)
                        found.append((full, os.path.relpath(full, path)))
        for source, rel in found:
            rel = os.path.join(prefix, rel) if prefix else rel
            self._pending.append((source, rel.replace(os.sep, "/")))
        return len(found)

    def remove_files(self, dataset_path=None, **_ignored):
        before = len(self._meta["files"])
        self._meta["files"] = [f for f in self._meta["files"]
                               if not fnmatch.fnmatch(f, dataset_path or "*")]
        self._save()
        return before - len(self._meta["files"])

    def upload(self, show_progress=True, verbose=False, output_url=None, compression=None,
               **_ignored):
        files = os.path.join(self._folder, "files")
        for source, rel in self._pending:
            target = os.path.join(files, *rel.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
            if rel not in self._meta["files"]:
                self._meta["files"].append(rel)
        self._pending = []
        self._save()

    def finalize(self, verbose=False, raise_on_error=True, auto_upload=False):
        if self._pending:
            if not auto_upload:
                raise ValueError("dataset %s has files not uploaded: call upload() first, or "
                                 "finalize(auto_upload=True)" % self.id)
            self.upload()
        self._meta["finalized"] = True
        self._save()
        return True

    def is_final(self):
        return bool(self._meta["finalized"])

    def list_files(self, dataset_path=None, recursive=True, dataset_id=None):
        files = []
        for parent in self._meta["parents"]:
            files.extend(Dataset.get(dataset_id=parent).list_files())
        files.extend(self._meta["files"])
        return sorted(set(f for f in files if fnmatch.fnmatch(f, dataset_path or "*")))

    def get_local_copy(self, use_soft_links=None, part=None, num_parts=None, raise_on_error=True,
                       max_workers=None, **_ignored):
        """A folder with the dataset's files (its parents' first, its own over them)."""
        if not self._meta["parents"]:
            folder = os.path.join(self._folder, "files")
            os.makedirs(folder, exist_ok=True)
            return folder
        merged = os.path.join(self._folder, "merged")
        if not os.path.isdir(merged):
            tmp = merged + ".%s.tmp" % uuid.uuid4().hex
            for parent in self._meta["parents"]:
                shutil.copytree(Dataset.get(dataset_id=parent).get_local_copy(), tmp,
                                dirs_exist_ok=True)
            own = os.path.join(self._folder, "files")
            if os.path.isdir(own):
                shutil.copytree(own, tmp, dirs_exist_ok=True)
            os.makedirs(tmp, exist_ok=True)
            os.replace(tmp, merged)
        return merged

    def get_mutable_local_copy(self, target_folder, overwrite=False, **_ignored):
        shutil.copytree(self.get_local_copy(), target_folder, dirs_exist_ok=True)
        return target_folder

    def get_logger(self):
        return Logger.current_logger()

    @classmethod
    def get(cls, dataset_id=None, dataset_project=None, dataset_name=None, dataset_tags=None,
            only_completed=False, only_published=False, include_archived=False,
            auto_create=False, dataset_version=None, alias=None, **_ignored):
        """By id, or the newest finalized dataset of that project and name."""
        if dataset_id is not None:
            path = os.path.join(_root(), str(dataset_id), META)
            if not os.path.isfile(path):
                raise ValueError("no dataset with id %r (datasets are kept in %s)"
                                 % (dataset_id, _root()))
            with open(path, encoding="utf-8") as f:
                return cls(json.load(f))
        found = []
        for entry in os.listdir(_root()) if os.path.isdir(_root()) else []:
            path = os.path.join(_root(), entry, META)
            if not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8") as f:
                meta = json.load(f)
            if (dataset_name is None or meta["name"] == dataset_name) and \
                    (dataset_project is None or meta["project"] == dataset_project) and \
                    (dataset_version is None or meta.get("version") == dataset_version) and \
                    meta["finalized"]:
                found.append(meta)
        if not found:
            if auto_create:
                return cls.create(dataset_name=dataset_name, dataset_project=dataset_project)
            raise ValueError("no finalized dataset %s/%s" % (dataset_project or "*",
                                                             dataset_name or "*"))
        return cls(max(found, key=lambda m: m["created"]))

    def __repr__(self):
        return "<Dataset %s %s/%s>" % (self.id, self.project, self.name)
