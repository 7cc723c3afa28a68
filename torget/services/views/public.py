"""The e-service square for residents: life situations, information pages and "Was this page
helpful?". Thin: parse, call one selector or service, render. The feedback form posts without
JavaScript; a refused answer comes back with status 422 (429 when rate-limited), the message
beside its field and the text kept.
"""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from torget.accounts.models import User
from torget.core.errors import RateLimited, TorgetError
from torget.core.ratelimit import client_address
from torget.services import feedback as feedback_services
from torget.services import policies, registry, selectors
from torget.services.forms import FeedbackForm
from torget.services.markdown import markdown_to_html
from torget.services.models import InfoPage, PageFeedback
from torget.services.views.common import hosts_of, municipality_of, user_of

FEEDBACK_ANCHOR = "#tilbakemelding"
VOTE_SALT = "torget.services.feedback"
# How long the "What did you miss?" step may follow its "no".
VOTE_MAX_AGE = 3600


@require_safe
def situation_list(request: HttpRequest) -> HttpResponse:
    """The life situations, each with its pages."""
    situations = selectors.situation_list(municipality=municipality_of(request))
    return render(request, "services/situation_list.html", {"situations": situations})


@require_safe
def situation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One life situation and its published pages, 20 a page."""
    situation = selectors.situation_get(municipality=municipality_of(request), slug=slug)
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
        "body_html": markdown_to_html(page.body, hosts=hosts_of(page.municipality)),
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
        municipality=municipality_of(request), slug=slug, viewer=request.user
    )
    return _render_page(request, page)


@require_POST
def page_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Was this page helpful?": store the vote; a "no" goes on to "What did you miss?" (in the
    same post with JavaScript, in a second step without), whose text opens a thread in the
    page's unit."""
    page = selectors.page_get_public(
        municipality=municipality_of(request), slug=slug, viewer=request.user
    )
    if not page.is_published:
        raise Http404("page")
    form = FeedbackForm(request.POST)
    actor = user_of(request) if request.user.is_authenticated else None
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
            feedback = feedback_services.page_feedback_explain(
                feedback=earlier,
                actor=actor,
                text=data["text"],
                contact=data["contact"],
                client=client_address(request),
            )
        elif data["helpful"] in ("yes", "no"):
            feedback = feedback_services.page_feedback_give(
                page=page,
                actor=actor,
                helpful=data["helpful"] == "yes",
                text=data["text"],
                contact=data["contact"],
                language=request.LANGUAGE_CODE,
                client=client_address(request),
            )
        else:
            raise TorgetError(_("Answer yes or no."))
    except ValidationError as exc:
        form.apply_service_errors(exc)
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
