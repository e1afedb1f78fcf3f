"""lmvp: fetch, publish and browse model versions on an lmvp-server from a notebook, with only the standard library.

    >>> import lmvp
    >>> path = lmvp.download("http://127.0.0.1:8080/alice/bert", "model.safetensors")
    >>> lmvp.show_history("http://127.0.0.1:8080/alice/bert")
    >>> lmvp.update("http://127.0.0.1:8080/alice/bert", "model.safetensors", "epoch 4", metrics={"loss": 0.31})

A name is http(s)://HOST[:PORT]/OWNER/NAME, or OWNER/NAME with the server in $LMVP_SERVER. The token comes from token=...,
$LMVP_TOKEN, or the file `lmvp login` writes; without one, public repositories are still readable.
"""

from .client import Repository, format_history, sha256_file
from .errors import AuthenticationError, ConflictError, LmvpError, NotFoundError, PermissionDeniedError
from .models import Commit, FileEntry, Provenance

__all__ = [
    "AuthenticationError", "Commit", "ConflictError", "FileEntry", "LmvpError", "NotFoundError", "PermissionDeniedError", "Provenance",
    "Repository", "download", "format_history", "history", "sha256_file", "showHistory", "show_history", "update",
]
__version__ = "0.1.0"


def download(name, path=None, revision="main", local_dir=None, *, token=None, server=None, cache_dir=None, force_download=False):
    """Downloads one file (`path`) or the whole snapshot of `revision`, verified; returns its local path."""
    with Repository(name, token=token, server=server, cache_dir=cache_dir) as repo:
        return repo.download(path, revision, local_dir, force_download)


def history(name, branch="main", limit=None, *, token=None, server=None):
    """The commits of `branch`, newest first, as Commit values (id, message, author, time, metrics, parents, tags, provenance)."""
    with Repository(name, token=token, server=server) as repo:
        return repo.history(branch, limit)


def show_history(name, branch="main", limit=None, *, token=None, server=None, file=None):
    """Prints the history of `branch` as a table with one column per metric."""
    with Repository(name, token=token, server=server) as repo:
        repo.show_history(branch, limit, file)


def update(name, path, message=None, metrics=None, branch="main", tag=None, *, params=None, path_in_repo=None, token=None, server=None):
    """Publishes a file, a directory, or a torch module / state dict as one new commit on `branch`; returns the Commit."""
    with Repository(name, token=token, server=server) as repo:
        return repo.update(path, message, metrics, branch, tag, path_in_repo, params)


#: The original LMVP spelling of show_history.
showHistory = show_history
