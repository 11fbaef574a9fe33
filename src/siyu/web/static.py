"""Static assets served by siyu itself (no CDN): its own files and Plotly's bundle."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siyu.kit.errors import SiyuError

STATIC_DIR = Path(__file__).parent.parent / "console" / "static"
PLOTLY_PATH = "/static/vendor/plotly.min.js"
router = APIRouter(include_in_schema=False)


def plotly_file() -> Path:
    """The plotly.min.js that ships inside the plotly Python package."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise SiyuError("console.plotly_missing")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


@cache
def _plotly() -> tuple[bytes, bytes, str]:
    data = plotly_file().read_bytes()
    return data, gzip.compress(data, 6), hashlib.sha256(data).hexdigest()[:16]


@router.get(PLOTLY_PATH)
def plotly_js(request: Request) -> Response:
    """Plotly's bundle, gzipped when the browser accepts it, cached for a day."""
    plain, packed, tag = _plotly()
    headers = {
        "Cache-Control": "public, max-age=86400",
        "ETag": f'"{tag}"',
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == f'"{tag}"':
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            packed, media_type="text/javascript", headers=headers | {"Content-Encoding": "gzip"}
        )
    return Response(plain, media_type="text/javascript", headers=headers)
