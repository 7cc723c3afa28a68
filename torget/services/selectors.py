"""Reads of life situations, information pages, their versions and feedback, always scoped to
one municipality, with what each page shows loaded up front."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from torget.accounts.models import User
from torget.conversations.models import Thread
from torget.organisation.models import Municipality, Unit
from torget.organisation.selectors import unit_list_under_roles
from torget.services import policies
from torget.services.models import InfoPage, InfoPageVersion, LifeSituation, PageFeedback

AnyUser = User | AnonymousUser
PAGES_PER_PAGE = 20
STAFF_PAGES_PER_PAGE = 25
VERSIONS_PER_PAGE = 20
# How many pages the list of life situations shows under each (the rest: "See all").
SHOWN_PER_SITUATION = 5


def situation_list(*, municipality: Municipality) -> list[LifeSituation]:
    """The municipality's life situations in order, each with `page_count` (its published
    pages) and `published` (the first SHOWN_PER_SITUATION of them by title; the database
    cuts each list, however many pages there are). Two queries."""
    published = (
        InfoPage.objects.filter(is_published=True)
        .only("slug", "title")
        .order_by("title", "pk")[:SHOWN_PER_SITUATION]
    )
    return list(
        LifeSituation.objects.filter(municipality=municipality)
        .annotate(page_count=Count("pages", filter=Q(pages__is_published=True), distinct=True))
        .prefetch_related(Prefetch("pages", queryset=published, to_attr="published"))
        .order_by("position", "title")
    )


def situation_get(*, municipality: Municipality, slug: str) -> LifeSituation:
    """The life situation `slug` of `municipality`. Raises Http404."""
    situation = LifeSituation.objects.filter(municipality=municipality, slug=slug).first()
    if situation is None:
        raise Http404("life situation")
    return situation


def page_page_for_situation(*, situation: LifeSituation, page: int | str | None) -> Page:
    """One page (20) of the published information pages of `situation`, by title."""
    pages = (
        InfoPage.objects.filter(life_situations=situation, is_published=True)
        .select_related("unit")
        .order_by("title", "pk")
    )
    return Paginator(pages, PAGES_PER_PAGE).get_page(page)


def page_get_public(*, municipality: Municipality, slug: str, viewer: AnyUser) -> InfoPage:
    """The information page `slug` with its unit and life situations, as `viewer` may see it.

    Raises Http404 for a page of another municipality, one that does not exist, or one not
    published that `viewer` may not edit (so unpublished pages cannot be probed).
    """
    page = (
        InfoPage.objects.select_related("unit", "municipality")
        .prefetch_related(
            Prefetch("life_situations", queryset=LifeSituation.objects.order_by("position"))
        )
        .filter(municipality=municipality, slug=slug)
        .first()
    )
    if page is None or not policies.can_view_page(viewer, page):
        raise Http404("page")
    return page


def page_get_for_staff(*, municipality: Municipality, pk: int) -> InfoPage:
    """The page `pk` of `municipality`, published or not, for the staff pages. Raises
    Http404 (the caller checks who may edit it)."""
    page = (
        InfoPage.objects.select_related("unit", "municipality")
        .prefetch_related("life_situations")
        .filter(municipality=municipality, pk=pk)
        .first()
    )
    if page is None:
        raise Http404("page")
    return page


def unit_list_editable(*, viewer: AnyUser, municipality: Municipality) -> list[Unit]:
    """The units whose pages `viewer` keeps (those of their communicator and unit
    administrator roles, and every unit below them), in tree order. Two queries."""
    return unit_list_under_roles(
        viewer=viewer, municipality=municipality, roles=policies.EDITOR_ROLES
    )


@dataclass(frozen=True)
class StaffFilter:
    unit: int | None = None
    needs_review: bool = False


def page_page_for_staff(*, units: list[Unit], filters: StaffFilter, page: int | str | None) -> Page:
    """The owners' dashboard: one page of the information pages of `units`, each with
    `helpful_yes`, `helpful_no` and `written` (feedback answers with a text) counted in the
    same query."""
    unit_ids = [u.pk for u in units]
    if filters.unit:
        unit_ids = [pk for pk in unit_ids if pk == filters.unit]
    pages = InfoPage.objects.filter(unit_id__in=unit_ids).select_related("unit")
    if filters.needs_review:
        pages = pages.filter(review_due_on__lt=timezone.localdate())
    pages = pages.annotate(
        helpful_yes=Count("feedback", filter=Q(feedback__helpful=True)),
        helpful_no=Count("feedback", filter=Q(feedback__helpful=False)),
        written=Count("feedback", filter=Q(feedback__text__gt="")),
    ).order_by("title", "pk")
    return Paginator(pages, STAFF_PAGES_PER_PAGE).get_page(page)


def feedback_share(yes: int, no: int) -> int | None:
    """The share of "yes" in whole percent, or None without votes."""
    total = yes + no
    return round(100 * yes / total) if total else None


def feedback_list_written(*, page: InfoPage, limit: int = 20) -> list[PageFeedback]:
    """The latest written answers on `page`, each with its thread (for the staff page)."""
    return list(
        PageFeedback.objects.filter(page=page, text__gt="")
        .select_related("thread")
        .order_by("-at", "-pk")[:limit]
    )


def version_page(*, page: InfoPage, number: int | str | None) -> Page:
    """One page of the versions of `page`, newest first, with their authors."""
    versions = (
        InfoPageVersion.objects.filter(page=page).select_related("author").order_by("-number")
    )
    return Paginator(versions, VERSIONS_PER_PAGE).get_page(number)


def version_get(*, page: InfoPage, number: int) -> InfoPageVersion:
    """Version `number` of `page`. Raises Http404."""
    version = (
        InfoPageVersion.objects.select_related("author").filter(page=page, number=number).first()
    )
    if version is None:
        raise Http404("version")
    return version


def version_get_previous(*, version: InfoPageVersion) -> InfoPageVersion | None:
    return (
        InfoPageVersion.objects.filter(page_id=version.page_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context", "hunk"
    text: str


@dataclass(frozen=True)
class FieldDiff:
    field: str
    lines: list[DiffLine]


def version_diff(
    older: InfoPageVersion | None, newer: InfoPageVersion, labels: Mapping[str, object]
) -> list[FieldDiff]:
    """What changed from `older` to `newer`, field by field, as unified-diff lines (difflib).
    The text is returned raw: the template escapes it. `labels` names the fields."""
    diffs: list[FieldDiff] = []
    for field, label in labels.items():
        before = (getattr(older, field) if older else "").splitlines()
        after = getattr(newer, field).splitlines()
        if before == after:
            continue
        lines: list[DiffLine] = []
        for line in difflib.unified_diff(before, after, lineterm="", n=2):
            if line.startswith(("---", "+++")):
                continue
            if line.startswith("@@"):
                lines.append(DiffLine("hunk", line))
            elif line.startswith("+"):
                lines.append(DiffLine("add", line[1:]))
            elif line.startswith("-"):
                lines.append(DiffLine("remove", line[1:]))
            else:
                lines.append(DiffLine("context", line[1:]))
        diffs.append(FieldDiff(str(label), lines))
    return diffs


def thread_path_on_page(thread: Thread) -> str:
    """Where a feedback thread is shown: a resident who was logged in reads the answer, and
    writes back, on the conversation's own page; one without an account has only the
    information page (the answer reaches them by e-mail)."""
    from django.urls import reverse

    if thread.opened_by_id is not None or thread.subject_id is None:
        return reverse("conversations:thread-detail", args=[thread.pk])
    slug = InfoPage.objects.filter(pk=thread.subject_id).values_list("slug", flat=True).first()
    if slug is None:
        return reverse("conversations:thread-detail", args=[thread.pk])
    return f"{reverse('services:page-detail', args=[slug])}#tilbakemelding"
