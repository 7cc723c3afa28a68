"""Views of the hearings part of participation: the public hearing page with its sections,
statements and the statement form; a statement's own page and attachments; and the staff
pages to edit a hearing and its sections and to answer statements, one by one or many at once.

Views parse, call one service or selector, and render. A private statement looks, to anyone
but its author and the unit's staff, like one that does not exist (404).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from torget.accounts.models import User
from torget.conversations import services as conversations
from torget.conversations.policies import can_write_in_thread, is_staff_for_thread
from torget.core.errors import TorgetError
from torget.organisation.models import STAFF_ROLES, Municipality
from torget.organisation.policies import can_moderate_unit, has_role
from torget.participation import policies
from torget.participation.forms.hearings import (
    AnswerManyForm,
    FollowUpForm,
    HearingForm,
    SectionForm,
    StatementFilterForm,
    StatementForm,
)
from torget.participation.models import Hearing, HearingSection, Process
from torget.participation.selectors import hearings as selectors
from torget.participation.services import hearings as services
from torget.participation.views import hearing_results
from torget.services.markdown import markdown_to_html

View = Callable[..., HttpResponse]


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _markdown(request: HttpRequest, source: str) -> str:
    return markdown_to_html(source, hosts=[request.get_host().split(":")[0]])


def _refuse(form: Any, field: str | None, exc: Exception) -> None:
    """Put a service's refusal on the form: ValidationErrors beside the fields they name (or
    `field`), a TorgetError (rate limit, closed thread) or a PermissionDenied with a message
    (a blocked account) on top; any other PermissionDenied goes on as a 403."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                target = "file_1" if name == "attachments" and "file_1" in form.fields else name
                form.add_error(target if target in form.fields else None, errors)
        elif getattr(exc, "code", None) in ("closed", "not_open"):
            form.add_error(None, exc)
        else:
            form.add_error(field, exc)
    elif isinstance(exc, TorgetError):
        form.add_error(None, str(exc.message))
    elif isinstance(exc, PermissionDenied) and exc.args:
        form.add_error(None, str(exc.args[0]))
    else:
        raise exc


# --- dates in words ------------------------------------------------------------------------------


def hearing_state(hearing: Hearing, now: Any = None) -> dict[str, Any]:
    """Where the hearing stands: "upcoming", "open" or "closed", with its dates in words and,
    while open, the days left."""
    now = now or timezone.now()
    closes = services.format_moment(hearing.closes_at)
    opens = services.format_moment(hearing.opens_at)
    if now < hearing.opens_at:
        state = "upcoming"
        status_text = _("The hearing opens on %(moment)s.") % {"moment": opens}
    elif now >= hearing.closes_at:
        state = "closed"
        status_text = _("The hearing closed on %(moment)s.") % {"moment": closes}
    else:
        state = "open"
        days = (timezone.localdate(hearing.closes_at) - timezone.localdate(now)).days
        if days <= 0:
            status_text = _("The hearing closes today.")
        else:
            status_text = ngettext("%(count)d day left.", "%(count)d days left.", days) % {
                "count": days
            }
    return {
        "state": state,
        "closes_text": closes,
        "opens_text": opens,
        "status_text": status_text,
    }


# --- the public pages ----------------------------------------------------------------------------


def _hearing(request: HttpRequest, slug: str, pk: int) -> Hearing:
    return selectors.hearing_get_for_viewer(
        municipality=_municipality(request), slug=slug, pk=pk, viewer=request.user
    )


def _statement_form(request: HttpRequest, hearing: Hearing, bound: bool) -> StatementForm:
    sections = list(hearing.sections.all())
    initial: dict[str, Any] = {}
    chosen = request.GET.get("section", "")
    if chosen.isdigit() and int(chosen) in {s.pk for s in sections}:
        initial["section"] = int(chosen)
    if bound:
        return StatementForm(request.POST, request.FILES, sections=sections, initial=initial)
    return StatementForm(sections=sections, initial=initial)


def _statements_html(request: HttpRequest, hearing: Hearing, can_moderate: bool) -> str:
    """The public statements, one page (?page=N). Anonymous visitors' pages, page numbers
    included, are answered by the anonymous page cache (core.asgi_cache)."""
    page_obj = selectors.statement_page_public(
        hearing=hearing, viewer=request.user, page=request.GET.get("page", "")
    )
    return render_to_string(
        "participation/hearings/_statements_section.html",
        {
            "page_obj": page_obj,
            "process": hearing.process,
            "hearing": hearing,
            "can_moderate": can_moderate,
        },
        request=request,
    )


def _hearing_render(
    request: HttpRequest, hearing: Hearing, form: StatementForm | None, status: int = 200
) -> HttpResponse:
    user = request.user
    process = hearing.process
    sections = [
        {"section": section, "html": _markdown(request, section.body)}
        for section in hearing.sections.all()
    ]
    can_moderate = user.is_authenticated and can_moderate_unit(user, process.unit)
    state = hearing_state(hearing)
    context = {
        "process": process,
        "hearing": hearing,
        "intro_html": _markdown(request, hearing.intro),
        "sections": sections,
        **state,
        "closed_message": services.closed_message(hearing),
        "result_html": hearing_results.result_part(request, hearing),
        "statements_html": _statements_html(request, hearing, can_moderate),
        "own_statements": selectors.statement_list_own(hearing=hearing, viewer=user),
        "form": form,
        "files_lost": form is not None and form.is_bound and bool(request.FILES),
        "can_moderate": can_moderate,
        "login_url": f"{reverse('account_login')}?next="
        + f"{hearing.get_absolute_url()}%23statement-form",
    }
    return render(request, "participation/hearings/hearing_detail.html", context, status=status)


# Not never_cache: anonymous views (?page=N included) may be answered by the anonymous page cache
# (core.asgi_cache); a logged-in visitor's page carries a session cookie and is never shared.
@require_http_methods(["GET", "HEAD", "POST"])
def hearing_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The hearing: introduction, closing date, the plan's sections, the result, the public
    statements (by number, 20 a page) and the statement form."""
    hearing = _hearing(request, slug, pk)
    if request.method != "POST":
        form = _statement_form(request, hearing, bound=False)
        return _hearing_render(request, hearing, form)
    if not request.user.is_authenticated:
        return redirect_to_login(hearing.get_absolute_url() + "#statement-form")
    form = _statement_form(request, hearing, bound=True)
    if form.is_valid():
        try:
            statement = services.statement_submit(
                hearing=hearing,
                actor=_user(request),
                body=form.cleaned_data["body"],
                section=form.chosen_section(),
                on_behalf_of=form.cleaned_data["on_behalf_of"],
                is_public=form.cleaned_data["is_public"],
                attachments=form.uploads(),
                submission_key=form.cleaned_data["submission_key"],
            )
        except (ValidationError, TorgetError, PermissionDenied) as exc:
            _refuse(form, "body", exc)
        else:
            messages.success(
                request,
                _("Thank you. Your statement has been received as statement %(number)d.")
                % {"number": statement.number},
            )
            return redirect(statement.get_absolute_url())
    return _hearing_render(request, hearing, form, status=422)


def _statement_render(
    request: HttpRequest, hearing: Hearing, statement: Any, form: FollowUpForm, status: int = 200
) -> HttpResponse:
    user = request.user
    thread = statement.thread
    context = {
        "process": hearing.process,
        "hearing": hearing,
        "statement": statement,
        "form": form,
        "can_write": can_write_in_thread(user, thread)
        and thread.is_open_for_residents
        and (user.pk == statement.author_id),
        "can_moderate": user.is_authenticated and can_moderate_unit(user, hearing.process.unit),
        "is_staff": is_staff_for_thread(user, thread),
    }
    return render(request, "participation/hearings/statement_detail.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def statement_detail(request: HttpRequest, slug: str, pk: int, number: int) -> HttpResponse:
    """One statement with its conversation; its author may write a follow-up."""
    hearing = _hearing(request, slug, pk)
    statement = selectors.statement_get_for_viewer(
        hearing=hearing, number=number, viewer=request.user
    )
    if request.method != "POST":
        return _statement_render(request, hearing, statement, FollowUpForm())
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if statement.author_id != request.user.pk:
        raise PermissionDenied
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            message = conversations.message_add_resident(
                thread=statement.thread, actor=_user(request), body=form.cleaned_data["body"]
            )
        except (ValidationError, TorgetError, PermissionDenied) as exc:
            _refuse(form, "body", exc)
        else:
            messages.success(request, _("Your message has been sent."))
            return redirect(f"{statement.get_absolute_url()}#melding-{message.pk}")
    return _statement_render(request, hearing, statement, form, status=422)


@require_http_methods(["GET", "HEAD"])
def statement_attachment(
    request: HttpRequest, slug: str, pk: int, number: int, attachment_pk: int
) -> FileResponse:
    """An attachment of a statement, for whoever may see the statement: always downloaded,
    never rendered, with the type found when its content was checked."""
    hearing = _hearing(request, slug, pk)
    attachment = selectors.statement_attachment_get_for_viewer(
        hearing=hearing, number=number, pk=attachment_pk, viewer=request.user
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("attachment file") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the parts on the process pages --------------------------------------------------------------


def process_part(request: HttpRequest, process: Process) -> str:
    """The hearings part of the process's public page, rendered ("" when there is none)."""
    hearings = selectors.hearing_list_for_process(process=process)
    if not hearings:
        return ""
    now = timezone.now()
    rows = [{"hearing": h, **hearing_state(h, now)} for h in hearings]
    return render_to_string(
        "participation/hearings/_process_part.html", {"rows": rows}, request=request
    )


def staff_process_part(request: HttpRequest, process: Process) -> str:
    """The hearings part of the process's staff page, rendered."""
    hearings = selectors.hearing_list_for_process(process=process)
    now = timezone.now()
    rows = [{"hearing": h, **hearing_state(h, now)} for h in hearings]
    context = {
        "process": process,
        "rows": rows,
        "can_manage": policies.can_manage_process(request.user, process),
    }
    return render_to_string(
        "participation/hearings/_staff_process_part.html", context, request=request
    )


# --- the staff pages -----------------------------------------------------------------------------


def _login_required(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def _managed_process(request: HttpRequest, slug: str) -> Process:
    process = selectors.process_get_for_staff(municipality=_municipality(request), slug=slug)
    if not policies.can_manage_process(request.user, process):
        raise PermissionDenied
    return process


def _managed_hearing(request: HttpRequest, slug: str, pk: int) -> Hearing:
    return selectors.hearing_get_in_process(process=_managed_process(request, slug), pk=pk)


def _staff_detail_url(hearing: Hearing) -> str:
    return reverse("participation:staff-hearing-detail", args=[hearing.process.slug, hearing.pk])


def _hearing_initial(hearing: Hearing) -> dict[str, Any]:
    return {
        "title": hearing.title,
        "intro": hearing.intro,
        "opens_at": timezone.localtime(hearing.opens_at),
        "closes_at": timezone.localtime(hearing.closes_at),
    }


@_login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def staff_hearing_new(request: HttpRequest, slug: str) -> HttpResponse:
    """A new hearing of the process (for those who run it)."""
    process = _managed_process(request, slug)
    form = HearingForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                hearing = services.hearing_create(
                    process=process, actor=_user(request), **form.cleaned_data
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("The hearing has been created. Add its sections."))
                return redirect(_staff_detail_url(hearing))
        status = 422
    context = {"process": process, "form": form}
    return render(request, "participation/hearings/staff_hearing_new.html", context, status=status)


def _staff_hearing_render(
    request: HttpRequest,
    hearing: Hearing,
    *,
    form: HearingForm | None = None,
    section_form: SectionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "process": hearing.process,
        "hearing": hearing,
        "form": form or HearingForm(initial=_hearing_initial(hearing)),
        "section_form": section_form or SectionForm(),
        "sections": list(hearing.sections.all()),
        "result_html": hearing_results.staff_result_part(request, hearing),
        "statement_count": hearing.statements.count(),
        **hearing_state(hearing),
    }
    return render(
        request, "participation/hearings/staff_hearing_detail.html", context, status=status
    )


@_login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def staff_hearing_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Edit the hearing (title, introduction, dates) and its sections; the export and the
    result editor of the results part."""
    hearing = _managed_hearing(request, slug, pk)
    if request.method != "POST":
        return _staff_hearing_render(request, hearing)
    form = HearingForm(request.POST)
    if form.is_valid():
        try:
            services.hearing_update(hearing=hearing, actor=_user(request), **form.cleaned_data)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("The hearing has been saved."))
            return redirect(_staff_detail_url(hearing))
    hearing.refresh_from_db()
    return _staff_hearing_render(request, hearing, form=form, status=422)


@_login_required
@require_POST
def staff_section_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    hearing = _managed_hearing(request, slug, pk)
    form = SectionForm(request.POST)
    if form.is_valid():
        try:
            section = services.section_add(
                hearing=hearing, actor=_user(request), **form.cleaned_data
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("The section has been added."))
            return redirect(f"{_staff_detail_url(hearing)}#section-{section.pk}")
    return _staff_hearing_render(request, hearing, section_form=form, status=422)


def _section(hearing: Hearing, section_pk: int) -> HearingSection:
    section = get_object_or_404(HearingSection, hearing=hearing, pk=section_pk)
    section.hearing = hearing
    return section


@_login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def staff_section_edit(request: HttpRequest, slug: str, pk: int, section_pk: int) -> HttpResponse:
    hearing = _managed_hearing(request, slug, pk)
    section = _section(hearing, section_pk)
    if request.method == "POST":
        form = SectionForm(request.POST)
        if form.is_valid():
            try:
                services.section_update(section=section, actor=_user(request), **form.cleaned_data)
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("The section has been saved."))
                return redirect(f"{_staff_detail_url(hearing)}#section-{section.pk}")
        status = 422
    else:
        form = SectionForm(
            initial={"number": section.number, "heading": section.heading, "body": section.body}
        )
        status = 200
    context = {"process": hearing.process, "hearing": hearing, "section": section, "form": form}
    return render(request, "participation/hearings/staff_section_edit.html", context, status=status)


@_login_required
@require_POST
def staff_section_move(request: HttpRequest, slug: str, pk: int, section_pk: int) -> HttpResponse:
    hearing = _managed_hearing(request, slug, pk)
    section = _section(hearing, section_pk)
    services.section_move(
        section=section, actor=_user(request), up=request.POST.get("direction") == "up"
    )
    messages.success(request, _("The section has been moved."))
    return redirect(f"{_staff_detail_url(hearing)}#section-{section.pk}")


@_login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def staff_section_delete(request: HttpRequest, slug: str, pk: int, section_pk: int) -> HttpResponse:
    """Ask, then delete a section (its statements stay, on the whole plan)."""
    hearing = _managed_hearing(request, slug, pk)
    section = _section(hearing, section_pk)
    if request.method == "POST":
        services.section_delete(section=section, actor=_user(request))
        messages.success(request, _("The section has been deleted."))
        return redirect(f"{_staff_detail_url(hearing)}#sections")
    context = {
        "process": hearing.process,
        "hearing": hearing,
        "section": section,
        "statement_count": section.statements.count(),
    }
    return render(request, "participation/hearings/staff_section_delete.html", context)


def _statements_render(
    request: HttpRequest, hearing: Hearing, answer_form: AnswerManyForm, status: int = 200
) -> HttpResponse:
    sections = list(hearing.sections.all())
    filter_form = StatementFilterForm(request.GET or None, sections=sections)
    filters = selectors.StatementFilter()
    if filter_form.is_bound and filter_form.is_valid():
        filters = selectors.StatementFilter(
            section=filter_form.cleaned_data.get("section"),
            answered=filter_form.cleaned_data.get("answered") or "",
        )
    is_staff = has_role(request.user, hearing.process.unit, STAFF_ROLES)
    page_obj = selectors.statement_page_for_staff(
        hearing=hearing, filters=filters, page=request.GET.get("page"), is_staff=is_staff
    )
    selected = set(answer_form.data.getlist("statements")) if answer_form.is_bound else set()  # type: ignore[attr-defined]
    context = {
        "process": hearing.process,
        "hearing": hearing,
        "filter_form": filter_form,
        "is_filtered": filters != selectors.StatementFilter(),
        "page_obj": page_obj,
        "answer_form": answer_form,
        "selected": selected,
        "is_staff": is_staff,
        "can_moderate": can_moderate_unit(request.user, hearing.process.unit),
    }
    return render(request, "participation/hearings/staff_statements.html", context, status=status)


@_login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def staff_hearing_statements(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Every statement of the hearing for the unit's staff and politicians, filtered by
    section and by answered or not, with one answer to those ticked."""
    process = selectors.process_get_for_staff(municipality=_municipality(request), slug=slug)
    if not selectors.can_read_statements(request.user, process):
        raise PermissionDenied
    hearing = selectors.hearing_get_in_process(process=process, pk=pk)
    if request.method != "POST":
        return _statements_render(request, hearing, AnswerManyForm(choices=[]))
    ids = [int(v) for v in request.POST.getlist("statements") if v.isdigit()]
    is_staff = has_role(request.user, process.unit, STAFF_ROLES)
    chosen = selectors.statement_list_by_ids(hearing=hearing, ids=ids, is_staff=is_staff)
    form = AnswerManyForm(request.POST, choices=[(s.pk, str(s.number)) for s in chosen])
    if form.is_valid():
        try:
            conversations.thread_answer(
                threads=[s.thread for s in chosen],
                actor=_user(request),
                body=form.cleaned_data["body"],
            )
        except (ValidationError, TorgetError) as exc:
            _refuse(form, "body", exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Your answer has been given to %(count)d statement.",
                    "Your answer has been given to %(count)d statements.",
                    len(chosen),
                )
                % {"count": len(chosen)},
            )
            return redirect(request.get_full_path())
    return _statements_render(request, hearing, form, status=422)
