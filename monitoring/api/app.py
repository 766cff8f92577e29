"""The HTTP intake API: a FastAPI app over the same ingest, report and alert code as the CLI.

    POST /v1/models/{model}/batches?kind=production   body: CSV, Parquet or JSON lines
    GET  /v1/models                                    GET /v1/models/{model}/report
    GET  /v1/models/{model}/alerts                     GET /healthz          (docs: /docs)

Errors answer `{"detail": "<the CLI's one-line message>"}`: 422 for a file or value that cannot be
used (nothing is stored), 404 for an unknown model, 401/403 for tokens, 413 past the body limit,
503 while another process holds the database.
"""

import logging
import os
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from monitoring.alerts.evaluate import evaluate_after_ingest
from monitoring.alerts.history import STATUSES, list_alerts
from monitoring.api.auth import LOCAL, Token, find_token
from monitoring.context import ReportRequest
from monitoring.errors import InputError, MonitoringError, NotFoundError, StoreBusyError
from monitoring.ingest.pipeline import ingest_file
from monitoring.ingest.roles import RoleOverrides
from monitoring.report import SECTIONS, build_report
from monitoring.schema import BATCH_KINDS, TASKS
from monitoring.store import catalog
from monitoring.warm import warm_default_view
from monitoring.windows import Period

_LOG = logging.getLogger("monitoring.api")
MAX_BODY_ENV_VAR = "MONITORING_MAX_BODY_MB"
DEFAULT_MAX_BODY_MB = 256.0
BODY_TYPES = {
    "text/csv": {"schema": {"type": "string", "format": "binary"}},
    "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
    "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
}


def max_body_mb() -> float:
    """The request body limit in MB: $MONITORING_MAX_BODY_MB or 256."""
    return float(os.environ.get(MAX_BODY_ENV_VAR) or DEFAULT_MAX_BODY_MB)


def _status(error: MonitoringError) -> int:
    if isinstance(error, NotFoundError):
        return 404
    return 503 if isinstance(error, StoreBusyError) else 422


ListParam = Annotated[list[str] | None, Query()]


def _split(values: list[str]) -> list[str]:
    """Repeated (`score=a&score=b`) or comma-separated (`score=a,b`) column names."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _day(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name} {text!r} is not a date; use an ISO date such as 2024-03-01") from None


def _sections(text: str | None) -> tuple[str, ...] | None:
    names = tuple(n.strip() for n in (text or "").split(",") if n.strip())
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise InputError(f"unknown section {unknown[0]!r}; use some of {', '.join(SECTIONS)}")
    return names or None


class Roles:
    """The role parameters of an ingest, named like the CLI's flags (lists repeat or use commas)."""

    def __init__(
        self,
        task: Annotated[str | None, Query(json_schema_extra={"enum": list(TASKS)})] = None,
        id: str | None = None,  # noqa: A002 (the CLI's --id)
        timestamp: str | None = None,
        prediction: str | None = None,
        target: str | None = None,
        latency: str | None = None,
        status: str | None = None,
        version: str | None = None,
        observed_at: str | None = None,
        score: ListParam = None,
        sensitive: ListParam = None,
        segment: ListParam = None,
        categorical: ListParam = None,
        numeric: ListParam = None,
        ignore: ListParam = None,
    ):
        single = dict(task=task, id=id, timestamp=timestamp, prediction=prediction, target=target)
        single.update(latency=latency, status=status, version=version, observed_at=observed_at)
        lists = dict(score=score, sensitive=sensitive, segment=segment, categorical=categorical)
        lists.update(numeric=numeric, ignore=ignore)
        self.overrides = RoleOverrides(**single, **{k: _split(v or []) for k, v in lists.items()})


def _summary(result) -> dict:
    if result is None:
        return {"evaluated": False, "open": 0, "new": [], "resolved": 0}
    fresh = result.opened + result.reopened
    keep = ("id", "rule", "severity", "message", "action")
    return {
        "evaluated": True,
        "open": len(result.open),
        "new": [{k: a.get(k) for k in keep} for a in fresh],
        "resolved": len(result.resolved),
    }


def create_app(
    store, tokens: dict[str, Token] | None = None, *, max_body_bytes: int | None = None
) -> FastAPI:
    """The API over `store`; without tokens every caller is an editor (serve it on localhost only)."""
    tokens = tokens or {}
    limit = int(max_body_bytes if max_body_bytes is not None else max_body_mb() * 1024 * 1024)
    evaluation_locks: dict[str, threading.Lock] = {}
    guard = threading.Lock()
    app = FastAPI(
        title="Model monitoring intake API",
        version="1",
        description="Send prediction logs and labels; read reports and alerts. Bearer tokens: "
        "`python -m monitoring token create`.",
    )

    @app.exception_handler(MonitoringError)
    async def monitoring_error(request: Request, error: MonitoringError):
        return JSONResponse({"detail": str(error)}, status_code=_status(error))

    def caller(request: Request) -> Token:
        if not tokens:
            return LOCAL
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise HTTPException(
                401,
                "no bearer token; send the header 'Authorization: Bearer <token>' "
                "(an editor makes one with `python -m monitoring token create`)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        token = find_token(tokens, value.strip())
        if token is None:
            raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
        return token

    Caller = Annotated[Token, Depends(caller)]

    def allow(token: Token, model: str, write: bool = False) -> None:
        if write and not token.can_write:
            raise HTTPException(
                403, f"token {token.name!r} is a viewer token; sending data needs an editor token"
            )
        if not token.may_use(model):
            raise HTTPException(
                403,
                f"token {token.name!r} may not use model {model!r}; it is limited to {', '.join(token.models)}",
            )

    def evaluate(model: str):
        """Rules after an ingest, one evaluation per model at a time (concurrent ones would race
        on the same cached summaries); a failure never undoes the ingest."""
        with guard:
            lock = evaluation_locks.setdefault(model, threading.Lock())
        with lock:
            try:
                return _summary(evaluate_after_ingest(store, model, background=True))
            except MonitoringError as error:
                return {"evaluated": False, "error": str(error)}

    def warm(model: str) -> None:
        """The model's default view prepared after the reply was sent (as the rules, one model at
        a time); a failure only leaves the dashboard's first page to compute it."""
        with guard:
            lock = evaluation_locks.setdefault(model, threading.Lock())
        with lock:
            try:
                warm_default_view(store, model)
            except MonitoringError as error:
                _LOG.warning("the default view of %r was not prepared: %s", model, error)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict:
        with store.connect() as con:
            count = len(catalog.list_models(con))
        return {"status": "ok", "models": count}

    @app.get("/v1/models", tags=["models"])
    def models(token: Caller) -> list[dict]:
        with store.connect() as con:
            found = catalog.list_models(con)
        return [
            {
                "name": m.name,
                "task": m.task,
                "data_version": m.data_version,
                "columns": [{"name": c.name, "role": c.role, "kind": c.kind} for c in m.columns],
            }
            for m in found
            if token.may_use(m.name)
        ]

    @app.post(
        "/v1/models/{model}/batches",
        tags=["ingest"],
        status_code=201,
        openapi_extra={"requestBody": {"required": True, "content": BODY_TYPES}},
    )
    async def ingest(
        model: str,
        request: Request,
        kind: Annotated[str, Query(json_schema_extra={"enum": list(BATCH_KINDS)})],
        roles: Annotated[Roles, Depends()],
        token: Caller,
        after: BackgroundTasks,
        file_name: Annotated[str | None, Query(description="the name the batch is listed under")] = None,
        keep_bad_values: bool = False,
        evaluate_rules: Annotated[
            bool, Query(alias="evaluate", description="evaluate the alert rules after")
        ] = True,
        warm_view: Annotated[
            bool,
            Query(
                alias="warm",
                description="prepare the model's default view for the dashboard after the reply",
            ),
        ] = True,
    ):
        allow(token, model, write=True)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise _too_large(int(declared), limit)
        with tempfile.TemporaryDirectory(prefix="monitoring-api-") as folder:
            path = Path(folder) / "body"
            await _receive(request, path, limit)
            name = file_name or f"api-{datetime.now().strftime('%Y%m%dT%H%M%S')}"
            result = await run_in_threadpool(
                ingest_file,
                store,
                str(path),
                model=model,
                kind=kind,
                overrides=roles.overrides,
                file_name=name,
                keep_bad_values=keep_bad_values,
            )
        alerts = {"evaluated": False}
        if evaluate_rules and result.duplicate_of is None:
            alerts = await run_in_threadpool(evaluate, model)
        if warm_view and result.duplicate_of is None:
            after.add_task(warm, model)  # a plain function: Starlette runs it in its thread pool
        body = {
            "batch": result.batch_id,
            "duplicate_of": result.duplicate_of,
            "file_name": result.file_name,
            "rows": result.rows,
            "schema_changes": [{"column": c, "change": k, "detail": d} for c, k, d in result.schema_changes],
            "warnings": list(result.warnings),
            "alerts": alerts,
        }
        return JSONResponse(body, status_code=200 if result.duplicate_of is not None else 201)

    @app.get("/v1/models/{model}/report", tags=["read"])
    def report(
        model: str,
        token: Caller,
        window: str | None = None,
        sections: Annotated[str | None, Query(description="comma-separated, e.g. drift,freshness")] = None,
        start: str | None = None,
        end: str | None = None,
        method: str | None = None,
        threshold: str | None = None,
        reference: int | None = None,
    ):
        allow(token, model)
        request = ReportRequest(
            model=model,
            window=window,
            period=Period(_day(start, "start"), _day(end, "end")),
            method=method,
            threshold=threshold,
            reference_batch=reference,
            sections=_sections(sections),
        )
        return Response(build_report(store, request).to_json(indent=None), media_type="application/json")

    @app.get("/v1/models/{model}/alerts", tags=["read"])
    def alerts(model: str, token: Caller, status: ListParam = None):
        allow(token, model)
        wanted = tuple(_split(status or []))
        unknown = [s for s in wanted if s not in STATUSES]
        if unknown:
            raise InputError(f"unknown status {unknown[0]!r}; use some of {', '.join(STATUSES)}")
        found = list_alerts(store, model, wanted or None)
        return [
            {k: v.isoformat() if isinstance(v, datetime) else v for k, v in a.items() if k != "key"}
            for a in found
        ]

    return app


def _too_large(size: int, limit: int) -> HTTPException:
    return HTTPException(
        413,
        f"the body is over the limit of {limit / 1048576:g} MB ({size / 1048576:.1f} MB or more); "
        "send smaller batches or raise the limit (serve --max-body-mb)",
    )


async def _receive(request: Request, path: Path, limit: int) -> None:
    """Write the body to `path`, refusing it (413) as soon as it grows past `limit` bytes."""
    size = 0
    with open(path, "wb") as handle:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(size, limit)
            handle.write(chunk)
    if size == 0:
        raise InputError("the request has no body; send the file's bytes (curl --data-binary @FILE)")


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serving_host(host: str, tokens: dict[str, Token]) -> tuple[str, str | None]:
    """The address to bind: without any token, localhost only (and a note saying so)."""
    if tokens or host in LOOPBACK:
        note = None if tokens else "no API tokens configured: every local caller is an editor"
        return host, note
    return "127.0.0.1", (
        f"no API tokens configured, so the API serves on 127.0.0.1 only (not {host}); "
        "create one with `python -m monitoring token create NAME --role editor` to open it up"
    )


def run(store, host: str, port: int, tokens: dict[str, Token], max_body_bytes: int) -> None:
    """Serve the API with uvicorn until interrupted (one process: DuckDB allows one writer)."""
    import uvicorn  # deferred: only the serve command needs the server

    app = create_app(store, tokens, max_body_bytes=max_body_bytes)
    uvicorn.run(app, host=host, port=port, log_level="info", workers=1)
