"""Publishing from Python: updates the CLI sees, chunks shared with the CLI, resumed uploads, conflicts, torch models."""

import io
import math
import os
import shutil
import subprocess
import sys

import pytest

import lmvp
from conftest import ROOT


def test_update_of_a_file_is_a_commit_the_cli_clones_with_its_message_metrics_and_tag(cli, repo_url, token, tmp_path):
    model = tmp_path / "model.safetensors"
    model.write_bytes(os.urandom(2_500_000))
    commit = lmvp.update(repo_url, str(model), "epoch 1 from a notebook", metrics={"loss": 0.7, "acc": 0.6}, tag="best-val", token=token)
    assert commit.subject == "epoch 1 from a notebook" and commit.author == "alice"
    assert commit.metrics == {"acc": 0.6, "loss": 0.7} and commit.tags == ["best-val"]
    parent = cli("clone-parent", init=False)
    parent("clone", repo_url, "copy")
    assert (tmp_path / "clone-parent" / "copy" / "model.safetensors").read_bytes() == model.read_bytes()
    head = parent.at("copy").json("log", "-n", "1")[0]
    assert head["id"] == commit.id and head["message"] == "epoch 1 from a notebook" and head["metrics"] == {"acc": 0.6, "loss": 0.7}


def test_update_of_a_directory_mirrors_it_and_an_unchanged_update_makes_no_commit(repo_url, token, tmp_path):
    run = tmp_path / "run"
    (run / "ckpt").mkdir(parents=True)
    (run / "ckpt" / "a.bin").write_bytes(b"a" * 1000)
    (run / "config.json").write_text('{"lr": 0.1}')
    first = lmvp.update(repo_url, str(run), "one", token=token)
    (run / "config.json").unlink()
    (run / "ckpt" / "b.bin").write_bytes(b"b" * 10)
    second = lmvp.update(repo_url, str(run), "two", token=token)
    assert second.parents == [first.id]
    repo = lmvp.Repository(repo_url, token=token)
    assert sorted(f.path for f in repo.files("main")) == ["ckpt/a.bin", "ckpt/b.bin"]
    again = lmvp.update(repo_url, str(run), "three", token=token)
    assert again.id == second.id, "nothing changed, so no commit"


def test_an_unchanged_file_is_not_read_again_but_an_edit_that_forges_its_mtime_back_is_seen(repo_url, token, tmp_path, monkeypatch):
    import lmvp.hashcache
    reads = []
    real = lmvp.hashcache.sha256_file
    monkeypatch.setattr(lmvp.hashcache, "sha256_file", lambda path: reads.append(path) or real(path))
    model = tmp_path / "weights.bin"
    model.write_bytes(os.urandom(300_000))
    soon = model.stat().st_mtime_ns + 60_000_000_000
    os.utime(model, ns=(soon, soon))  # as if written while it was being hashed
    first = lmvp.update(repo_url, str(model), "one", token=token)
    assert lmvp.update(repo_url, str(model), "again", token=token).id == first.id
    assert len(reads) == 2, "a file modified around the time it was hashed is racily clean: hashed again, not trusted"
    old = model.stat().st_mtime_ns - 120_000_000_000
    os.utime(model, ns=(old, old))
    lmvp.update(repo_url, str(model), "again", token=token)
    reads.clear()
    assert lmvp.update(repo_url, str(model), "again", token=token).id == first.id
    assert reads == [], "stat says unchanged, so the file is not read"
    with open(model, "r+b") as f:
        f.seek(1000)
        f.write(b"edited")
    os.utime(model, ns=(old, old))  # same size, same mtime: only ctime tells
    second = lmvp.update(repo_url, str(model), "edited", token=token)
    assert second.id != first.id and second.parents == [first.id] and len(reads) == 1
    assert open(lmvp.download(repo_url, "weights.bin", token=token), "rb").read() == model.read_bytes()


def test_a_file_updated_from_python_shares_chunks_with_the_cli_so_a_push_of_a_5_percent_edit_sends_only_what_changed(cli, repo_url, token, tmp_path):
    original = bytearray(os.urandom(6_000_000))
    path = tmp_path / "w.bin"
    path.write_bytes(original)
    lmvp.update(repo_url, str(path), "from python", token=token)
    edited = bytearray(original)
    edited[3_000_000:3_300_000] = os.urandom(300_000)  # 5% rewritten
    work = cli()
    work.write("w.bin", bytes(edited))
    work("commit", "-m", "from the cli")
    work("branch", "cli")
    work("checkout", "cli")
    work("remote", "add", "origin", repo_url)
    pushed = work.json("push", "origin", "cli")
    sent = pushed["transfer"]["chunkBytesSent"]
    assert 0 < sent < 0.15 * len(edited), f"the push sent {sent} bytes of a 6 MB file with 5% rewritten"


def test_an_upload_cut_off_half_way_resumes_where_the_server_copy_ends(repo_url, token, tmp_path, relay, monkeypatch):
    monkeypatch.setattr(lmvp.client, "PART_BYTES", 1 << 20)
    content = os.urandom(5_000_000)
    path = tmp_path / "big.bin"
    path.write_bytes(content)
    relay.cut_up_after = relay.up + 2_600_000  # during the third part
    commit = lmvp.update(relay.via(repo_url), str(path), "resumed", token=token)
    assert relay.cuts == 1
    assert relay.up < len(content) + 1.5 * (1 << 20), "only the cut part was sent again"
    with open(lmvp.download(repo_url, "big.bin", revision=commit.id, token=token), "rb") as f:
        assert f.read() == content


def test_a_concurrent_update_of_the_same_branch_is_a_conflict_and_changes_nothing(repo_url, token, tmp_path, monkeypatch):
    (tmp_path / "w.bin").write_bytes(b"base")
    base = lmvp.update(repo_url, str(tmp_path / "w.bin"), "base", token=token)
    (tmp_path / "other.bin").write_bytes(b"theirs")
    (tmp_path / "w.bin").write_bytes(b"ours")
    real_upload = lmvp.Repository._upload
    raced = []

    def upload_then_someone_else_commits(self, *args):
        upload = real_upload(self, *args)
        if not raced:
            raced.append(None)  # the competing update uploads too: only the first upload races
            raced[0] = lmvp.update(repo_url, str(tmp_path / "other.bin"), "theirs", token=token)
        return upload

    monkeypatch.setattr(lmvp.Repository, "_upload", upload_then_someone_else_commits)
    with pytest.raises(lmvp.ConflictError) as e:
        lmvp.update(repo_url, str(tmp_path / "w.bin"), "ours", token=token)
    assert "nothing was committed" in str(e.value)
    head = lmvp.history(repo_url, token=token)[0]
    assert head.id == raced[0].id and head.parents == [base.id]
    assert sorted(f.path for f in lmvp.Repository(repo_url, token=token).files("main")) == ["other.bin", "w.bin"]
    with open(lmvp.download(repo_url, "w.bin", token=token), "rb") as f:
        assert f.read() == b"base"


def test_the_seed_calls_work_with_a_torch_model(repo_url, token, monkeypatch):
    if os.environ.get("LMVP_REQUIRE_SERVICES") == "1":
        import torch  # noqa: PLC0415 - CI installs python3-torch: a missing torch fails there
    else:
        torch = pytest.importorskip("torch")
    monkeypatch.setenv("LMVP_TOKEN", token)
    model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    modelName = repo_url
    lmvp.update(modelName, model)
    localModel = lmvp.download(modelName, "model.pt")
    state = torch.load(localModel)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    lmvp.showHistory(modelName)


def test_pip_installs_the_package_offline_and_a_plain_python_uses_it(repo_url, token, tmp_path):
    target = tmp_path / "site"
    source = tmp_path / "source"  # a copy: an in-tree build would leave build/ and egg-info in the checkout
    shutil.copytree(os.path.join(ROOT, "python"), source, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--target", str(target), str(source)], check=True, capture_output=True)
    (tmp_path / "w.bin").write_bytes(b"weights")
    script = (f"import sys; sys.path.insert(0, {str(target)!r}); import lmvp; "
              f"c = lmvp.update({repo_url!r}, {str(tmp_path / 'w.bin')!r}, 'plain'); "
              f"print(open(lmvp.download({repo_url!r}, 'w.bin'), 'rb').read().decode(), c.subject, lmvp.__file__)")
    out = subprocess.run([sys.executable, "-I", "-c", script], env=dict(os.environ, LMVP_TOKEN=token), capture_output=True, text=True, check=True).stdout
    assert out.split()[:2] == ["weights", "plain"] and str(target) in out


def test_an_update_with_a_bad_or_read_only_token_is_refused_and_changes_nothing(server, repo_url, token, tmp_path):
    (tmp_path / "w.bin").write_bytes(b"first")
    head = lmvp.update(repo_url, str(tmp_path / "w.bin"), "first", token=token)
    (tmp_path / "w.bin").write_bytes(b"second")
    with pytest.raises(lmvp.AuthenticationError):
        lmvp.update(repo_url, str(tmp_path / "w.bin"), "bad token", token="lmvp_pat_wrong")
    with pytest.raises(lmvp.PermissionDeniedError):
        lmvp.update(repo_url, str(tmp_path / "w.bin"), "read token", token=server.user("alice", scope="read"))
    with pytest.raises(lmvp.NotFoundError):
        lmvp.update(repo_url, str(tmp_path / "w.bin"), "another user's", token=server.user("mallory"))
    assert [c.id for c in lmvp.history(repo_url, token=token)] == [head.id]


def test_a_diverged_run_records_nan_and_params_which_the_cli_and_history_show(cli, repo_url, token, tmp_path):
    (tmp_path / "w.bin").write_bytes(b"weights")
    commit = lmvp.update(repo_url, str(tmp_path / "w.bin"), "diverged", metrics={"loss": float("nan"), "grad_norm": float("inf")},
                         params={"lr": 0.3, "optimizer": "adam"}, token=token)
    assert math.isnan(commit.metrics["loss"]) and commit.metrics["grad_norm"] == math.inf
    assert commit.params == {"lr": 0.3, "optimizer": "adam"}
    out = io.StringIO()
    lmvp.show_history(repo_url, token=token, file=out)
    assert "NaN" in out.getvalue() and "inf" in out.getvalue()
    parent = cli("nan-clone", init=False)
    parent("clone", repo_url, "copy")
    shown = parent.at("copy")("show", "HEAD").stdout
    assert "NaN" in shown and "adam" in shown
