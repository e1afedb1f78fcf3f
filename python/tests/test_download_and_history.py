"""Reading from Python what the CLI pushed: files, snapshots and history, by any revision name."""

import hashlib
import io
import math
import os

import pytest

import lmvp


def _push_two_epochs(cli, repo_url):
    work = cli()
    weights1 = os.urandom(3_000_000)
    work.write("model.bin", weights1)
    work.write("cfg/config.json", b'{"layers": 2}')
    work("commit", "-m", "epoch 1", "--metric", "loss=0.91", "--metric", "acc=0.52")
    weights2 = os.urandom(3_000_000)
    work.write("model.bin", weights2)
    work("commit", "-m", "epoch 2\n\nlower lr", "--metric", "loss=0.48")
    work("tag", "first", "HEAD~1")
    work("remote", "add", "origin", repo_url)
    work("push", "origin")
    work("push", "origin", "--tags")
    return work, weights1, weights2


def test_cli_push_then_download_is_byte_identical_by_branch_tag_and_short_id(cli, repo_url, token):
    work, weights1, weights2 = _push_two_epochs(cli, repo_url)
    path = lmvp.download(repo_url, "model.bin", token=token)
    with open(path, "rb") as f:
        assert f.read() == weights2
    first = lmvp.history(repo_url, token=token)[-1]
    for revision in ("first", first.id[:8], "main~1", first.id):
        with open(lmvp.download(repo_url, "model.bin", revision=revision, token=token), "rb") as f:
            assert f.read() == weights1, revision


def test_a_whole_snapshot_downloads_into_a_directory_and_cached_files_are_not_fetched_again(cli, repo_url, token, relay):
    _push_two_epochs(cli, repo_url)
    through_relay = relay.via(repo_url)
    local = lmvp.download(through_relay, local_dir=os.path.join(os.environ["LMVP_CACHE"], "..", "out"), token=token)
    assert sorted(os.listdir(local)) == ["cfg", "model.bin"]
    with open(os.path.join(local, "cfg", "config.json"), "rb") as f:
        assert f.read() == b'{"layers": 2}'
    first = relay.down
    assert first > 3_000_000
    snapshot = lmvp.download(through_relay, token=token)
    assert relay.down - first < 100_000, "the second download only asked for the listing"
    assert os.path.getsize(os.path.join(snapshot, "model.bin")) == 3_000_000


def test_history_has_messages_metrics_tags_and_parents_and_show_history_prints_one_column_per_metric(cli, repo_url, token):
    _push_two_epochs(cli, repo_url)
    commits = lmvp.history(repo_url, token=token)
    assert [c.subject for c in commits] == ["epoch 2", "epoch 1"]
    assert commits[0].message == "epoch 2\n\nlower lr"
    assert commits[0].metrics == {"loss": 0.48}
    assert commits[1].metrics == {"acc": 0.52, "loss": 0.91}
    assert commits[1].tags == ["first"] and commits[0].branches == ["main"]
    assert commits[0].parents == [commits[1].id]
    assert len(lmvp.history(repo_url, limit=1, token=token)) == 1
    out = io.StringIO()
    lmvp.showHistory(repo_url, token=token, file=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["commit", "time", "acc", "loss", "refs", "message"]
    assert commits[0].short_id in lines[1] and "0.48" in lines[1] and "epoch 2" in lines[1]
    assert "0.52" in lines[2] and "tag: first" in lines[2]


def test_public_repositories_need_no_token_and_login_credentials_are_found(server, cli, token):
    url = server.repo("alice/open-model", public=True)
    work = cli()
    work.write("w.bin", b"public weights")
    work("commit", "-m", "one")
    work("remote", "add", "origin", url)
    work("push", "origin")
    with open(lmvp.download(url, "w.bin"), "rb") as f:
        assert f.read() == b"public weights"
    private = server.repo("alice/closed-model")
    with pytest.raises(lmvp.AuthenticationError) as e:
        lmvp.history(private)
    assert "LMVP_TOKEN" in str(e.value)
    login = cli("login-dir", init=False)
    del login.env["LMVP_TOKEN"]
    login("login", server.url, "--token-stdin", stdin=token + "\n")
    with pytest.raises(lmvp.NotFoundError) as empty:
        lmvp.history(private)  # authenticated with the saved token: the repository is found, it just has no main yet
    assert "Unknown revision 'main'" in str(empty.value)


def test_errors_are_typed_with_one_line_messages(server, repo_url, token):
    with pytest.raises(lmvp.AuthenticationError):
        lmvp.history(repo_url, token="lmvp_pat_wrong")
    with pytest.raises(lmvp.NotFoundError):
        lmvp.history(repo_url.rsplit("/", 1)[0] + "/no-such-repo", token=token)
    bob = server.user("bob")
    with pytest.raises(lmvp.NotFoundError) as e:
        lmvp.history(repo_url, token=bob)
    assert "\n" not in str(e.value)
    with pytest.raises(lmvp.NotFoundError):
        lmvp.download(repo_url, "x.bin", revision="nope", token=token)
    with pytest.raises(lmvp.LmvpError):
        lmvp.history("not a repository")


def test_a_download_cut_off_half_way_resumes_and_fetches_only_the_rest(cli, repo_url, token, relay):
    work = cli()
    content = os.urandom(8_000_000)
    work.write("big.bin", content)
    work("commit", "-m", "big")
    work("remote", "add", "origin", repo_url)
    work("push", "origin")
    through_relay = relay.via(repo_url)
    repo = lmvp.Repository(through_relay, token=token)
    commit_id = repo.commit("main").id
    before = relay.down
    relay.cut_down_after = before + 4_000_000 + 50_000  # the listing, then about half of the file
    path = repo.download("big.bin")
    with open(path, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == hashlib.sha256(content).hexdigest()
    assert relay.cuts == 1
    assert relay.down - before < len(content) * 1.05, "the resumed request asked only for the rest"
    assert commit_id


def test_a_download_given_up_keeps_its_partial_file_and_the_next_call_fetches_only_the_rest(cli, repo_url, token, relay, monkeypatch):
    work = cli()
    content = os.urandom(6_000_000)
    work.write("big.bin", content)
    work("commit", "-m", "big")
    work("remote", "add", "origin", repo_url)
    work("push", "origin")
    through_relay = relay.via(repo_url)
    monkeypatch.setattr(lmvp.client, "RETRIES", 0)
    relay.cut_down_after = relay.down + 3_000_000
    with pytest.raises(lmvp.LmvpError) as e:
        lmvp.download(through_relay, "big.bin", token=token)
    assert "run download again to resume" in str(e.value)
    monkeypatch.setattr(lmvp.client, "RETRIES", 4)
    before = relay.down
    with open(lmvp.download(through_relay, "big.bin", token=token), "rb") as f:
        assert f.read() == content
    assert relay.down - before < 3_500_000


def test_nan_metrics_in_json_become_floats():
    assert math.isnan(lmvp.models.to_float("NaN"))
    assert lmvp.models.to_float("-Infinity") == -math.inf
