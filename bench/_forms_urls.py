"""URLs of the `forms` benchmark's server: Torget's own plus one baseline view.

The baseline is "a minimal endpoint in the same server that stores one row per request": a
POST to /bench/row/ goes through the same middleware (host lookup, session, CSRF, auth) and
inserts one row into `bench_row`, a table the benchmark creates. Mounted only here (through
`bench._forms_site`), never in the product's URLs.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_POST

TABLE = "bench_row"


@require_POST
def row_store(request: HttpRequest) -> HttpResponse:
    """Store one row (the request's form field `value`) and answer 303, as a submission does."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (value) VALUES (%s)",
            [request.POST.get("value", "")[:200]],
        )
    response = HttpResponse(status=303)
    response["Location"] = "/bench/row/done/"
    return response


urlpatterns = [
    path("bench/row/", row_store),
    path("", include("config.urls")),
]

handler400 = "torget.core.views.bad_request"
handler403 = "torget.core.views.permission_denied"
handler404 = "torget.core.views.page_not_found"
handler500 = "torget.core.views.server_error"
