"""The HTTP intake API as a client sees it: uvicorn serving the FastAPI app on a free localhost
port, real HTTP requests (urllib and http.client), a DuckDB file underneath."""

import http.client
import io
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import uvicorn

from monitoring.api.app import create_app
from monitoring.api.auth import create_token, load_tokens, read_secrets
from monitoring.context import ReportRequest
from monitoring.report import build_report
from monitoring.store import Store, catalog

ROOT = Path(__file__).resolve().parent.parent
ROLES = "id=id&timestamp=timestamp&prediction=prediction&target=target&score=score&latency=latency_ms"
PRODUCTION_ROLES = ROLES.replace(
    "&target=target", ""
)  # production files have no target: naming it is an error


def frame(n: int, start: str, prefix: str, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stamps = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, 7 * 86400, n), unit="s")
    score = rng.uniform(0, 1, n).round(4)
    return pd.DataFrame(
        {
            "id": [f"{prefix}{i}" for i in range(n)],
            "timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"),
            "age": rng.normal(40 + shift, 10, n).round(0),
            "region": rng.choice(["north", "south", "east"], n),
            "score": score,
            "prediction": (score > 0.5).astype(int),
            "target": (rng.uniform(0, 1, n) < score).astype(int),
            "latency_ms": rng.gamma(2, 20, n).round(1),
        }
    )


def csv_bytes(data: pd.DataFrame) -> bytes:
    return data.to_csv(index=False).encode()


def parquet_bytes(data: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    data.to_parquet(buffer, index=False)
    return buffer.getvalue()


def jsonl_bytes(data: pd.DataFrame) -> bytes:
    return data.to_json(orient="records", lines=True).encode()


@contextmanager
def running_api(store, tokens=None, max_body_bytes=None):
    """The app under uvicorn on a free localhost port (port 0: the system picks); yields its URL."""
    app = create_app(store, tokens, max_body_bytes=max_body_bytes)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "the API server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def call(method: str, url: str, body: bytes | None = None, token: str | None = None, **headers):
    """(status, parsed JSON body, headers) of one real request."""
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), error.headers


def state(store) -> tuple:
    """Everything an ingest could change: batches, row counts, columns, data version."""
    with store.connect() as con:
        models = catalog.list_models(con)
        batches = [
            catalog.list_batches(con, m.name).drop(columns=["ingested_at"]).to_dict("records") for m in models
        ]
        counts = []
        for m in models:
            for kind in ("reference", "production", "labels"):
                if catalog.table_exists(con, m.table(kind)):
                    counts.append(con.execute(f"SELECT count(*) FROM {m.table(kind)}").fetchall()[0][0])
    return [(m.name, m.data_version, m.columns) for m in models], batches, counts


@pytest.fixture
def file_store(tmp_path):
    return Store(str(tmp_path / "api.duckdb"))


@pytest.fixture
def secured(file_store, tmp_path):
    """Tokens in a secrets file: an editor for every model, a viewer, an editor of model 'other' only."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[access.users.ann]\nrole = "editor"\npassword_hash = "scrypt$1$1$1$00$00"\n')
    made = {
        "editor": create_token(secrets, "editor", "editor"),
        "viewer": create_token(secrets, "viewer", "viewer"),
        "other": create_token(secrets, "other", "editor", ["other"]),
    }
    tokens = load_tokens(read_secrets(secrets))
    with running_api(file_store, tokens) as url:
        yield url, made, secrets


def test_ingest_csv_parquet_and_json_lines_then_read_the_report_and_alerts(file_store):
    reference = frame(3000, "2024-01-01", "r")
    weeks = [frame(400, f"2024-03-{d:02d}", f"p{d}-", 8.0, d) for d in (4, 11, 18)]
    week1, week2, week3 = (w.drop(columns="target") for w in weeks)  # labels come later, for week 1
    with running_api(file_store) as url:
        batches = f"{url}/v1/models/m/batches?{ROLES}"
        production = f"{url}/v1/models/m/batches?{PRODUCTION_ROLES}"
        status, body, _ = call("POST", f"{batches}&kind=reference&file_name=ref.csv", csv_bytes(reference))
        assert status == 201 and body["rows"] == 3000 and body["batch"] == 1
        assert body["alerts"] == {
            "evaluated": False,
            "open": 0,
            "new": [],
            "resolved": 0,
        }  # no production yet
        for name, data in [
            ("w1.csv", csv_bytes(week1)),
            ("w2.parquet", parquet_bytes(week2)),
            ("w3.jsonl", jsonl_bytes(week3)),
        ]:
            status, body, _ = call("POST", f"{production}&kind=production&file_name={name}", data)
            assert status == 201 and body["rows"] == 400 and body["file_name"] == name, body
            assert body["alerts"]["evaluated"] is True
        assert body["alerts"]["open"] > 0
        labels = weeks[0][["id", "target"]].to_json(orient="records", lines=True).encode()
        status, body, _ = call("POST", f"{url}/v1/models/m/batches?kind=labels&file_name=l1.jsonl", labels)
        assert status == 201 and body["rows"] == 400 and body["warnings"] == []
        status, again, _ = call(
            "POST", f"{production}&kind=production&file_name=w1-again.csv", csv_bytes(week1)
        )
        assert status == 200 and again["duplicate_of"] == 2 and again["batch"] is None
        status, report, _ = call("GET", f"{url}/v1/models/m/report?sections=drift,operations,freshness")
        assert status == 200
        direct = build_report(
            file_store, ReportRequest(model="m", sections=("drift", "operations", "freshness"))
        )
        assert report["windows"] == direct["windows"] and len(report["windows"]) == 3
        assert report["drift"] == direct["drift"] and report["operations"] == direct["operations"]
        assert report["freshness"][0]["last_production"] == direct["freshness"][0]["last_production"]
        assert "performance" not in report
        status, scored, _ = call("GET", f"{url}/v1/models/m/report?sections=performance")
        realized = {
            r["window"]: r["labelled_rows"]
            for r in scored["performance"]
            if r["metric"] == "accuracy_score" and r["kind"] == "realized"
        }
        assert realized == {0: 400, 1: 0, 2: 0}  # the labels joined week 1 only
        status, alerts, _ = call("GET", f"{url}/v1/models/m/alerts?status=open")
        assert status == 200 and alerts and all(a["status"] == "open" and a["action"] for a in alerts)
        drifted = [a for a in alerts if a["rule"] == "feature-drift" and a["scope"] == "age"]
        assert drifted, [a["message"] for a in alerts]
        status, models, _ = call("GET", f"{url}/v1/models")
        assert [m["name"] for m in models] == ["m"] and {
            "name": "age",
            "role": "feature",
            "kind": "numeric",
        } in models[0]["columns"]
        assert call("GET", f"{url}/healthz")[1] == {"status": "ok", "models": 1}
        status, docs, _ = call("GET", f"{url}/openapi.json")
        assert "/v1/models/{model}/batches" in docs["paths"]


def test_tokens_are_checked_on_every_request(secured):
    url, made, _ = secured
    data = csv_bytes(frame(50, "2024-03-04", "a"))
    post = f"{url}/v1/models/m/batches?kind=production&{ROLES}"
    status, body, headers = call("POST", post, data)
    assert (
        status == 401
        and headers["WWW-Authenticate"] == "Bearer"
        and "Authorization: Bearer" in body["detail"]
    )
    assert call("POST", post, data, token="mm_not-a-token")[0] == 401
    assert call("GET", f"{url}/v1/models", token=made["viewer"][:-1])[0] == 401
    status, body, _ = call("POST", post, data, token=made["viewer"])
    assert status == 403 and "viewer token" in body["detail"]
    status, body, _ = call("POST", post, data, token=made["other"])
    assert status == 403 and "may not use model 'm'" in body["detail"]
    assert call("POST", post, data, token=made["editor"])[0] == 201
    assert call("GET", f"{url}/v1/models/m/report?sections=operations", token=made["viewer"])[0] == 200
    assert call("GET", f"{url}/v1/models/m/alerts", token=made["other"])[0] == 403
    assert call("GET", f"{url}/v1/models", token=made["other"])[1] == []
    assert [m["name"] for m in call("GET", f"{url}/v1/models", token=made["viewer"])[1]] == ["m"]
    assert call("GET", f"{url}/healthz")[0] == 200  # the health check needs no token


def test_the_secrets_file_keeps_only_hashes_beside_the_users(secured):
    _, made, secrets = secured
    text = secrets.read_text()
    assert "[access.users.ann]" in text and text.count('token_hash = "sha256$') == 3
    assert not any(token in text for token in made.values())
    assert secrets.stat().st_mode & 0o777 == 0o600


def test_a_body_past_the_limit_is_413_and_stores_nothing(file_store):
    with running_api(file_store, max_body_bytes=2000) as url:
        small = csv_bytes(frame(10, "2024-03-04", "s"))
        assert call("POST", f"{url}/v1/models/m/batches?kind=production&{ROLES}", small)[0] == 201
        before = state(file_store)
        large = csv_bytes(frame(200, "2024-03-04", "l"))
        status, body, _ = call("POST", f"{url}/v1/models/m/batches?kind=production&{ROLES}", large)
        assert status == 413 and "over the limit of" in body["detail"]
        # without a Content-Length (chunked), the count while reading refuses it
        host, port = url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        chunks = (large[i : i + 500] for i in range(0, len(large), 500))
        connection.request(
            "POST", f"/v1/models/m/batches?kind=production&{ROLES}", body=chunks, encode_chunked=True
        )
        response = connection.getresponse()
        assert response.status == 413 and "over the limit" in json.loads(response.read())["detail"]
        connection.close()
        assert state(file_store) == before


def test_a_malformed_file_is_422_with_the_clis_message_and_changes_nothing(file_store, tmp_path):
    good = frame(100, "2024-03-04", "g")
    bad = csv_bytes(good).decode().splitlines()
    bad[5] = bad[5] + ",extra"
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text("\n".join(bad) + "\n")
    mixed = good.astype({"age": object})
    mixed.loc[7, "age"] = "forty"
    with running_api(file_store) as url:
        assert call("POST", f"{url}/v1/models/m/batches?kind=production&{ROLES}", csv_bytes(good))[0] == 201
        before = state(file_store)
        status, body, _ = call(
            "POST",
            f"{url}/v1/models/m/batches?kind=production&file_name=bad.csv&{ROLES}",
            bad_file.read_bytes(),
        )
        cli = subprocess.run(
            [sys.executable, "-m", "monitoring", "ingest", str(bad_file), "--model", "m", "--kind", "production",
             "--db", file_store.path],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert status == 422 and cli.returncode == 2
        assert cli.stderr.strip() == f"error: {body['detail']}"
        assert body["detail"].startswith("bad.csv: line 6 has 9 fields but the header has 8 columns")
        status, body, _ = call(
            "POST", f"{url}/v1/models/m/batches?kind=production&file_name=m.jsonl&{ROLES}", jsonl_bytes(mixed)
        )
        assert status == 422 and "column 'age' is numeric" in body["detail"] and "'forty'" in body["detail"]
        status, body, _ = call(
            "POST", f"{url}/v1/models/m/batches?kind=production&file_name=x.jsonl", b'{"id": 1}\n{oops\n'
        )
        assert status == 422 and body["detail"].startswith("x.jsonl: line 2 is not valid JSON")
        assert call("POST", f"{url}/v1/models/m/batches?kind=production", b"")[0] == 422
        assert call("POST", f"{url}/v1/models/m/batches?kind=forecast", csv_bytes(good))[1][
            "detail"
        ].startswith("unknown kind 'forecast'")
        assert call("GET", f"{url}/v1/models/nope/report")[0] == 404
        assert state(file_store) == before


def test_twenty_concurrent_small_ingests_lose_nothing(file_store):
    with running_api(file_store) as url:
        call(
            "POST",
            f"{url}/v1/models/m/batches?kind=reference&{ROLES}",
            csv_bytes(frame(500, "2024-01-01", "r")),
        )
        parts = [frame(50, "2024-03-04", f"c{i}-", seed=i) for i in range(20)]
        answers = [None] * 20

        def send(i):
            answers[i] = call(
                "POST",
                f"{url}/v1/models/m/batches?kind=production&file_name=part{i}.csv&{ROLES}",
                csv_bytes(parts[i]),
            )

        threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        assert [a[0] for a in answers] == [201] * 20, [a[1] for a in answers if a[0] != 201]
        assert sorted(a[1]["batch"] for a in answers) == list(range(2, 22))
    with file_store.connect() as con:
        batches = catalog.list_batches(con, "m")
        model = catalog.get_model(con, "m")
        ids = {r[0] for r in con.execute(f"SELECT id FROM {model.table('production')}").fetchall()}
    assert sorted(batches[batches["kind"] == "production"]["file_name"]) == sorted(
        f"part{i}.csv" for i in range(20)
    )
    assert ids == set(pd.concat(parts)["id"]) and len(ids) == 1000


def test_serve_without_tokens_binds_localhost_only_and_says_so(tmp_path):
    from app_server import free_port

    port = free_port()
    command = [sys.executable, "-m", "monitoring", "serve", "--host", "0.0.0.0", "--port", str(port)]
    command += ["--db", str(tmp_path / "s.duckdb"), "--secrets", str(tmp_path / "none.toml")]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith(
            "note: no API tokens configured, so the API serves on 127.0.0.1 only (not 0.0.0.0)"
        )
        deadline = time.time() + 60
        while True:
            try:
                assert call("GET", f"http://127.0.0.1:{port}/healthz")[1]["status"] == "ok"
                break
            except urllib.error.URLError:
                assert time.time() < deadline and process.poll() is None
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_token_create_refuses_a_taken_name_or_a_file_it_would_break(tmp_path):
    from monitoring.errors import InputError

    secrets = tmp_path / "secrets.toml"
    create_token(secrets, "bot", "editor")
    with pytest.raises(InputError, match="already has a token named 'bot'"):
        create_token(secrets, "bot", "viewer")
    with pytest.raises(InputError, match="must be 1-64 letters"):
        create_token(secrets, "a b", "viewer")
    clash = tmp_path / "clash.toml"
    clash.write_text('[api]\ntokens = { old = { role = "viewer", token_hash = "sha256$00" } }\n')
    before = clash.read_text()
    with pytest.raises(InputError, match=r"cannot add \[api.tokens.new\]"):
        create_token(clash, "new", "viewer")
    assert clash.read_text() == before
