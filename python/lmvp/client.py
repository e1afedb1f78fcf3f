"""A repository on an lmvp-server, from Python: download files or snapshots, list history, publish new versions."""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

from . import config
from .errors import ConflictError, LmvpError, NotFoundError
from .hashcache import HashCache, sha256_file
from .models import Commit, FileEntry, to_json_number
from .progress import Progress
from .transport import CONNECTION_ERRORS, Transport, quote_path

#: Bytes per upload request (a cut-off request costs at most this much again).
PART_BYTES = 64 * 1024 * 1024

#: Times a broken transfer is resumed before giving up.
RETRIES = 4

_BUFFER = 1024 * 1024
_SKIPPED_DIRECTORIES = {".lmvp", ".git"}


class Repository:
    """One repository on one server, e.g. Repository("http://127.0.0.1:8080/alice/bert")."""

    def __init__(self, name, token=None, server=None, cache_dir=None, timeout=60.0):
        self.server, self.owner, self.name = config.split_repository(name, server)
        self._transport = Transport(self.server, config.find_token(self.server, token), timeout)
        self._api = f"/api/v1/repos/{quote_path(self.owner)}/{quote_path(self.name)}"
        self._cache = os.path.join(cache_dir or config.cache_directory(), _server_key(self.server), self.owner, self.name)

    def close(self):
        """Closes the connection."""
        self._transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def full_name(self):
        """owner/name."""
        return f"{self.owner}/{self.name}"

    # ---- reading ----

    def commit(self, revision="main"):
        """The commit a revision names: a branch, tag, full or short id, or HEAD~N."""
        return Commit.from_json(self._transport.json("GET", f"{self._api}/commits/{quote_path(revision)}"))

    def history(self, branch="main", limit=None):
        """Commits reachable from `branch` (any revision), newest first; at most `limit` of them."""
        commits, cursor = [], None
        while limit is None or len(commits) < limit:
            page = 1000 if limit is None else min(1000, limit - len(commits))
            query = f"?rev={quote_path(branch)}&limit={page}" + (f"&cursor={cursor}" if cursor else "")
            data = self._transport.json("GET", f"{self._api}/commits{query}")
            commits.extend(Commit.from_json(c) for c in data["commits"])
            cursor = data.get("nextCursor")
            if not cursor:
                break
        return commits

    def show_history(self, branch="main", limit=None, file=None):
        """Prints the history as a table with one column per metric."""
        print(format_history(self.history(branch, limit)), file=file or sys.stdout)

    def files(self, revision="main", path=""):
        """The files at a revision (below `path`), with their SHA-256 where the server knows it."""
        data = self._transport.json("GET", f"{self._api}/tree/{quote_path(revision)}/{quote_path(path)}?recursive=true")
        return [FileEntry.from_json(e) for e in data["entries"] if e["type"] == "file"]

    def digests(self, revision, paths):
        """The files at `paths` with their SHA-256 (the server computes those it does not know yet)."""
        entries = []
        for start in range(0, len(paths), 1000):
            data = self._transport.json("POST", f"{self._api}/digests", {"revision": revision, "paths": list(paths[start:start + 1000])})
            entries.extend(FileEntry.from_json(e) for e in data["files"])
        return entries

    def download(self, path=None, revision="main", local_dir=None, force_download=False):
        """Downloads one file (`path`) or the whole snapshot of `revision`, resumably and verified against the server's
        SHA-256; returns the local path of the file, or of the snapshot's directory. Files already in the cache are not
        fetched again (unless `force_download`)."""
        commit = self.commit(revision)
        if path is not None:
            wanted = self.digests(commit.id, [path.strip("/")])
        else:
            listed = self.files(commit.id)
            unknown = [e.path for e in listed if not e.sha256]
            known = {e.path: e for e in self.digests(commit.id, unknown)} if unknown else {}
            wanted = [known.get(e.path, e) for e in listed]
        root = local_dir or os.path.join(self._cache, "snapshots", commit.id)
        for entry in wanted:
            blob = self._fetch_blob(commit.id, entry, force_download)
            _place(blob, os.path.join(root, *entry.path.split("/")), copy=local_dir is not None)
        return os.path.join(root, *path.strip("/").split("/")) if path is not None else root

    # ---- writing ----

    def update(self, source, message=None, metrics=None, branch="main", tag=None, path_in_repo=None, params=None):
        """Publishes a file, a directory (the branch's files become the directory's), or a torch module or state dict
        (saved with torch.save as `path_in_repo`, default model.pt) as one new commit on `branch`. Only files whose SHA-256
        differs from the branch's are uploaded; when nothing differs no commit is made and the branch's head is returned.
        `metrics` may hold NaN and infinities (a diverged run); `params` are hyperparameters, numbers or strings."""
        with tempfile.TemporaryDirectory(prefix="lmvp-") as scratch:
            if not isinstance(source, (str, bytes, os.PathLike)):
                path_in_repo = path_in_repo or "model.pt"
                source = _save_torch(source, os.path.join(scratch, os.path.basename(path_in_repo)))
            source = os.fspath(source)
            if os.path.isdir(source):
                prefix = (path_in_repo or "").strip("/")
                local = {(prefix + "/" if prefix else "") + rel: full for rel, full in _walk(source)}
                mirror = prefix
            elif os.path.isfile(source):
                local = {(path_in_repo or os.path.basename(source)).strip("/"): source}
                mirror = None
            else:
                raise LmvpError(f"{source}: no such file or directory")
            return self._commit_files(local, mirror, branch, message, metrics, params, tag, source)

    def tag(self, name, revision="main", force=False):
        """Points tag `name` at a revision (moving it only with force); returns the commit id."""
        data = self._transport.json("PUT", f"{self._api}/tags/{quote_path(name)}", {"target": revision, "force": force})
        return data["commit"]

    def _commit_files(self, local, mirror, branch, message, metrics, params, tag, source):
        try:
            head = self.commit(branch)
        except NotFoundError:
            self._transport.json("GET", self._api)  # the repository itself must exist: that error wins
            head = None
        remote = {e.path: e for e in self.files(head.id)} if head else {}
        sizes = {p: os.path.getsize(f) for p, f in local.items()}
        known = HashCache(os.path.join(config.cache_directory(), "hashes.json"))
        hashes = {p: known.sha256(f) for p, f in local.items()}
        known.save()
        unknown = [p for p in local if p in remote and remote[p].size == sizes[p] and not remote[p].sha256]
        for entry in self.digests(head.id, unknown) if unknown else []:
            remote[entry.path] = entry
        changed = [p for p in sorted(local) if p not in remote or remote[p].sha256 != hashes[p]]
        deletes = []
        if mirror is not None:
            under = mirror + "/" if mirror else ""
            deletes = sorted(p for p in remote if p.startswith(under) and p not in local)
        if not changed and not deletes:
            return head
        files = [{"path": p, "upload": self._upload(local[p], sizes[p], hashes[p])} for p in changed]
        request = {
            "branch": branch,
            "message": message or "update " + ", ".join(changed + [f"-{d}" for d in deletes])[:200],
            "parent": head.id if head else None,
            "metrics": {k: to_json_number(v) for k, v in (metrics or {}).items()},
            "params": {k: v if isinstance(v, str) else float(v) for k, v in (params or {}).items()},
            "files": files,
            "delete": deletes,
            "tag": tag,
            "provenance": _git_provenance(source),
        }
        try:
            return Commit.from_json(self._transport.json("POST", f"{self._api}/commits", request))
        except ConflictError as e:
            raise ConflictError(f"{e} (branch {branch} moved while updating; nothing was committed)", 409) from None

    def _upload(self, path, size, sha256):
        """Uploads one file in parts, resuming after a broken request; returns the finished upload's id."""
        upload = self._transport.json("POST", f"{self._api}/uploads", {"size": size})
        url = f"{self._api}/uploads/{upload['id']}"
        offset, failures = 0, 0
        progress = Progress("uploading", os.path.basename(path), size)
        with open(path, "rb") as f:
            while offset < size:
                n = min(PART_BYTES, size - offset)
                f.seek(offset)
                try:
                    response = self._transport.send("PATCH", url, _Part(f, n, progress), {
                        "Content-Type": "application/octet-stream", "Content-Length": str(n), "Upload-Offset": str(offset)})
                    data = response.read()
                except CONNECTION_ERRORS as e:
                    failures += 1
                    if failures > RETRIES:
                        raise LmvpError(f"uploading {path} to {self.server} failed {failures} times ({e}); run update again to resume") from None
                    offset = self._transport.json("GET", url)["offset"]  # where the server's copy ends
                    continue
                if response.status == 409 and response.getheader("Upload-Offset"):
                    offset = int(response.getheader("Upload-Offset"))
                    continue
                self._transport.raise_for_status(response, data)
                offset = int(response.getheader("Upload-Offset"))
        progress.finish()
        self._transport.json("POST", f"{url}/finish", {"sha256": sha256})
        return upload["id"]

    def _fetch_blob(self, commit_id, entry, force):
        """The cached copy of a file, downloaded (resuming a partial one) and verified if it is not there yet."""
        if not entry.sha256:
            raise LmvpError(f"{self.server} did not give the SHA-256 of {entry.path}")
        blobs = os.path.join(self._cache, "blobs")
        os.makedirs(blobs, exist_ok=True)
        blob = os.path.join(blobs, entry.sha256)
        if not force and os.path.isfile(blob) and os.path.getsize(blob) == entry.size:
            return blob
        partial = blob + ".incomplete"
        url = f"{self._api}/resolve/{commit_id}/{quote_path(entry.path)}"
        progress = Progress("downloading", entry.path, entry.size)
        hashed = _Hashed()
        failures = 0
        while True:
            try:
                if self._resume(url, entry, partial, progress, hashed):
                    break
            except CONNECTION_ERRORS as e:
                failures += 1
                if failures > RETRIES:
                    raise LmvpError(f"downloading {entry.path} from {self.server} failed {failures} times ({e}); run download again to resume") from None
        progress.finish()
        if hashed.digest.hexdigest() != entry.sha256:
            os.remove(partial)
            raise LmvpError(f"{entry.path} from {self.server} does not match its SHA-256 {entry.sha256}: it was damaged on the way and not kept; download again")
        os.replace(partial, blob)
        return blob

    def _resume(self, url, entry, partial, progress, hashed):
        """One request for the rest of a file, hashing as it arrives; True when the partial copy is complete."""
        have = os.path.getsize(partial) if os.path.exists(partial) else 0
        if have > entry.size:
            os.remove(partial)
            have = 0
        if have < entry.size:
            headers = {"Range": f"bytes={have}-", "If-Range": f'"{entry.id}"'} if have else {}
            response = self._transport.send("GET", url, headers=headers)
            if response.status == 200:
                have = 0
            elif response.status != 206:
                self._transport.raise_for_status(response)
            if response.getheader("X-Lmvp-File-Id") not in (None, entry.id):
                response.close()
                raise LmvpError(f"{self.server} answered with another file for {entry.path}")
        else:
            response = None
        hashed.catch_up(partial, have)
        if response is None:
            return True
        with open(partial, "r+b" if have else "wb") as f:
            f.seek(have)
            f.truncate()
            buffer = bytearray(_BUFFER)
            view = memoryview(buffer)
            while True:
                n = response.readinto(buffer)
                if not n:
                    break
                f.write(view[:n])
                hashed.update(view[:n])
                progress.advance(n)
        return os.path.getsize(partial) == entry.size


class _Hashed:
    """The SHA-256 of a partial download's first `count` bytes, carried across resumed requests."""

    def __init__(self):
        self.digest = hashlib.sha256()
        self.count = 0

    def update(self, data):
        self.digest.update(data)
        self.count += len(data)

    def catch_up(self, path, length):
        """Makes the digest cover exactly the file's first `length` bytes (reading from disk what it has not seen)."""
        if length < self.count:
            self.digest, self.count = hashlib.sha256(), 0
        if length > self.count:
            with open(path, "rb", buffering=0) as f:
                f.seek(self.count)
                buffer = bytearray(_BUFFER)
                while self.count < length:
                    n = f.readinto(memoryview(buffer)[:min(_BUFFER, length - self.count)])
                    if not n:
                        raise LmvpError(f"{path} shrank while it was being resumed")
                    self.update(memoryview(buffer)[:n])


class _Part:
    """`n` bytes of an open file from its position, read in large blocks, as an upload body."""

    def __init__(self, f, n, progress):
        self._f, self._left, self._progress = f, n, progress

    def read(self, size=-1):
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._f.read(min(size, _BUFFER * 4))
        self._left -= len(data)
        self._progress.advance(len(data))
        return data


def format_history(commits):
    """The table show_history prints: one row per commit, one column per metric (6 significant digits)."""
    names = sorted({m for c in commits for m in c.metrics})
    header = ["commit", "time", *names, "refs", "message"]
    rows = [header]
    for c in commits:
        refs = ", ".join(c.branches + [f"tag: {t}" for t in c.tags])
        values = [_number(c.metrics[n]) if n in c.metrics else "" for n in names]
        rows.append([c.short_id, c.time.strftime("%Y-%m-%d %H:%M"), *values, refs, c.subject[:60]])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    numeric = set(range(2, 2 + len(names)))
    lines = ["  ".join(cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
    return "\n".join(lines)


def _number(value):
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    return format(value, ".6g")


def _server_key(server):
    return server.split("://", 1)[1].replace(":", "_").replace("/", "_")


def _walk(directory):
    """(relative path, full path) of every file below a directory, skipping .lmvp and .git."""
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRECTORIES)
        for name in sorted(names):
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full):
                yield os.path.relpath(full, directory).replace(os.sep, "/"), full


def _place(blob, target, copy):
    """Puts a cached file at `target`: a hard link into the cache's snapshot, a copy into a directory of the user's."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.exists(target):
        if not copy and os.path.samefile(blob, target):
            return
        os.remove(target)
    if not copy:
        try:
            os.link(blob, target)
            return
        except OSError:
            pass
    temp = target + ".lmvp-tmp"
    shutil.copyfile(blob, temp)
    os.replace(temp, target)


def _save_torch(model, path):
    try:
        import torch  # noqa: PLC0415 - only when a model object is given
    except ImportError:
        raise LmvpError("update() was given an object, not a path, and torch is not importable to save it") from None
    state = model.state_dict() if isinstance(model, torch.nn.Module) else model
    torch.save(state, path)
    return path


def _git_provenance(source):
    """The git commit of the code around `source` (or the current directory), if git knows one."""
    directory = os.getcwd()

    def git(*args):
        return subprocess.run(["git", "-C", directory, *args], capture_output=True, text=True, timeout=10, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return None
    provenance = {"gitCommit": commit, "dirty": False}
    try:
        provenance["dirty"] = bool(git("status", "--porcelain", "--untracked-files=no"))
        branch = git("rev-parse", "--abbrev-ref", "HEAD")
        provenance["branch"] = None if branch == "HEAD" else branch
        provenance["originUrl"] = git("remote", "get-url", "origin")
    except (OSError, subprocess.SubprocessError):
        pass
    _ = source
    return provenance
