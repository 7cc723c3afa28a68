"""Posts in the site search (kind "post"), registered with core's search registry in
PagesConfig.ready(). A post is found once it is published, in its municipality's målform."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from torget.organisation.models import Municipality
from torget.pages.models import Post

KIND = "post"


def post_search_document(post: Post) -> dict[str, Any]:
    """What the index holds for `post`: index.document_upsert's keyword arguments."""
    return {
        "municipality_id": post.municipality_id,
        "kind": KIND,
        "object_id": post.pk,
        "title": post.title,
        "body": post.body,
        "url": post.get_absolute_url(),
        "language": post.municipality.malform,
        "unit_id": post.unit_id,
    }


def post_documents(municipality: Municipality) -> Iterator[dict[str, Any]]:
    """Every published post of `municipality` (for manage.py search_reindex)."""
    posts = Post.objects.select_related("municipality").filter(
        municipality=municipality, published_at__lte=timezone.now()
    )
    for post in posts.order_by("pk").iterator(chunk_size=500):
        yield post_search_document(post)


def post_document(object_id: int) -> dict[str, Any] | None:
    """The post's document if it is published now, else None (not to be found yet)."""
    post = Post.objects.select_related("municipality").filter(pk=object_id).first()
    if post is None or post.published_at > timezone.now():
        return None
    return post_search_document(post)
