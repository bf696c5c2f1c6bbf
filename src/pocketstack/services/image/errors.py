"""Glance's error body: webob renders the exception as HTML, JSON or text by the Accept header.

JSON: {"message": "<explanation><br /><br />\\n<detail>\\n\\n", "code": "404 Not Found", "title": "Not Found"}
(webob/exc.py WSGIHTTPException.generate_response; glance raises webob.exc.HTTP* everywhere).
"""

from __future__ import annotations

import json
import re

from starlette.responses import Response

from pocketstack.core.errors import ApiError
from pocketstack.core.routing import ApiRequest

# webob's titles, where they differ from the neutral ones
TITLES = {413: "Request Entity Too Large", 416: "Requested Range Not Satisfiable"}
_TAG, _BR = re.compile(r"<.*?>", re.S), re.compile(r"<br.*?>", re.I | re.S)


def _best_offer(accept: str) -> str:
    """Which of text/html and application/json the Accept header prefers (webob's order on ties)."""
    if not accept.strip():
        return "text/html"
    best, best_q = "text/plain", 0.0
    for offer in ("text/html", "application/json"):
        q = 0.0
        for part in accept.split(","):
            media, *params = [p.strip() for p in part.split(";")]
            mq = 1.0
            for p in params:
                if p.startswith("q="):
                    try:
                        mq = float(p[2:])
                    except ValueError:
                        mq = 0.0
            kind = offer.split("/")[0]
            if media.lower() in (offer, f"{kind}/*", "*/*"):
                q = max(q, mq)
        if q > best_q:
            best, best_q = offer, q
    return best


def render(err: ApiError, rq: ApiRequest | None = None) -> Response:
    title = TITLES.get(err.status, err.title)
    status = f"{err.status} {title}"
    detail = err.extra.get("detail") or ""
    body = f"{err.message}<br /><br />\n{detail}\n\n"
    offer = _best_offer(rq.headers.get("accept", "") if rq is not None else "application/json")
    if offer == "application/json":
        text, media = json.dumps({"message": body, "code": status, "title": title}), "application/json"
    elif offer == "text/html":
        text = (f"<html>\n <head>\n  <title>{status}</title>\n </head>\n <body>\n  <h1>{status}</h1>\n"
                f"  {body}\n </body>\n</html>")
        media = "text/html"
    else:
        plain = _TAG.sub("", _BR.sub("\n", body.replace("\n", " ").replace("\r", "")))
        text, media = f"{status}\n\n{plain}", "text/plain"
    return Response(text.encode(), status_code=err.status, media_type=media)
