"""The e-service square for residents (life situations, information pages, "Was this page
helpful?") and for the staff who keep the pages. Thin: parse, call one selector or service,
render. Every form posts without JavaScript; a refused form answers 422 and keeps what was
typed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from torget.accounts.models import User
from torget.core.errors import RateLimited, TorgetError
from torget.organisation.models import Municipality, Unit
from torget.services import policies, registry, selectors, services
from torget.services.forms import FeedbackForm, PageForm
from torget.services.markdown import markdown_to_html
from torget.services.models import InfoPage, PageFeedback

View = Callable[..., HttpResponse]
FEEDBACK_ANCHOR = "#tilbakemelding"
VOTE_SALT = "torget.services.feedback"
# How long the "What did you miss?" step may follow its "no".
VOTE_MAX_AGE = 3600
DIFF_LABELS = {
    "title": gettext_lazy("Title"),
    "summary": gettext_lazy("Summary"),
    "body": gettext_lazy("Text"),
    "contact": gettext_lazy("Contact"),
}


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _client(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _hosts(municipality: Municipality) -> list[str]:
    return list(municipality.hostnames.values_list("name", flat=True))


# --- residents --------------------------------------------------------------------------


@require_safe
def situation_list(request: HttpRequest) -> HttpResponse:
    """The life situations, each with its pages."""
    situations = selectors.situation_list(municipality=_municipality(request))
    return render(request, "services/situation_list.html", {"situations": situations})


@require_safe
def situation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One life situation and its published pages, 20 a page."""
    situation = selectors.situation_get(municipality=_municipality(request), slug=slug)
    pages = selectors.page_page_for_situation(situation=situation, page=request.GET.get("page"))
    return render(
        request, "services/situation_detail.html", {"situation": situation, "pages": pages}
    )


def _vote_token(feedback: PageFeedback) -> str:
    return signing.dumps({"f": feedback.pk, "p": feedback.page_id}, salt=VOTE_SALT)


def _vote_from_token(token: str, page: InfoPage) -> PageFeedback | None:
    """The "no" that `token` was given for, on `page`; None for a token forged, expired or
    for another page."""
    try:
        data = signing.loads(token, salt=VOTE_SALT, max_age=VOTE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("p") != page.pk or not isinstance(data.get("f"), int):
        return None
    return PageFeedback.objects.filter(pk=data["f"], page=page, helpful=False).first()


def _render_page(
    request: HttpRequest,
    page: InfoPage,
    *,
    form: FeedbackForm | None = None,
    step: str = "",
    status: int = 200,
) -> HttpResponse:
    state = request.GET.get("tilbakemelding", "")
    vote = request.GET.get("stemme", "")
    if form is None:
        if state == "savnet" and vote and _vote_from_token(vote, page) is not None:
            step = "missed"
            form = FeedbackForm(initial={"vote": vote})
        else:
            form = FeedbackForm()
    if not step:
        step = {"takk": "thanks", "takk-svar": "thanks-answer"}.get(state, "ask")
    context = {
        "page": page,
        "body_html": markdown_to_html(page.body, hosts=_hosts(page.municipality)),
        "page_text": page.plain_text(),
        "links": registry.page_links(page),
        "form": form,
        "step": step,
        # Without JavaScript "What did you miss?" stays closed until asked for; it is open
        # when it comes back with what was typed in it, or with an error beside it.
        "feedback_open": form.is_bound
        and bool(form.data.get("text") or "text" in form.errors or "contact" in form.errors),
        "can_edit": policies.can_edit_page(request.user, page),
    }
    return render(request, "services/page_detail.html", context, status=status)


@require_safe
def page_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """An information page with its contact, related links, read-aloud and the feedback box.
    Unpublished pages answer 404, except to their editors."""
    page = selectors.page_get_public(
        municipality=_municipality(request), slug=slug, viewer=request.user
    )
    return _render_page(request, page)


@require_POST
def page_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Was this page helpful?": store the vote; a "no" goes on to "What did you miss?" (in the
    same post with JavaScript, in a second step without), whose text opens a thread in the
    page's unit."""
    page = selectors.page_get_public(
        municipality=_municipality(request), slug=slug, viewer=request.user
    )
    if not page.is_published:
        raise Http404("page")
    form = FeedbackForm(request.POST)
    actor = _user(request) if request.user.is_authenticated else None
    if not form.is_valid():
        step = "missed" if form.data.get("vote") else "ask"
        return _render_page(request, page, form=form, step=step, status=422)
    data = form.cleaned_data
    token = data["vote"]
    status = 422
    try:
        if token:
            earlier = _vote_from_token(token, page)
            if earlier is None:
                raise TorgetError(_("This answer has expired. Answer again, please."))
            feedback = services.page_feedback_explain(
                feedback=earlier,
                actor=actor,
                text=data["text"],
                contact=data["contact"],
                client=_client(request),
            )
        elif data["helpful"] in ("yes", "no"):
            feedback = services.page_feedback_give(
                page=page,
                actor=actor,
                helpful=data["helpful"] == "yes",
                text=data["text"],
                contact=data["contact"],
                language=request.LANGUAGE_CODE,
                client=_client(request),
            )
        else:
            raise TorgetError(_("Answer yes or no."))
    except ValidationError as exc:
        form.apply(exc)
    except RateLimited as exc:
        form.add_error(None, str(exc.message))
        status = 429
    except TorgetError as exc:
        form.add_error(None, str(exc.message))
    except PermissionDenied as exc:
        form.add_error(None, str(exc.args[0]) if exc.args else _("You may not write here."))
    else:
        return HttpResponseRedirect(_after_feedback(page, feedback, actor))
    step = "missed" if token or (data["helpful"] == "no" and data["text"]) else "ask"
    return _render_page(request, page, form=form, step=step, status=status)


def _after_feedback(page: InfoPage, feedback: PageFeedback, actor: User | None) -> str:
    url = page.get_absolute_url()
    if not feedback.helpful and not feedback.text:
        return f"{url}?tilbakemelding=savnet&stemme={_vote_token(feedback)}{FEEDBACK_ANCHOR}"
    answered = bool(feedback.thread_id) and (actor is not None or bool(feedback.thread.contact))  # type: ignore[union-attr]
    state = "takk-svar" if answered else "takk"
    return f"{url}?tilbakemelding={state}{FEEDBACK_ANCHOR}"


# --- staff ------------------------------------------------------------------------------


def editor_required(view: View) -> View:
    """Log-in, then editing rights for at least one unit; passes those units to the view."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        units = selectors.unit_list_editable(
            viewer=request.user, municipality=_municipality(request)
        )
        if not units:
            raise PermissionDenied
        return view(request, *args, units=units, **kwargs)

    return wrapper


def _staff_page(request: HttpRequest, pk: int) -> InfoPage:
    """The page `pk` if the viewer may edit it (Http404, PermissionDenied)."""
    page = selectors.page_get_for_staff(municipality=_municipality(request), pk=pk)
    if not policies.can_edit_page(request.user, page):
        raise PermissionDenied
    return page


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@require_GET
@editor_required
def staff_page_list(request: HttpRequest, units: list[Unit]) -> HttpResponse:
    """The owners' dashboard: the pages of the units the viewer keeps, with their feedback."""
    filters = selectors.StaffFilter(
        unit=_int(request.GET.get("enhet")), needs_review=request.GET.get("forfalt") == "1"
    )
    pages = selectors.page_page_for_staff(
        units=units, filters=filters, page=request.GET.get("page")
    )
    for page in pages:
        page.helpful_share = selectors.feedback_share(page.helpful_yes, page.helpful_no)  # type: ignore[attr-defined]
    query = "&".join(
        part
        for part in (
            f"enhet={filters.unit}" if filters.unit else "",
            "forfalt=1" if filters.needs_review else "",
        )
        if part
    )
    context = {
        "pages": pages,
        "units": units,
        "filters": filters,
        "query": f"&{query}" if query else "",
        "today": timezone.localdate(),
    }
    return render(request, "services/staff/page_list.html", context)


def _page_form(request: HttpRequest, *, units: list[Unit], initial: dict[str, Any]) -> PageForm:
    return PageForm(
        request.POST if request.method == "POST" else None,
        units=units,
        municipality=_municipality(request),
        initial=initial,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@editor_required
def staff_page_create(request: HttpRequest, units: list[Unit]) -> HttpResponse:
    """Write a new information page for one of the viewer's units."""
    municipality = _municipality(request)
    form = _page_form(
        request,
        units=units,
        initial={"unit": units[0].pk, "language": municipality.malform, "review_every_days": 365},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                page = services.page_create(
                    unit=form.cleaned_data["unit"],
                    actor=_user(request),
                    fields=form.page_fields(),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.apply(exc)
            else:
                messages.success(request, _("The page is saved."))
                return HttpResponseRedirect(reverse("services:staff-page-edit", args=[page.pk]))
    return render(request, "services/staff/page_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@editor_required
def staff_page_edit(request: HttpRequest, pk: int, units: list[Unit]) -> HttpResponse:
    """Change a page; every save is a new version."""
    page = _staff_page(request, pk)
    choices = units if page.unit in units else [page.unit, *units]
    initial = {
        "unit": page.unit_id,
        "title": page.title,
        "slug": page.slug,
        "summary": page.summary,
        "body": page.body,
        "contact": page.contact,
        "language": page.language,
        "life_situations": [s.pk for s in page.life_situations.all()],
        "review_every_days": page.review_every_days,
        "is_published": page.is_published,
    }
    form = _page_form(request, units=choices, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.page_update(
                    page=page,
                    actor=_user(request),
                    fields=form.page_fields(),
                    note=form.cleaned_data["note"],
                    unit=form.cleaned_data["unit"],
                )
            except ValidationError as exc:
                form.apply(exc)
            else:
                messages.success(request, _("The page is saved as a new version."))
                return HttpResponseRedirect(reverse("services:staff-page-edit", args=[page.pk]))
    context = {
        "form": form,
        "page": page,
        "written": selectors.feedback_list_written(page=page),
        "today": timezone.localdate(),
    }
    return render(request, "services/staff/page_form.html", context, status=status)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@editor_required
def staff_page_review(request: HttpRequest, pk: int, units: list[Unit]) -> HttpResponse:
    """Mark the page as reviewed today."""
    page = _staff_page(request, pk)
    services.page_mark_reviewed(page=page, actor=_user(request))
    messages.success(request, _("“%(title)s” is marked as reviewed today.") % {"title": page.title})
    return HttpResponseRedirect(
        _safe_next(request, reverse("services:staff-page-edit", args=[page.pk]))
    )


@require_GET
@editor_required
def staff_page_history(request: HttpRequest, pk: int, units: list[Unit]) -> HttpResponse:
    """Who changed the page, when, and what they said they changed."""
    page = _staff_page(request, pk)
    versions = selectors.version_page(page=page, number=request.GET.get("page"))
    return render(request, "services/staff/page_history.html", {"page": page, "versions": versions})


@require_GET
@editor_required
def staff_version_detail(
    request: HttpRequest, pk: int, number: int, units: list[Unit]
) -> HttpResponse:
    """One version, with what changed from the version before it, and "restore"."""
    page = _staff_page(request, pk)
    version = selectors.version_get(page=page, number=number)
    previous = selectors.version_get_previous(version=version)
    context = {
        "page": page,
        "version": version,
        "previous": previous,
        "diffs": selectors.version_diff(previous, version, DIFF_LABELS),
        "is_current": not page.versions.filter(number__gt=version.number).exists(),
    }
    return render(request, "services/staff/version_detail.html", context)


@require_POST
@editor_required
def staff_version_restore(
    request: HttpRequest, pk: int, number: int, units: list[Unit]
) -> HttpResponse:
    """Put a version's text back on the page (as a new version)."""
    page = _staff_page(request, pk)
    version = selectors.version_get(page=page, number=number)
    restored = services.page_restore_version(page=page, actor=_user(request), version=version)
    messages.success(
        request,
        _("Version %(old)d is restored as version %(new)d.")
        % {"old": version.number, "new": restored.number},
    )
    return HttpResponseRedirect(reverse("services:staff-page-history", args=[page.pk]))
