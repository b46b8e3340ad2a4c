"""Staff views of the core: the patient registry and the audit trail."""

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from clinic.access import get_patient_for, permission_required, require_perm
from clinic.audit import readable_changes, record_list, record_view
from clinic.filters import AuditLogFilter
from clinic.formats import on_clock
from clinic.forms import PatientForm, PatientSearchForm
from clinic.links import PURPOSES, invalid_link_page, open_link, patient_page, resolve_token
from clinic.locations import ALL_LOCATIONS_PERMISSION, clock_of
from clinic.locations import SESSION_KEY as LOCATIONS_SESSION_KEY
from clinic.models import Patient
from clinic.security import safe_next
from clinic.services import register_patient
from clinic.staff import name_shared, staff_label

PAGE_SIZE = 25
LIST_COLUMNS = ("pk", "chart_number", "family_name", "given_name", "date_of_birth", "phone", "email", "is_active")


@require_safe
@permission_required("clinic.view_patient")
def patient_list(request: HttpRequest) -> HttpResponse:
    form = PatientSearchForm(request.GET or None)
    patients = Patient.objects.visible_to(request.user)
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"]
        if query:
            patients = patients.search(query)
        if not form.cleaned_data["include_inactive"]:
            patients = patients.filter(is_active=True)
    else:
        patients = patients.filter(is_active=True)
    # The list shows these columns only: read them as plain rows.
    patients = patients.values(*LIST_COLUMNS)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    listed = f"Patient search “{query}”" if query else "Patient list"
    record_list(Patient, page=f"{listed}, page {page.number}", rows=list(page))
    context = {"form": form, "page": page, "query": query}
    template = (
        "clinic/patient_list_results.html"
        if request.headers.get("HX-Request") == "true"
        else "clinic/patient_list.html"
    )
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@permission_required("clinic.add_patient")
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        patient = register_patient(patient=form.save(commit=False))
        messages.success(request, f"Registered {patient.full_name} as chart {patient.chart_number}.")
        return redirect(patient)
    return render(request, "clinic/patient_form.html", {"form": form, "patient": None})


@require_http_methods(["GET", "POST"])
@permission_required("clinic.change_patient")
def patient_update(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for(request.user, pk)
    form = PatientForm(request.POST or None, instance=patient, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Patient details saved.")
        return redirect(patient)
    if request.method == "GET":
        record_view(patient)
    return render(request, "clinic/patient_form.html", {"form": form, "patient": patient})


@require_POST
@login_required
def location_scope(request: HttpRequest) -> HttpResponse:
    """The navigation's switch: the user's own locations, or (with the permission) every location."""
    if request.POST.get("scope") == "all":
        require_perm(request.user, ALL_LOCATIONS_PERMISSION)
        request.session[LOCATIONS_SESSION_KEY] = True
    else:
        request.session.pop(LOCATIONS_SESSION_KEY, None)
    return redirect(safe_next(request, reverse("pages:dashboard")))


@require_safe
@permission_required("auditlog.view_logentry")
def audit_log(request: HttpRequest) -> HttpResponse:
    # Times on the clinic's clock, named (the filter's days too); staff by name, with the username where the
    # name is shared.
    zone = clock_of(request.user)
    with timezone.override(zone):
        entries = (
            LogEntry.objects.select_related("actor", "content_type")
            .annotate(actor_name_shared=name_shared("actor"))
            .order_by("-timestamp", "-id")
        )
        log_filter = AuditLogFilter(request.GET or None, queryset=entries)
        page = Paginator(log_filter.qs, 50).get_page(request.GET.get("page"))
        for entry in page:
            entry.readable_changes = readable_changes(entry, zone)
            entry.when = on_clock(entry.timestamp, zone)
            entry.actor_label = staff_label(entry.actor, shared=entry.actor_name_shared)
        # The trail names patients too: reading it is recorded like any other list of patients.
        record_list(
            LogEntry,
            page=f"Audit log, page {page.number}",
            rows=list(page),
            patient_of=lambda entry: (entry.additional_data or {}).get("patient_id"),
        )
        context = {"filter": log_filter, "page": page, "zone": zone.key}
        return render(request, "clinic/audit_log.html", context)


@require_safe
@patient_page
@ratelimit(key="clinic.security.ratelimit_client", rate="clinic.security.client_link_rate", block=False)
@ratelimit(key="clinic.security.ratelimit_link", rate="clinic.security.link_rate", block=False)
def link_open(request: HttpRequest, token: str) -> HttpResponse:
    """A patient opens their personal link: check it, trade it for a session, drop the token from the URL."""
    link = None if getattr(request, "limited", False) else resolve_token(token)
    if link is None:
        return invalid_link_page(request)
    open_link(request, link)
    record_view(link)
    response = redirect(PURPOSES[link.purpose].landing)
    response["Referrer-Policy"] = "no-referrer"  # this request's URL held the token
    return response


class SignInView(auth_views.LoginView):
    """Django's sign-in, starting from an empty session.

    Django keeps what the session held before (`cycle_key`): a patient's link opened earlier in this
    browser would otherwise live on inside the staff session, with its fixed hour instead of the staff
    idle timeout.
    """

    redirect_authenticated_user = True

    def form_valid(self, form):
        self.request.session.flush()
        return super().form_valid(form)


@require_POST
@login_required
def stay_signed_in(request: HttpRequest) -> HttpResponse:
    """A form being typed into says so, once every few minutes: a long note outlives the idle timeout.

    Signing in again is not this: a session that has already ended gets the login redirect, which
    the form shows as a warning before anything typed is sent and lost.
    """
    return HttpResponse(status=204)
