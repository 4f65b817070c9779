"""`StorageManager`, after ClearML's, without a server: local paths (and file:// URLs) are used
as they are; a file uploaded to a remote URL is kept in the run's store (the shared data folder's
`clearml/storage/`, or PIPEWRIGHT_HOME's outside a run) under that URL, so getting it back works
offline; any other http(s) URL is downloaded when it can be reached, else the error names it."""
import hashlib
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
import zipfile

TIMEOUT_S = 60


class StorageError(RuntimeError):
    pass


def store_root():
    data = os.environ.get("PIPEWRIGHT_DATA")
    if data:
        return os.path.join(data, "clearml", "storage")
    home = os.environ.get("PIPEWRIGHT_HOME") or os.path.join(os.path.expanduser("~"), ".pipewright")
    return os.path.join(home, "clearml-storage")


def _local_path(url):
    """The local path a URL names (a plain path or file://), or None for a remote URL."""
    parsed = urllib.parse.urlparse(str(url))
    if parsed.scheme == "file":
        return urllib.parse.unquote(parsed.path)
    if parsed.scheme in ("", ) or len(parsed.scheme) == 1:  # a path (or C:\ on Windows)
        return os.path.expanduser(str(url))
    return None


def _stored_path(url):
    """Where the store keeps a file uploaded to this remote URL."""
    parsed = urllib.parse.urlparse(str(url))
    parts = [parsed.scheme, parsed.netloc] + [p for p in parsed.path.split("/") if p]
    safe = [p for p in parts if p and p not in (".", "..")]
    return os.path.join(store_root(), *safe)


def _extract(path):
    if not zipfile.is_zipfile(path):
        return path
    target = path + ".extracted"
    if not os.path.isdir(target):
        with zipfile.ZipFile(path) as archive:
            archive.extractall(target + ".tmp")
        os.replace(target + ".tmp", target)
    return target


class StorageManager:
    @classmethod
    def get_local_copy(cls, remote_url, cache_context=None, extract_archive=True, name=None,
                       force_download=False):
        """A local path to the file: the path itself, the run's stored copy, or a download."""
        if remote_url is None or str(remote_url) == "":
            raise StorageError("StorageManager.get_local_copy: no URL given")
        local = _local_path(remote_url)
        if local is not None:
            if not os.path.exists(local):
                raise StorageError("StorageManager.get_local_copy(%r): no such file" % remote_url)
            return local
        stored = _stored_path(remote_url)
        if os.path.exists(stored):
            return _extract(stored) if extract_archive and os.path.isfile(stored) else stored
        scheme = urllib.parse.urlparse(str(remote_url)).scheme
        if scheme not in ("http", "https"):
            raise StorageError("StorageManager.get_local_copy(%r): %s:// storage is not "
                               "available here (only local paths, http(s) and files uploaded "
                               "in this run)" % (remote_url, scheme))
        digest = hashlib.sha256(str(remote_url).encode("utf-8")).hexdigest()[:32]
        basename = name or os.path.basename(urllib.parse.unquote(
            urllib.parse.urlparse(str(remote_url)).path)) or "download"
        folder = os.path.join(store_root(), "cache", digest)
        target = os.path.join(folder, basename)
        if force_download or not os.path.isfile(target):
            os.makedirs(folder, exist_ok=True)
            try:
                with urllib.request.urlopen(str(remote_url), timeout=TIMEOUT_S) as response, \
                        open(target + ".part", "wb") as out:
                    shutil.copyfileobj(response, out)
            except (urllib.error.URLError, OSError, ValueError) as err:
                reason = getattr(err, "reason", None) or err
                raise StorageError("StorageManager.get_local_copy: cannot download %s: %s"
                                   % (remote_url, reason)) from None
            os.replace(target + ".part", target)
        return _extract(target) if extract_archive else target

    @classmethod
    def download_file(cls, remote_url, local_folder=None, overwrite=False, skip_zero_size_check=False,
                      silence_errors=False):
        path = cls.get_local_copy(remote_url, extract_archive=False)
        if local_folder is None:
            return path
        os.makedirs(local_folder, exist_ok=True)
        target = os.path.join(local_folder, os.path.basename(path))
        if overwrite or not os.path.exists(target):
            shutil.copyfile(path, target)
        return target

    @classmethod
    def upload_file(cls, local_file, remote_url, wait_for_upload=True, retries=None):
        """Copies the file to a local destination, or into the run's store under a remote URL
        (get_local_copy(remote_url) finds it there). Returns remote_url."""
        if not os.path.isfile(local_file):
            raise StorageError("StorageManager.upload_file(%r): no such file" % (local_file,))
        local = _local_path(remote_url)
        target = local if local is not None else _stored_path(remote_url)
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        shutil.copyfile(local_file, target + ".part")
        os.replace(target + ".part", target)
        return remote_url

    @classmethod
    def upload_folder(cls, local_folder, remote_url, match_wildcard=None, retries=None):
        local = _local_path(remote_url)
        target = local if local is not None else _stored_path(remote_url)
        shutil.copytree(local_folder, target, dirs_exist_ok=True)
        return remote_url

    @classmethod
    def exists_file(cls, remote_url):
        local = _local_path(remote_url)
        return os.path.isfile(local if local is not None else _stored_path(remote_url))

    @classmethod
    def set_cache_file_limit(cls, cache_file_limit, cache_context=None):
        return cache_file_limit
