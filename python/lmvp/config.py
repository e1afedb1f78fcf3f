"""Where a repository is and which token to send: the same rules as the lmvp command line."""

import json
import os
import urllib.parse

from .errors import LmvpError

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_server(url):
    """The canonical form of a server URL: scheme and host in lower case, no default port, no trailing slash."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or parts.username:
        raise LmvpError(f"'{url}' is not a server URL: expected http(s)://HOST[:PORT]")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if parts.port and parts.port != _DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path.rstrip('/')}"


def split_repository(name, server=None):
    """(server, owner, name) of 'http://host:port/owner/name', or of 'owner/name' on `server` (or $LMVP_SERVER)."""
    if "://" in name:
        parts = urllib.parse.urlsplit(name)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2:
            raise LmvpError(f"'{name}' is not a repository URL: expected http(s)://HOST[:PORT]/OWNER/NAME")
        base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/".join([""] + segments[:-2]), "", ""))
        return normalize_server(base), segments[-2], segments[-1]
    segments = [s for s in name.split("/") if s]
    if len(segments) != 2:
        raise LmvpError(f"'{name}' is not a repository: expected OWNER/NAME or http(s)://HOST[:PORT]/OWNER/NAME")
    server = server or os.environ.get("LMVP_SERVER")
    if not server:
        raise LmvpError(f"no server for '{name}': give the full URL (http://HOST:PORT/{name}), server=..., or set LMVP_SERVER")
    return normalize_server(server), segments[0], segments[1]


def config_directory():
    """The directory `lmvp login` keeps credentials in."""
    configured = os.environ.get("LMVP_CONFIG_DIR")
    if configured:
        return configured
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return os.path.join(xdg, "lmvp")
    return os.path.join(os.path.expanduser("~"), ".config", "lmvp")


def find_token(server, token=None):
    """The token to send to `server`: the argument, else $LMVP_TOKEN, else the one `lmvp login` saved for the longest
    matching server URL, else None (anonymous: public repositories only)."""
    if token:
        return token
    if os.environ.get("LMVP_TOKEN"):
        return os.environ["LMVP_TOKEN"]
    path = os.path.join(config_directory(), "credentials.json")
    try:
        with open(path, encoding="utf-8") as f:
            saved = json.load(f).get("servers", {})
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise LmvpError(f"{path} cannot be read ({e}); fix or delete it and run 'lmvp login' again") from None
    target = normalize_server(server)
    best = None
    for url, entry in saved.items():
        if (target == url or target.startswith(url + "/")) and isinstance(entry, dict) and entry.get("token"):
            if best is None or len(url) > len(best[0]):
                best = (url, entry["token"])
    return best[1] if best else None


def cache_directory():
    """Where downloads are kept: $LMVP_CACHE, else $XDG_CACHE_HOME/lmvp, else ~/.cache/lmvp."""
    configured = os.environ.get("LMVP_CACHE")
    if configured:
        return configured
    xdg = os.environ.get("XDG_CACHE_HOME")
    return os.path.join(xdg, "lmvp") if xdg else os.path.join(os.path.expanduser("~"), ".cache", "lmvp")
