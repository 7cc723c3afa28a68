"""Reads for the "My participation" section of Min side: the person's hearing statements,
proposals and forum follows, as one list, newest first, paged.

The other parts' pages may not all exist yet; a link whose URL name is unknown is left out
(the entry is shown as text)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from torget.accounts.models import User
from torget.organisation.models import Municipality
from torget.participation.models import Forum, ForumFollow, Proposal, Statement

PER_PAGE = 10

STATEMENT = "statement"
PROPOSAL = "proposal"
FOLLOW = "follow"


@dataclass(frozen=True)
class Entry:
    """One line of the section: what it is, where, its state in words, and a link (or "")."""

    kind: str
    kind_label: str
    title: str
    where: str
    state: str
    at: datetime.datetime
    url: str


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(f"participation:{name}", args=args)
    except NoReverseMatch:
        return ""


def _keys(user: User, municipality: Municipality) -> list[tuple[datetime.datetime, str, int]]:
    """(when, kind, pk) of every entry of `user` in `municipality`: three small queries."""
    keys: list[tuple[datetime.datetime, str, int]] = []
    keys += [
        (at, STATEMENT, pk)
        for pk, at in Statement.objects.filter(
            author=user, hearing__process__municipality=municipality
        ).values_list("pk", "submitted_at")
    ]
    keys += [
        (at, PROPOSAL, pk)
        for pk, at in Proposal.objects.filter(
            author=user, process__municipality=municipality
        ).values_list("pk", "created_at")
    ]
    keys += [
        (at, FOLLOW, pk)
        for pk, at in ForumFollow.objects.filter(
            Q(forum__municipality=municipality) | Q(thread__municipality=municipality), user=user
        ).values_list("pk", "created_at")
    ]
    keys.sort(key=lambda key: (key[0], key[2]), reverse=True)
    return keys


def _statements(pks: list[int]) -> dict[int, Entry]:
    rows = Statement.objects.filter(pk__in=pks).select_related(
        "hearing__process", "thread", "section"
    )
    return {
        s.pk: Entry(
            kind=STATEMENT,
            kind_label=_("Hearing statement"),
            title=_("Statement %(number)d to “%(hearing)s”")
            % {"number": s.number, "hearing": s.hearing.title},
            where=s.hearing.process.title,
            state=(_("Answered") if s.thread.first_official_at else _("Not answered yet"))
            + ("" if s.is_public else " · " + _("Not public")),
            at=s.submitted_at,
            url=_url("statement-detail", s.hearing.process.slug, s.hearing_id, s.number),
        )
        for s in rows
    }


def _proposals(pks: list[int]) -> dict[int, Entry]:
    rows = Proposal.objects.filter(pk__in=pks).select_related("process")
    return {
        p.pk: Entry(
            kind=PROPOSAL,
            kind_label=_("Proposal"),
            title=p.title,
            where=p.process.title,
            state=p.get_status_display()
            + " · "
            + ngettext("%(count)d supporter", "%(count)d supporters", p.support_count)
            % {"count": p.support_count},
            at=p.created_at,
            url=_url("proposal-detail", p.process.slug, p.pk),
        )
        for p in rows
    }


def _follows(pks: list[int]) -> dict[int, Entry]:
    rows = list(ForumFollow.objects.filter(pk__in=pks).select_related("forum", "thread"))
    # A followed topic's forum is the subject of its thread.
    forum_ids = {f.thread.subject_id for f in rows if f.thread is not None}
    forums = Forum.objects.in_bulk([pk for pk in forum_ids if pk is not None])
    entries: dict[int, Entry] = {}
    for follow in rows:
        how = follow.get_frequency_display()
        if follow.forum is not None:
            entries[follow.pk] = Entry(
                kind=FOLLOW,
                kind_label=_("Forum I follow"),
                title=follow.forum.title,
                where=follow.forum.get_kind_display(),
                state=how,
                at=follow.created_at,
                url=_url("forum-detail", follow.forum.slug),
            )
        elif follow.thread is not None:
            forum = forums.get(follow.thread.subject_id or 0)
            entries[follow.pk] = Entry(
                kind=FOLLOW,
                kind_label=_("Topic I follow"),
                title=follow.thread.title or _("(no title)"),
                where=forum.title if forum else "",
                state=how,
                at=follow.created_at,
                url=_url("topic-detail", forum.slug, follow.thread_id) if forum else "",
            )
    return entries


def participation_page_for_user(
    *, user: User, municipality: Municipality, page: int | str | None = None
) -> Page[Entry]:
    """One page of `user`'s hearing statements, proposals and forum follows in
    `municipality`, newest first. Three queries for the list, at most five for the page."""
    keys = _keys(user, municipality)
    result = Paginator(keys, PER_PAGE).get_page(page)
    shown = list(result.object_list)
    wanted: dict[str, list[int]] = {STATEMENT: [], PROPOSAL: [], FOLLOW: []}
    for _at, kind, pk in shown:
        wanted[kind].append(pk)
    found = {
        STATEMENT: _statements(wanted[STATEMENT]) if wanted[STATEMENT] else {},
        PROPOSAL: _proposals(wanted[PROPOSAL]) if wanted[PROPOSAL] else {},
        FOLLOW: _follows(wanted[FOLLOW]) if wanted[FOLLOW] else {},
    }
    entries = [found[kind][pk] for _at, kind, pk in shown if pk in found[kind]]
    # The same page of the same paginator, holding the entries instead of their keys.
    return Page(entries, result.number, result.paginator)  # type: ignore[arg-type]
