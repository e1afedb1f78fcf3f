"""What the API answers, as Python values."""

import datetime
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

_NAMED_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def to_float(value):
    """A metric value as the API sends it (a number, or "NaN"/"Infinity"/"-Infinity") as a float."""
    return _NAMED_FLOATS[value] if isinstance(value, str) else float(value)


def to_json_number(value):
    """A metric for the API's JSON: a finite number as it is, NaN and the infinities as the strings the server reads."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def parse_time(text):
    """An ISO 8601 time from the API."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Provenance:
    """The git commit of the code a model was trained with."""

    git_commit: str
    branch: Optional[str] = None
    dirty: bool = False
    origin_url: Optional[str] = None
    dirty_files: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class Commit:
    """One version of a repository."""

    id: str
    short_id: str
    message: str
    author: str
    time: datetime.datetime
    metrics: Dict[str, float] = field(default_factory=dict)
    params: Dict[str, Union[float, str]] = field(default_factory=dict)
    parents: List[str] = field(default_factory=list)
    tags: List[str] = field(default_factory=list)
    branches: List[str] = field(default_factory=list)
    provenance: Optional[Provenance] = None

    @property
    def subject(self):
        """The message's first line."""
        return self.message.split("\n", 1)[0]

    @classmethod
    def from_json(cls, data):
        """A commit from the API's JSON."""
        p = data.get("provenance")
        return cls(
            id=data["id"],
            short_id=data["shortId"],
            message=data["message"],
            author=data["author"],
            time=parse_time(data["time"]),
            metrics={k: to_float(v) for k, v in data.get("metrics", {}).items()},
            params=dict(data.get("params", {})),
            parents=list(data.get("parents", [])),
            tags=list(data.get("tags", [])),
            branches=list(data.get("branches", [])),
            provenance=Provenance(p["gitCommit"], p.get("branch"), bool(p.get("dirty")), p.get("originUrl"), list(p.get("dirtyFiles") or [])) if p else None,
        )


@dataclass(frozen=True)
class FileEntry:
    """A file of a snapshot."""

    path: str
    size: int
    id: str
    sha256: Optional[str]

    @classmethod
    def from_json(cls, data):
        """An entry from the API's JSON."""
        return cls(data["path"], int(data["size"]), data["id"], data.get("sha256"))
