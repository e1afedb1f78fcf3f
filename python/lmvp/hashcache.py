"""SHA-256 of local files remembered by what stat says about them, as git's index does, so an unchanged file is not
read again by the next update."""

import hashlib
import json
import os
import tempfile
import time

_BUFFER = 1024 * 1024

# A file modified just after it was hashed can keep the mtime of the version hashed when timestamps are coarse: an entry
# whose mtime is this close to (or after) the moment of hashing is "racily clean" and is hashed again, as git does.
# File systems with whole-second timestamps (FAT has 2 s) get the wide window; the others tick in milliseconds.
_RACY_NS_COARSE = 2_000_000_000
_RACY_NS_FINE = 100_000_000


def sha256_file(path):
    """The SHA-256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        buffer = bytearray(_BUFFER)
        view = memoryview(buffer)
        while True:
            n = f.readinto(buffer)
            if not n:
                break
            digest.update(view[:n])
    return digest.hexdigest()


class HashCache:
    """A JSON file of {absolute path: [size, mtime_ns, ctime_ns, inode, sha256, hashed_at_ns]}; an entry counts only
    while all four stat fields still match (ctime changes on every write, even one that forges mtime back)."""

    def __init__(self, path):
        self._path = path
        self._changed = False
        try:
            with open(path, encoding="utf-8") as f:
                self._entries = json.load(f)
            if not isinstance(self._entries, dict):
                self._entries = {}
        except (OSError, ValueError):
            self._entries = {}  # missing or damaged: start afresh, it is only a cache

    def sha256(self, path):
        """The file's SHA-256, from the cache when stat says it has not changed since it was hashed."""
        key = os.path.abspath(path)
        st = os.stat(key)
        fingerprint = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        entry = self._entries.get(key)
        window = _RACY_NS_FINE if st.st_mtime_ns % 1_000_000_000 else _RACY_NS_COARSE
        if isinstance(entry, list) and len(entry) == 6 and entry[:4] == fingerprint and entry[5] - st.st_mtime_ns > window:
            return entry[4]
        hashed_at = time.time_ns()
        digest = sha256_file(key)
        self._entries[key] = fingerprint + [digest, hashed_at]
        self._changed = True
        return digest

    def save(self):
        """Writes the cache atomically (a concurrent writer's entries may be lost, never mixed into a damaged file)."""
        if not self._changed:
            return
        directory = os.path.dirname(self._path)
        try:
            os.makedirs(directory, exist_ok=True)
            live = {k: v for k, v in self._entries.items() if os.path.exists(k)}
            fd, temp = tempfile.mkstemp(prefix=".hashes-", dir=directory)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(live, f, separators=(",", ":"))
            os.replace(temp, self._path)
            self._changed = False
        except OSError:
            pass  # a read-only or full cache directory costs the next update a re-hash, nothing else
