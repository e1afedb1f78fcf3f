"""A real lmvp-server on a loopback port, users and tokens made with its admin commands, and the real lmvp command line."""

import json
import os
import re
import socket
import subprocess
import sys
import threading

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

SERVER_BIN = os.environ.get("LMVP_SERVER_BIN") or os.path.join(ROOT, "src", "Lmvp.Server", "bin", "Release", "net10.0", "lmvp-server")
CLI_BIN = os.environ.get("LMVP_BIN") or os.path.join(ROOT, "src", "Lmvp.Cli", "bin", "Release", "net10.0", "lmvp")


def _ensure_built():
    if not (os.path.exists(SERVER_BIN) and os.path.exists(CLI_BIN)):
        subprocess.run(["dotnet", "build", "-c", "Release", "-v", "quiet", os.path.join(ROOT, "src", "Lmvp.Server")], check=True)
        subprocess.run(["dotnet", "build", "-c", "Release", "-v", "quiet", os.path.join(ROOT, "src", "Lmvp.Cli")], check=True)


class Server:
    """lmvp-server over a data directory of its own; stopped at the end of the test session."""

    def __init__(self, data, extra_args=()):
        _ensure_built()
        self.data = data
        self.process = subprocess.Popen([SERVER_BIN, "--data", data, "--urls", "http://127.0.0.1:0", *extra_args],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = None
        for line in self.process.stdout:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if found:
                self.url = found.group(1)
                break
        if self.url is None:
            raise RuntimeError(f"lmvp-server did not start (exit {self.process.wait()})")
        threading.Thread(target=self.process.stdout.read, daemon=True).start()  # keep draining the log

    def admin(self, *args, stdin=None):
        result = subprocess.run([SERVER_BIN, "admin", *args, "--data", self.data], input=stdin, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"lmvp-server admin {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout.strip().splitlines()

    def user(self, name, scope="write"):
        """Creates a user (if new) and returns a fresh token of `scope`."""
        try:
            self.admin("create-user", name, "--password-stdin", stdin="password-" + name + "\n")
        except RuntimeError as e:
            if "already exists" not in str(e):
                raise
        return self.admin("create-token", name, "--scope", scope)[-1].strip()

    def repo(self, full_name, public=False):
        self.admin("create-repo", full_name, *(["--public"] if public else []))
        return f"{self.url}/{full_name}"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp("server")))
    s.user("alice")  # the owner of every test's repository
    yield s
    s.stop()


_counter = [0]


@pytest.fixture
def repo_url(server, request):
    """A new private repository of alice's."""
    _counter[0] += 1
    name = re.sub(r"[^A-Za-z0-9]", "-", request.node.name)[:40] + f"-{_counter[0]}"
    return server.repo(f"alice/{name}")


@pytest.fixture
def token(server):
    return server.user("alice")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test sees the machine's lmvp credentials, cache or token."""
    monkeypatch.setenv("LMVP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LMVP_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LMVP_TOKEN", raising=False)
    monkeypatch.delenv("LMVP_SERVER", raising=False)


class Cli:
    """The real lmvp command line in one working directory."""

    def __init__(self, directory, token):
        self.directory = str(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.env = dict(os.environ, LMVP_TOKEN=token)

    def __call__(self, *args, check=True, stdin=None):
        result = subprocess.run([CLI_BIN, *args], cwd=self.directory, env=self.env, input=stdin, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"lmvp {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}")
        return result

    def at(self, subdirectory):
        """The same command line in a subdirectory."""
        other = Cli.__new__(Cli)
        other.directory, other.env = os.path.join(self.directory, subdirectory), self.env
        return other

    def json(self, *args):
        return json.loads(self(*args, "--json").stdout)

    def write(self, path, data):
        full = os.path.join(self.directory, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        return full


@pytest.fixture
def cli(tmp_path, token):
    def make(name="work", init=True):
        c = Cli(tmp_path / name, token)
        if init:
            c("init")
        return c
    return make


class Relay:
    """A TCP relay to the server on its own loopback port that counts the bytes it carries and can cut a connection once a
    given number of bytes has passed (downstream: server to client; upstream: client to server)."""

    def __init__(self, target_url):
        host, port = target_url.rsplit("//", 1)[1].split(":")
        self.target = (host, int(port))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.down = 0
        self.up = 0
        self.cut_down_after = None
        self.cut_up_after = None
        self.cuts = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b, direction in ((client, upstream, "up"), (upstream, client, "down")):
                threading.Thread(target=self._pump, args=(a, b, direction, client, upstream), daemon=True).start()

    def _pump(self, source, sink, direction, client, upstream):
        try:
            while True:
                data = source.recv(1 << 16)
                if not data:
                    break
                with self._lock:
                    limit = self.cut_down_after if direction == "down" else self.cut_up_after
                    passed = self.down if direction == "down" else self.up
                    if limit is not None and passed + len(data) > limit:
                        data = data[:max(0, limit - passed)]
                        if direction == "down":
                            self.cut_down_after = None
                        else:
                            self.cut_up_after = None
                        self.cuts += 1
                        cut = True
                    else:
                        cut = False
                    if direction == "down":
                        self.down += len(data)
                    else:
                        self.up += len(data)
                if data:
                    sink.sendall(data)
                if cut:
                    break
        except OSError:
            pass
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def via(self, url):
        """The same repository URL, through the relay."""
        return self.url + "/" + url.split("/", 3)[3]

    def close(self):
        self.listener.close()


@pytest.fixture
def relay(server):
    r = Relay(server.url)
    yield r
    r.close()
