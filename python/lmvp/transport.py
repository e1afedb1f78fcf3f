"""HTTP to one lmvp-server with the standard library: JSON calls, streamed bodies, one kept-alive connection."""

import http.client
import json
import ssl
import urllib.parse

from .errors import LmvpError, for_status

USER_AGENT = "lmvp-python/0.1"

# Bytes per socket write of a request body (http.client's default, 8 KiB, costs a system call per 8 KiB).
BLOCK = 1024 * 1024

# Errors after which a request may be sent again on a fresh connection.
CONNECTION_ERRORS = (ConnectionError, http.client.HTTPException, TimeoutError, OSError)


def quote_path(path):
    """A repository path or revision as URL path segments ('/' kept, everything else escaped)."""
    return urllib.parse.quote(path, safe="/~")


class Transport:
    """Requests to one server, authenticated with a bearer token when there is one."""

    def __init__(self, server, token=None, timeout=60.0):
        parts = urllib.parse.urlsplit(server)
        self.server = server
        self.token = token
        self.timeout = timeout
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._connection = None

    def close(self):
        """Closes the kept-alive connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self):
        if self._connection is None:
            if self._scheme == "https":
                self._connection = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout, context=ssl.create_default_context(),
                                                           blocksize=BLOCK)
            else:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout, blocksize=BLOCK)
        return self._connection

    def _headers(self, extra):
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        headers.update(extra or {})
        return headers

    def send(self, method, path, body=None, headers=None):
        """Sends a request and returns the response, whose body the caller reads (or closes) before the next request."""
        connection = self._connect()
        try:
            connection.request(method, self._prefix + path, body=body, headers=self._headers(headers))
            return connection.getresponse()
        except BaseException:
            self.close()
            raise

    def json(self, method, path, payload=None, retries=2):
        """A JSON call: the decoded answer of a 2xx, else the exception for the status with the server's message."""
        body = None if payload is None else json.dumps(payload).encode("utf-8")
        headers = {"Content-Type": "application/json"} if body is not None else {}
        for attempt in range(retries + 1):
            try:
                response = self.send(method, path, body, headers)
                data = response.read()
                break
            except CONNECTION_ERRORS as e:
                if attempt == retries or method not in ("GET", "HEAD", "PUT", "DELETE"):
                    raise LmvpError(f"cannot reach {self.server}: {e}") from None
        self.raise_for_status(response, data)
        return json.loads(data) if data else None

    def raise_for_status(self, response, data=None):
        """Raises the exception for a response that is not 2xx (reading its body for the message)."""
        if 200 <= response.status < 300:
            return
        if data is None:
            data = response.read()
        message = None
        try:
            message = json.loads(data).get("error")
        except (ValueError, AttributeError):
            pass
        if not message:
            text = data.decode("utf-8", "replace").strip().splitlines()
            message = text[0] if text else response.reason
        if response.status == 401 and not self.token:
            message += " (no token: pass token=..., set LMVP_TOKEN, or run 'lmvp login')"
        raise for_status(response.status, f"{self.server}: {message}")
