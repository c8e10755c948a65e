"""The ``ingestd serve`` web application: Starlette routes, run by uvicorn.

Pages (HTML, rendered on the server, complete without JavaScript) and the
JSON API beside each (``/api/v1/…``, schemas in ``ingestd/serve/schemas/``):

    /                        /api/v1/stories        stories, newest first; filters, search
    /stories/{id}            /api/v1/stories/{id}   one story: chain graph, members, evidence
    /compare?copy=&source=   /api/v1/compare        a copy beside its source: what was copied
    /outlets                 /api/v1/outlets        every outlet
    /outlets/{id}            /api/v1/outlets/{id}   whom it copies, who copies it, share of copies
    /feeds                   /api/v1/feeds          feed health, failing first
    /review                  /api/v1/review         decisions near a threshold

Security: every response carries a strict Content-Security-Policy (no
script at all, styles and images from this app only) and no-sniff /
no-referrer / no-framing headers; the Host header must name the address
served (no DNS rebinding of a loopback server); with an access token set,
every request needs it (``Authorization: Bearer …``, or the cookie that
``/login`` sets). Store strings reach pages through autoescaped templates.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ingestd import __version__
from ingestd.errors import QueryTooCostly, StoreError
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.ops.tree import StoryDetail, story_json
from ingestd.report.html import template_environment
from ingestd.report.model import DEFAULT_MARGIN, SHARED_MARGIN, ReportThresholds, near_decisions
from ingestd.report.rows import ArticleRef
from ingestd.serve import queries
from ingestd.serve.compare import Comparison, compare, known_outlets, paragraph_keys, side
from ingestd.serve.queries import StorePool
from ingestd.serve.views import (
    BadRequest,
    ListRequest,
    chain_graph,
    integer,
    member_views,
    parse_list,
    share_chart,
)
from ingestd.store import Store
from ingestd.store.budget import DEFAULT_BUDGET_S

API_VERSION = 1
TOKEN_COOKIE = "ingestd_serve_token"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
REVIEW_SHOWN = 50
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """How the app runs: the store, the optional access token, the hosts it answers to."""

    url: str
    token: str | None = None
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    pool_size: int = 4
    budget_s: float = DEFAULT_BUDGET_S


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, and the access token."""

    def __init__(self, app: ASGIApp, token: str | None):
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in _SECURITY_HEADERS if h[0] not in names),
                ]
            await send(message)

        if self.token is not None and not self._allowed(scope):
            path = scope.get("path", "")
            if path.startswith("/api/"):
                response: Response = JSONResponse(
                    {"error": "an access token is needed (Authorization: Bearer …)"},
                    status_code=401,
                    headers={"www-authenticate": 'Bearer realm="ingestd"'},
                )
            else:
                response = RedirectResponse("/login", status_code=303)
            await response(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)

    def _allowed(self, scope: Scope) -> bool:
        if scope.get("path") in ("/login", "/static/serve.css", "/favicon.ico"):
            return True
        assert self.token is not None
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        offered: list[str] = []
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            offered.append(authorization[7:].strip())
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == TOKEN_COOKIE:
                offered.append(value)
        return any(hmac.compare_digest(o.encode(), self.token.encode()) for o in offered)


def new_token() -> str:
    """A fresh random access token."""
    return secrets.token_urlsafe(24)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _static(name: str) -> bytes:
    return resources.files("ingestd.serve").joinpath("static", name).read_bytes()


class Pages:
    """The route handlers over one store pool (sync: Starlette runs them in threads)."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self.pool = StorePool(config.url, size=config.pool_size, budget_s=config.budget_s)
        self.env = template_environment("ingestd.serve")
        self.env.globals.update(version=__version__, api_version=API_VERSION)
        self.env.filters.update(query=_query_string, pct=_pct)
        self.css = _static("serve.css")
        self.icon = _static("icon.svg")

    # -- plumbing ------------------------------------------------------------

    def html(self, template: str, code: int = 200, **context: Any) -> HTMLResponse:
        page = self.env.get_template(template).render(**context)
        return HTMLResponse(page, status_code=code)

    def guarded(
        self, handler: Callable[[Request, Store], Response], *, api: bool
    ) -> Callable[[Request], Response]:
        """Run ``handler`` with a store session; errors become 400/404/503 pages or JSON."""

        def run(request: Request) -> Response:
            try:
                with self.pool.session() as store:
                    return handler(request, store)
            except BadRequest as error:
                return self.error(400, str(error), api)
            except NotFound as error:
                return self.error(404, str(error), api)
            except QueryTooCostly as error:
                return self.error(503, f"{error}: narrow the filters", api)
            except StoreError as error:
                return self.error(503, f"the store could not answer: {error}", api)

        return run

    def error(self, status: int, message: str, api: bool) -> Response:
        if api:
            return JSONResponse({"error": message}, status_code=status)
        return self.html("error.html.j2", status, status=status, message=message)

    # -- stories ---------------------------------------------------------------

    def _story_page(self, request: Request, store: Store) -> tuple[ListRequest, Any, Any]:
        wanted = parse_list(dict(request.query_params), datetime.now(UTC))
        outlet = None
        if wanted.outlet_text:
            outlet = queries.find_outlet(store, wanted.outlet_text)
            if outlet is None:
                raise BadRequest(f"outlet: no outlet {wanted.outlet_text!r}")
        where = wanted.filter
        if outlet is not None:
            where = queries.StoryFilter(
                since=where.since,
                outlet=outlet.name,
                language=where.language,
                copies_only=where.copies_only,
                min_members=where.min_members,
                query=where.query,
            )
        page = queries.list_stories(store, where, wanted.cursor, wanted.limit)
        return wanted, outlet, page

    def stories(self, request: Request, store: Store) -> Response:
        wanted, outlet, page = self._story_page(request, store)
        params = dict(request.query_params)
        next_link = None
        if page.next_cursor is not None:
            next_link = "/?" + _query_string({**params, "after": page.next_cursor.token()})
        return self.html(
            "stories.html.j2",
            wanted=wanted,
            params=params,
            outlet=outlet,
            page=page,
            next_link=next_link,
            first_link="/?" + _query_string({k: v for k, v in params.items() if k != "after"}),
            outlets=queries.outlet_names(store),
            languages=queries.languages(store),
            api="/api/v1/stories?" + _query_string(params),
        )

    def api_stories(self, request: Request, store: Store) -> Response:
        wanted, outlet, page = self._story_page(request, store)
        return JSONResponse(
            {
                "api_version": API_VERSION,
                "filters": {
                    "since": _jsonable(wanted.filter.since),
                    "outlet": outlet.name if outlet else None,
                    "language": wanted.filter.language,
                    "copies_only": wanted.filter.copies_only,
                    "min_members": wanted.filter.min_members,
                    "q": wanted.filter.query,
                    "search_terms": list(page.terms),
                },
                "stories": [_jsonable(row) for row in page.rows],
                "next": page.next_cursor.token() if page.next_cursor else None,
                "complete": page.complete,
                "scanned": page.scanned,
            }
        )

    def _story(self, request: Request, store: Store) -> StoryDetail:
        story_id = _path_id(request, "story_id")
        detail = queries.story(store, story_id)
        if detail is None:
            raise NotFound(f"no story {story_id}")
        return detail

    def story(self, request: Request, store: Store) -> Response:
        detail = self._story(request, store)
        return self.html(
            "story.html.j2",
            story=detail,
            graph=chain_graph(detail),
            members=member_views(detail),
            api=f"/api/v1/stories/{detail.story_id}",
        )

    def api_story(self, request: Request, store: Store) -> Response:
        detail = self._story(request, store)
        document = story_json(detail)
        document["api_version"] = API_VERSION
        document["copy_count"] = sum(1 for m in detail.members if m.role == "copy")
        document["members"] = [
            {
                "article_id": v.member.article_id,
                "outlet": v.member.outlet,
                "role": v.member.role,
                "is_origin": v.is_origin,
                "derived_from": v.member.derived_from,
                "why": v.link,
                "credits": list(v.credits),
                "compare": [
                    f"/api/v1/compare?copy={v.member.article_id}&source={s}"
                    for s in (v.compare_source, v.compare_origin)
                    if s is not None
                ],
            }
            for v in member_views(detail)
        ]
        return JSONResponse(_jsonable(document))

    # -- the copy view ------------------------------------------------------------

    def _compare(self, request: Request, store: Store) -> tuple[Any, Any, Comparison, Any]:
        params = request.query_params
        copy_id = integer(params, "copy", 0, 1, 2**62)
        source_id = integer(params, "source", 0, 1, 2**62)
        if not copy_id or not source_id:
            raise BadRequest("copy and source: two article ids")
        copy = queries.article_text(store, copy_id)
        source = queries.article_text(store, source_id)
        for wanted, found in ((copy_id, copy), (source_id, source)):
            if found is None:
                raise NotFound(f"no article {wanted}")
        assert copy is not None and source is not None
        if copy.text is None or source.text is None:
            raise NotFound("the text of one of these articles was pruned")
        known = known_outlets([(o.name, o.domain, o.aliases) for o in queries.known_outlets(store)])
        sides = [
            side(
                a.article_id,
                a.outlet,
                a.outlet_domain,
                a.text or "",
                queries.paragraph_counts(store, a.outlet_id, paragraph_keys(a.text or "")),
            )
            for a in (copy, source)
        ]
        view = compare(sides[0], sides[1], known)
        stored = {
            "edge": queries.stored_edge(store, copy_id, source_id),
            "evidence": queries.member_evidence(store, copy_id),
        }
        return copy, source, view, stored

    def compare(self, request: Request, store: Store) -> Response:
        copy, source, view, stored = self._compare(request, store)
        edge = stored["edge"]
        evidence = stored["evidence"]
        derived = queries.story(store, copy.story_id)
        is_parent = derived is not None and any(
            m.article_id == copy.article_id and m.derived_from == source.article_id
            for m in derived.members
        )
        return self.html(
            "compare.html.j2",
            copy=copy,
            source=source,
            view=view,
            edge=edge,
            evidence=evidence if is_parent else {},
            is_parent=is_parent,
            counts=view.counts(),
            api=f"/api/v1/compare?copy={copy.article_id}&source={source.article_id}",
        )

    def api_compare(self, request: Request, store: Store) -> Response:
        copy, source, view, stored = self._compare(request, store)
        edge = stored["edge"]
        document = {
            "api_version": API_VERSION,
            "copy": _article_json(copy),
            "source": _article_json(source),
            "verdict": {
                k: getattr(view, k)
                for k in (
                    "rule",
                    "linked",
                    "exact",
                    "shared",
                    "copy_size",
                    "source_size",
                    "jaccard",
                    "containment",
                    "coverage",
                    "copy_share",
                    "source_share",
                    "covered_paragraphs",
                )
            },
            "stored_comparison": _jsonable(edge) if edge is not None else None,
            "word_marks": view.word_marks,
            "paragraph_counts": view.counts(),
            "rows": _jsonable(view.rows),
            "copy_credits": _jsonable(view.copy_credits),
            "source_credits": _jsonable(view.source_credits),
        }
        return JSONResponse(document)

    # -- outlets -------------------------------------------------------------------

    def outlets(self, request: Request, store: Store) -> Response:
        rows = queries.outlets(store)
        return self.html("outlets.html.j2", outlets=rows, api="/api/v1/outlets")

    def api_outlets(self, request: Request, store: Store) -> Response:
        rows = queries.outlets(store)
        return JSONResponse({"api_version": API_VERSION, "outlets": _jsonable(rows)})

    def _outlet(self, request: Request, store: Store) -> Any:
        outlet_id = _path_id(request, "outlet_id")
        found = queries.find_outlet(store, str(outlet_id))
        if found is None:
            raise NotFound(f"no outlet {outlet_id}")
        return queries.outlet_activity(store, found)

    def outlet(self, request: Request, store: Store) -> Response:
        activity = self._outlet(request, store)
        return self.html(
            "outlet.html.j2",
            activity=activity,
            chart=share_chart(activity.articles),
            api=f"/api/v1/outlets/{activity.outlet.outlet_id}",
        )

    def api_outlet(self, request: Request, store: Store) -> Response:
        activity = self._outlet(request, store)
        chart = share_chart(activity.articles)
        return JSONResponse(
            {
                "api_version": API_VERSION,
                "outlet": _jsonable(activity.outlet),
                "window": activity.window,
                "articles_described": len(activity.articles),
                "copies_from": [{"outlet": n, "count": c} for n, c in activity.copies_from],
                "copied_by": [{"outlet": n, "count": c} for n, c in activity.copied_by],
                "copy_share": [
                    {
                        "period": chart.period,
                        "start": _jsonable(bar.start),
                        "articles": bar.articles,
                        "copies": bar.copies,
                    }
                    for bar in chart.bars
                ],
                "recent_copies": _jsonable(activity.recent_copies),
                "recently_copied": _jsonable(activity.recently_copied),
            }
        )

    # -- feeds -----------------------------------------------------------------------

    def _feeds(self, request: Request, store: Store) -> tuple[int, int, list[Any], bool]:
        limit = integer(request.query_params, "limit", 100, 1, queries.MAX_PAGE_SIZE)
        offset = integer(request.query_params, "offset", 0, 0, queries.MAX_FEED_OFFSET)
        rows, more = queries.feed_health(store, offset, limit)
        return offset, limit, rows, more

    def feeds(self, request: Request, store: Store) -> Response:
        offset, limit, rows, more = self._feeds(request, store)
        return self.html(
            "feeds.html.j2",
            feeds=rows,
            offset=offset,
            limit=limit,
            more=more,
            api=f"/api/v1/feeds?offset={offset}&limit={limit}",
        )

    def api_feeds(self, request: Request, store: Store) -> Response:
        offset, limit, rows, more = self._feeds(request, store)
        return JSONResponse(
            {
                "api_version": API_VERSION,
                "offset": offset,
                "limit": limit,
                "more": more,
                "feeds": _jsonable(rows),
            }
        )

    # -- review ------------------------------------------------------------------------

    def _review(self, store: Store) -> Any:
        edges, labels = queries.recent_edges(store)
        t = DEFAULT_THRESHOLDS
        limits = ReportThresholds(
            near_duplicate_jaccard=t.near_duplicate_jaccard,
            min_containment=t.min_containment,
            min_shared_shingles=t.min_shared_shingles,
            margin=DEFAULT_MARGIN,
            shared_margin=SHARED_MARGIN,
        )
        refs = [
            ArticleRef(x.article_id, x.story_id, x.outlet, x.url, x.title, x.first_seen_at)
            for x in labels
        ]
        return limits, near_decisions(edges, refs, limits)[:REVIEW_SHOWN], len(edges)

    def review(self, request: Request, store: Store) -> Response:
        limits, decisions, looked_at = self._review(store)
        return self.html(
            "review.html.j2",
            limits=limits,
            decisions=decisions,
            looked_at=looked_at,
            window=queries.REVIEW_WINDOW,
            api="/api/v1/review",
        )

    def api_review(self, request: Request, store: Store) -> Response:
        limits, decisions, looked_at = self._review(store)
        return JSONResponse(
            {
                "api_version": API_VERSION,
                "thresholds": _jsonable(limits),
                "comparisons_examined": looked_at,
                "decisions": [
                    {
                        **_jsonable(d),
                        "compare": f"/api/v1/compare?copy={d.b.article_id}&source={d.a.article_id}",
                    }
                    for d in decisions
                ],
            }
        )

    # -- the rest ------------------------------------------------------------------------

    def login(self, request: Request) -> Response:
        return self.html("login.html.j2", failed=False)

    async def login_post(self, request: Request) -> Response:
        body = (await request.body())[:4096].decode("utf-8", "replace")
        token = (parse_qs(body).get("token") or [""])[0]
        expected = self.config.token
        if expected is None or not hmac.compare_digest(token.encode(), expected.encode()):
            return self.html("login.html.j2", 403, failed=True)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            TOKEN_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    def css_file(self, request: Request) -> Response:
        return Response(self.css, media_type="text/css")

    def icon_file(self, request: Request) -> Response:
        return Response(self.icon, media_type="image/svg+xml")

    def not_found(self, request: Request, exc: Exception) -> Response:
        api = request.url.path.startswith("/api/")
        return self.error(404, f"nothing at {request.url.path}", api)


class NotFound(LookupError):
    """No such story, article or outlet (HTTP 404)."""


def _path_id(request: Request, name: str) -> int:
    text = str(request.path_params[name])
    if not text.isdigit() or len(text) > 18:
        raise NotFound(f"no {name.replace('_id', '')} {text!r}")
    return int(text)


def _query_string(params: Mapping[str, Any]) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _article_json(article: queries.ArticleText) -> dict[str, Any]:
    data = _jsonable(article)
    data.pop("text", None)
    return dict(data)


def build_app(config: ServeConfig) -> Starlette:
    """The application over the store at ``config.url`` (opened read-only at once)."""
    pages = Pages(config)

    def page(handler: Callable[[Request, Store], Response]) -> Callable[[Request], Response]:
        return pages.guarded(handler, api=False)

    def api(handler: Callable[[Request, Store], Response]) -> Callable[[Request], Response]:
        return pages.guarded(handler, api=True)

    routes = [
        Route("/", page(pages.stories)),
        Route("/stories/{story_id}", page(pages.story)),
        Route("/compare", page(pages.compare)),
        Route("/outlets", page(pages.outlets)),
        Route("/outlets/{outlet_id}", page(pages.outlet)),
        Route("/feeds", page(pages.feeds)),
        Route("/review", page(pages.review)),
        Route("/api/v1/stories", api(pages.api_stories)),
        Route("/api/v1/stories/{story_id}", api(pages.api_story)),
        Route("/api/v1/compare", api(pages.api_compare)),
        Route("/api/v1/outlets", api(pages.api_outlets)),
        Route("/api/v1/outlets/{outlet_id}", api(pages.api_outlet)),
        Route("/api/v1/feeds", api(pages.api_feeds)),
        Route("/api/v1/review", api(pages.api_review)),
        Route("/login", pages.login, methods=["GET"]),
        Route("/login", pages.login_post, methods=["POST"]),
        Route("/static/serve.css", pages.css_file),
        Route("/static/icon.svg", pages.icon_file),
        Route("/favicon.ico", pages.icon_file),
    ]
    middleware = [
        Middleware(SecurityHeaders, token=config.token),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(config.allowed_hosts)),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        pages.pool.close()

    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={404: pages.not_found},
        lifespan=lifespan,
        max_body_size=64 * 1024,
    )


def api_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one API document (``stories``, ``story``, ``compare``, …)."""
    text = resources.files("ingestd.serve").joinpath("schemas", f"{name}.schema.json")
    schema: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return schema


API_SCHEMAS: Sequence[str] = ("stories", "story", "compare", "outlets", "outlet", "feeds", "review")


class WebServer:
    """uvicorn serving one app: ``run()`` blocks until ``stop()`` (or SIGINT/SIGTERM).

    ``sock``: an already bound socket to serve on (tests bind port 0); else
    ``host``/``port``. Signals are handled only when run in the main thread.
    """

    def __init__(
        self, app: Starlette, host: str, port: int, sock: socket.socket | None = None
    ) -> None:
        import uvicorn

        self._sock = sock
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
                server_header=False,
                proxy_headers=False,
                lifespan="on",
            )
        )

    def run(self) -> None:
        """Serve until stopped; uvicorn finishes the requests in flight first."""
        self._server.run(sockets=[self._sock] if self._sock is not None else None)

    @property
    def started(self) -> bool:
        """Whether the server is accepting connections."""
        return bool(self._server.started)

    def stop(self) -> None:
        """Ask the server to stop (from any thread)."""
        self._server.should_exit = True


def serve_forever(app: Starlette, host: str, port: int) -> None:
    """Run ``app`` under uvicorn until SIGINT/SIGTERM (requests in flight finish first)."""
    WebServer(app, host, port).run()
