"""The FastAPI app that the Airflow plugin mounts at /diplowatch: the events page and its JSON API.

Routes (relative to the mount point):
  GET /                 the "Diplomatic events" page (templates/events.html)
  GET /api/events       {"total": N, "events": [event records + event_day, mention_count]}
  GET /api/dyads        {"dyads": [{"country_a", "country_b", "total", "mentions", "by_type"}]}
  GET /api/timeline     {"bucket", "types", "points": [{"day", "event_type", "events"}], "undated"}
  GET /api/quality      {"runs": [...], "quarantined": N, "quarantined_by_entity": {...}}
  GET /api/meta         the choices the page's filters offer
  GET /reports/{path}   the HTML quality reports under <home>/quality_reports/

Every route needs an Airflow login: the same JWT the Airflow UI and REST API use,
as `Authorization: Bearer <token>` (from POST /auth/token) or the UI's `_token`
cookie. The check is the `airflow_user` dependency; `create_app(auth=...)` swaps
it (tests), and `app.dependency_overrides[airflow_user]` works too.

A bad parameter answers 400 {"error": "..."}; a warehouse that cannot be reached
or queried answers 503 {"error": "warehouse unavailable: ..."} with no
credentials in it.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, TypeVar

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from diplowatch import settings
from diplowatch.ui import queries
from diplowatch.ui.queries import FILTER_PARAMS, BadParameter
from diplowatch.warehouse import db

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).parent / "templates" / "events.html"
AIRFLOW_JWT_COOKIE = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN
STATEMENT_TIMEOUT_MS = 15_000  # a runaway query must not hold an api-server worker thread

ConnectionFactory = Callable[[], psycopg2.extensions.connection]
T = TypeVar("T")


class WarehouseUnavailable(Exception):
    """The warehouse could not be reached or queried; the message is safe to show."""


# ------------------------------------------------------------------ authentication

_bearer = HTTPBearer(auto_error=False)


async def airflow_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Any:
    """The Airflow user making the request, checked by Airflow's own auth manager.

    Accepts what Airflow's REST API accepts (airflow.api_fastapi.core_api.security.get_user):
    a Bearer JWT, else the user the api-server's JWTRefreshMiddleware already
    validated from the `_token` cookie, else the `_token` cookie itself. Then asks
    the auth manager whether the user may see the Airflow website at all
    (AccessView.WEBSITE), as the UI does. 401 without credentials, 401/403 for an
    expired or forged token, 403 without website access.
    """
    has_bearer = credentials is not None and credentials.scheme.lower() == "bearer"
    if not has_bearer and not request.cookies.get(AIRFLOW_JWT_COOKIE) and getattr(request.state, "user", None) is None:
        raise HTTPException(
            401,
            "Not authenticated: log in to the Airflow UI, or send an Airflow API token "
            "(POST /auth/token) as 'Authorization: Bearer <token>'",
        )
    try:  # imported here: cheap plugin import, and a standalone app need not load Airflow
        from airflow.api_fastapi.app import get_auth_manager
        from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
        from airflow.api_fastapi.core_api.security import get_user
    except ImportError as exc:
        raise HTTPException(503, f"cannot check credentials: Airflow is not importable ({exc})") from None
    try:
        user = await get_user(request=request, _oauth_token=None, bearer_credentials=credentials)
        allowed = get_auth_manager().is_authorized_view(access_view=AccessView.WEBSITE, user=user)
    except RuntimeError as exc:  # "auth manager not initialised": not running inside the api-server
        raise HTTPException(503, f"cannot check credentials: {exc}") from None
    if not allowed:
        raise HTTPException(403, "Forbidden: your Airflow role does not give access to the website")
    return user


# ------------------------------------------------------------------ warehouse access


def _one_line(exc: BaseException) -> str:
    """The first line of an error, with any password taken out."""
    text = (str(exc).strip().splitlines() or [""])[0][:300]
    text = re.sub(r"(\w+://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
    text = re.sub(r"(password\s*=\s*)\S+", r"\1***", text, flags=re.IGNORECASE)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class WarehouseConnector:
    """Opens read-only connections to the warehouse, resolving its URL once (diplowatch.warehouse.db)."""

    def __init__(self, url: str | None = None) -> None:
        self._url = url
        self._fixed = url is not None

    def __call__(self) -> psycopg2.extensions.connection:
        if self._url is None:
            self._url = db.resolve_url()  # may start the embedded server: once, not per request
        try:
            conn = db.connect(
                self._url,
                connect_timeout=5,
                application_name="diplowatch-ui",
                options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c default_transaction_read_only=on",
            )
        except psycopg2.OperationalError:
            if not self._fixed:
                self._url = None  # resolve again next time (embedded server restarted, config changed)
            raise
        conn.autocommit = True  # read-only statements; no transaction left open between them
        return conn


def _run(connect: ConnectionFactory, query: Callable[..., T], *args: Any) -> T:
    """Run one query function on a fresh connection; warehouse trouble becomes WarehouseUnavailable."""
    try:
        conn = connect()
    except Exception as exc:  # unreachable server, bad config, embedded server failing to start
        log.warning("warehouse connection failed: %s", _one_line(exc))
        raise WarehouseUnavailable(_one_line(exc)) from None
    try:
        return query(conn, *args)
    except psycopg2.errors.UndefinedTable as exc:
        raise WarehouseUnavailable(f"{_one_line(exc)} (run `diplowatch db migrate`)") from None
    except psycopg2.Error as exc:
        log.warning("warehouse query failed: %s", _one_line(exc))
        raise WarehouseUnavailable(_one_line(exc)) from None
    finally:
        conn.close()


# ------------------------------------------------------------------ parameters


def _params(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query string as a dict; unknown or repeated parameters are a BadParameter."""
    found: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name not in allowed:
            raise BadParameter(f"unknown parameter {name[:40]!r}; this endpoint takes {', '.join(allowed)}")
        if name in found:
            raise BadParameter(f"parameter {name!r} given more than once")
        found[name] = value
    return found


# ------------------------------------------------------------------ reports


def _report_file(root: Path, path: str) -> Path:
    """The file under `root` that `path` names. BadParameter for anything that tries to leave
    `root` (.., absolute, backslashes, NUL); HTTPException 404 when there is no such file."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        raise BadParameter("report path must be a relative path inside the reports folder")
    parts = PurePosixPath(path).parts
    if any(part in ("..", ".") for part in parts) or any(part.startswith(".") for part in parts):
        raise BadParameter("report path must be a relative path inside the reports folder")
    base = root.resolve()
    target = (base / path).resolve()  # follows symlinks: a link pointing outside is refused below
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(404, "no such report")
    return target


def report_url(reports_dir: Path, report_path: str | None) -> str | None:
    """The page-relative URL ("reports/...") of a stored report, or None when it is not under reports_dir."""
    if not report_path:
        return None
    base = reports_dir.resolve()
    candidate = Path(report_path)
    candidate = (candidate if candidate.is_absolute() else base / candidate).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return "reports/" + candidate.relative_to(base).as_posix()


# ------------------------------------------------------------------ the page


@lru_cache(maxsize=1)
def _template() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


def _page(nonce: str) -> str:
    # The only server-side substitution: a per-response CSP nonce. Data arrive via the API
    # and the page's JS puts them in with textContent.
    return _template().replace("{{NONCE}}", nonce)


PAGE_CSP = (
    "default-src 'none'; script-src 'nonce-{n}'; style-src 'nonce-{n}'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
REPORT_CSP = "sandbox allow-scripts allow-popups; frame-ancestors 'self'"  # reports run in an opaque origin

UNAUTHENTICATED_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Diplomatic events: log in</title></head><body style="font-family:sans-serif;margin:2rem">
<h1>Diplomatic events</h1><p>This page is part of Airflow and needs an Airflow login.</p>
<p><a href="../">Open Airflow and log in</a>, then come back to <a href="./">this page</a>.</p>
</body></html>"""


class SecurityHeaders:
    """ASGI middleware: no MIME sniffing, no referrer to news sites, no caching of warehouse data."""

    HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-store"}

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ------------------------------------------------------------------ the app


def create_app(
    *,
    auth: Callable[..., Any] | None = airflow_user,
    connect: ConnectionFactory | None = None,
    reports_dir: Path | None = None,
) -> FastAPI:
    """The events app. `auth`: a FastAPI dependency every route runs (None: no authentication,
    for tests only); `connect`: opens a warehouse connection (default: WarehouseConnector());
    `reports_dir`: where quality reports live (default: <home>/quality_reports)."""
    connector: ConnectionFactory = connect or WarehouseConnector()

    def reports_root() -> Path:
        return reports_dir or settings.home() / "quality_reports"

    app = FastAPI(
        title="diplowatch: diplomatic events",
        description="The events extracted from the news, as the 'Diplomatic events' page shows them.",
        dependencies=[Depends(auth)] if auth is not None else [],
        docs_url=None,  # the Airflow api-server has its own docs; keep the plugin surface small
        redoc_url=None,
        openapi_url=None,
    )

    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, exc: BadParameter) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse({"error": f"bad request: {where} {first.get('msg', '')}".strip()}, status_code=400)

    @app.exception_handler(WarehouseUnavailable)
    async def warehouse_unavailable(request: Request, exc: WarehouseUnavailable) -> JSONResponse:
        return JSONResponse({"error": f"warehouse unavailable: {exc}"}, status_code=503)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> HTMLResponse | JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 401:
            headers.setdefault("WWW-Authenticate", "Bearer")
            if request.url.path.rstrip("/") == request.scope.get("root_path", "").rstrip("/"):
                return HTMLResponse(UNAUTHENTICATED_PAGE, status_code=401, headers=headers)
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=headers)

    app.add_middleware(SecurityHeaders)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page(request: Request) -> HTMLResponse:
        _params(request, ())
        nonce = secrets.token_urlsafe(16)
        return HTMLResponse(_page(nonce), headers={"Content-Security-Policy": PAGE_CSP.format(n=nonce)})

    @app.get("/api/events")
    def api_events(request: Request) -> dict[str, Any]:
        params = _params(request, (*FILTER_PARAMS, "limit", "offset"))
        filters = queries.parse_filters(params)
        limit = queries.parse_int("limit", params.get("limit"), default=50, low=1, high=500)
        offset = queries.parse_int("offset", params.get("offset"), default=0, low=0, high=queries.MAX_OFFSET)
        total, events = _run(connector, queries.list_events, filters, limit, offset)
        return {"total": total, "limit": limit, "offset": offset, "events": events}

    @app.get("/api/dyads")
    def api_dyads(request: Request) -> dict[str, Any]:
        params = _params(request, (*FILTER_PARAMS, "limit"))
        filters = queries.parse_filters(params)
        limit = queries.parse_int("limit", params.get("limit"), default=100, low=1, high=500)
        return {"dyads": _run(connector, queries.dyads, filters, limit)}

    @app.get("/api/timeline")
    def api_timeline(request: Request) -> dict[str, Any]:
        params = _params(request, (*FILTER_PARAMS, "bucket"))
        filters = queries.parse_filters(params)
        bucket = queries.parse_bucket(params.get("bucket"))
        return _run(connector, queries.timeline, filters, bucket)

    @app.get("/api/quality")
    def api_quality(request: Request) -> dict[str, Any]:
        params = _params(request, ("limit",))
        limit = queries.parse_int("limit", params.get("limit"), default=20, low=1, high=200)
        result = _run(connector, queries.quality, limit)
        root = reports_root()
        for run in result["runs"]:
            run["report_url"] = report_url(root, run.get("report_path"))
            run.pop("report_path", None)  # a server path: not the client's business
        return result

    @app.get("/api/meta")
    def api_meta(request: Request) -> dict[str, Any]:
        _params(request, ())
        return _run(connector, queries.filter_options)

    @app.get("/reports/{path:path}", include_in_schema=False)
    def report(path: str) -> FileResponse:
        target = _report_file(reports_root(), path)
        media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return FileResponse(target, media_type=media_type, headers={"Content-Security-Policy": REPORT_CSP})

    return app


app = create_app()
