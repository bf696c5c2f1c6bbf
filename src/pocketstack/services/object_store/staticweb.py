"""StaticWeb: a container served as a web site (swift/common/middleware/staticweb.py).

Container metadata Web-Index, Web-Listings (+ Web-Listings-CSS, Web-Listings-Label), Web-Error and
Web-Directory-Type drive GET/HEAD of container and object paths. It applies to anonymous requests
(which still need the container's read ACL, e.g. .r:*) and to tokens sent with X-Web-Mode: true;
other requests (and TempURL ones) see the plain API. A container path without a trailing slash is redirected (301)
to the path with one (the router hands "/v1/a/c/" to the container route).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import NotFound
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import acl, headers, listing, request, state
from pocketstack.services.object_store.tables import objects

INFO: dict[str, Any] = {}
LISTING_LIMIT = 10000


def applies(ctx: Context, rq: ApiRequest) -> bool:
    if rq.method not in ("GET", "HEAD") or not rq.params.get("container") or "temp_url_sig" in rq.query:
        return False
    return not ctx.authenticated or headers.true(rq.headers.get("x-web-mode"))


def _web_mode(rq: ApiRequest) -> bool:
    return headers.true(rq.headers.get("x-web-mode"))


class Site:
    def __init__(self, ctx: Context, rq: ApiRequest, meta: dict[str, Any]) -> None:
        self.ctx, self.rq = ctx, rq
        self.account, self.container = rq.params["account"], rq.params["container"]
        get = lambda k: str(meta.get(f"x-container-meta-web-{k}", "")).strip()  # noqa: E731
        self.index, self.error, self.listings = get("index"), get("error"), get("listings")
        self.css, self.label, self.dir_type = get("listings-css"), get("listings-label"), get("directory-type")

    # --- sub-requests --------------------------------------------------------------
    def get_object(self, name: str) -> Response | None:
        """The object as the API serves it (with its own auth check), or None when it is missing."""
        from pocketstack.services.object_store import object_read
        saved = self.rq.params
        self.rq.params = {**saved, "obj": name}
        try:
            return object_read.show_object(self.ctx, self.rq)
        except NotFound:
            return None
        finally:
            self.rq.params = saved

    def error_page(self, status: int, fallback: Callable[[], Response]) -> Response:
        if self.error:
            page = self.get_object(f"{status}{self.error}")
            if page is not None and page.status_code < 300:
                page.status_code = status
                return page
        return fallback()

    def not_found(self) -> Response:
        return self.error_page(404, lambda: self.plain(404, b"<html><h1>Not Found</h1><p>The resource could "
                                                              b"not be found.</p></html>"))

    def plain(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> Response:
        hdrs = {"X-Trans-Id": self.tid(), "X-Openstack-Request-Id": self.tid(), **(extra or {})}
        return Response(b"" if self.rq.method == "HEAD" else body, status_code=status,
                        media_type="text/html; charset=UTF-8", headers=hdrs)

    def tid(self) -> str:
        tid: str = getattr(self.rq, "trans_id", None) or headers.trans_id()
        self.rq.trans_id = tid  # type: ignore[attr-defined]
        return tid

    def redirect_slash(self) -> Response:
        return self.plain(301, b"", {"Location": quote(self.rq.client_path + "/")})

    # --- pages ---------------------------------------------------------------------
    def listing(self, prefix: str = "") -> Response:
        label = self.rq.path[len(self.rq.service_prefix):] if self.rq.service_prefix and \
            self.rq.path.startswith(self.rq.service_prefix) else self.rq.path
        if self.label:
            label = f"{self.label}/{prefix}"
        head = f"<!DOCTYPE html>\n<html>\n <head>\n  <title>Listing of {html.escape(label)}</title>\n"
        if self.css:
            head += f'  <link rel="stylesheet" type="text/css" href="{self.css_path(prefix)}" />\n'
        else:
            head += ('  <style type="text/css">\n   h1 {font-size: 1em; font-weight: bold;}\n'
                     '   th {text-align: left; padding: 0px 1em 0px 1em;}\n'
                     '   td {padding: 0px 1em 0px 1em;}\n   a {text-decoration: none;}\n  </style>\n')
        head += " </head>\n"
        if not headers.true(self.listings):
            body = head + (" <body>\n  <h1>Web Listing Disabled</h1>\n   <p>The owner of this web site has "
                           "disabled web listing.</p>\n   <p>If you are the owner of this web site, you can "
                           "enable web listing by setting X-Container-Meta-Web-Listings.</p>\n")
            if self.index:
                body += (f"  <h1>Index File Not Found</h1>\n   <p>The owner of this web site has set "
                         f"<b>X-Container-Meta-Web-Index: {html.escape(self.index)}</b>. However, this file "
                         f"is not found.</p>\n")
            body += " </body>\n</html>\n"
            return self.error_page(404, lambda: self.plain(404, body.encode()))
        with db.reader() as conn:
            items = state.list_names(conn, objects, [objects.c.account == self.account,
                                                     objects.c.container == self.container],
                                     limit=LISTING_LIMIT, prefix=prefix, delimiter="/")
        if prefix and not items:
            return self.not_found()
        rows = []
        if prefix:
            rows.append('   <tr id="parent" class="item">\n    <td class="colname"><a href="../">../</a></td>\n'
                        '    <td class="colsize">&nbsp;</td>\n    <td class="coldate">&nbsp;</td>\n   </tr>\n')
        for item in items:
            entry = listing.object_entry(item)
            if "subdir" in entry:
                name = entry["subdir"][len(prefix):]
                rows.append(f'   <tr class="item subdir">\n    <td class="colname"><a href="{quote(name)}">'
                            f'{html.escape(name)}</a></td>\n    <td class="colsize">&nbsp;</td>\n'
                            f'    <td class="coldate">&nbsp;</td>\n   </tr>\n')
                continue
            name = entry["name"][len(prefix):]
            kinds = " ".join("type-" + html.escape(t) for t in entry["content_type"].split(";")[0].split("/"))
            date = entry["last_modified"].replace("T", " ")[:19]
            rows.append(f'   <tr class="item {kinds}">\n    <td class="colname"><a href="{quote(name)}">'
                        f'{html.escape(name)}</a></td>\n    <td class="colsize">{entry["bytes"]}</td>\n'
                        f'    <td class="coldate">{date}</td>\n   </tr>\n')
        body = (head + f' <body>\n  <h1 id="title">Listing of {html.escape(label)}</h1>\n  <table id="listing">\n'
                '   <tr id="heading">\n    <th class="colname">Name</th>\n    <th class="colsize">Size</th>\n'
                '    <th class="coldate">Date</th>\n   </tr>\n' + "".join(rows) + "  </table>\n </body>\n</html>\n")
        data = body.encode()
        return self.plain(200, data, {"Content-Length": str(len(data))})

    def css_path(self, prefix: str) -> str:
        if self.css.startswith(("/", "http://", "https://")):
            return quote(self.css, ":/")
        return "../" * prefix.count("/") + quote(self.css)

    def is_dir_marker(self, resp: Response) -> bool:
        ctype = resp.headers.get("content-type", "").split(";")[0].strip()
        return ctype == (self.dir_type or "application/directory") and \
            int(resp.headers.get("content-length") or 0) <= 1


def _load(ctx: Context, rq: ApiRequest) -> Site | None:
    """The site for this container, or None (container missing: the plain API answers)."""
    account, container = rq.params["account"], rq.params["container"]
    with db.reader() as conn:
        row = state.get_container(conn, account, container)
    if row is None:
        return None
    acl.authorize(ctx, account, acl.READ, row["meta"], request.referrer(rq))
    return Site(ctx, rq, row["meta"])


def container_get(ctx: Context, rq: ApiRequest) -> Response | None:
    """GET/HEAD /v1/a/c: None to let the plain container handler answer."""
    request.target(rq)
    site = _load(ctx, rq)
    if site is None:
        return None
    if not site.listings and not site.index:
        return site.plain(404, b"") if _web_mode(rq) else None
    if not rq.path.endswith("/"):
        return site.redirect_slash()
    return _index_or_listing(site, "")


def _index_or_listing(site: Site, prefix: str) -> Response:
    if site.index:
        page = site.get_object(prefix + site.index)
        if page is not None:
            return page
    return site.listing(prefix)


def object_get(ctx: Context, rq: ApiRequest) -> Response | None:
    """GET/HEAD /v1/a/c/o (o may be empty or end in "/"): None to let the plain object handler answer."""
    obj = rq.params.get("obj", "")
    if obj and rq.path.endswith("/") and not obj.endswith("/"):
        obj += "/"
    if obj:
        request.target(rq)
    site = _load(ctx, rq)
    if site is None:
        return None
    if not obj:
        if not site.listings and not site.index:
            return site.plain(404, b"") if _web_mode(rq) else None
        return _index_or_listing(site, "")
    resp = site.get_object(obj)
    if resp is not None and not site.is_dir_marker(resp):
        return resp
    if not site.listings and not site.index:
        return resp
    if site.index:
        page = site.get_object(obj.rstrip("/") + "/" + site.index)
        if page is not None:
            return page if obj.endswith("/") else site.redirect_slash()
    if not obj.endswith("/"):
        with db.reader() as conn:
            items = state.list_names(conn, objects, [objects.c.account == site.account,
                                                     objects.c.container == site.container],
                                     limit=1, prefix=obj + "/", delimiter="/")
        return site.redirect_slash() if items else site.not_found()
    return site.listing(obj)
