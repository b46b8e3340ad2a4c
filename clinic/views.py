"""Staff views of the core: the patient registry, the audit trail and staff sign-in security."""

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit.decorators import ratelimit

from clinic import services
from clinic.access import get_patient_for, get_staff_account_for, permission_required, require_perm
from clinic.audit import readable_changes, record_list, record_view
from clinic.filters import AuditLogFilter
from clinic.formats import on_clock
from clinic.forms import PatientForm, PatientSearchForm
from clinic.links import PURPOSES, invalid_link_page, open_link, patient_page, resolve_token
from clinic.locations import ALL_LOCATIONS_PERMISSION, clock_of
from clinic.locations import SESSION_KEY as LOCATIONS_SESSION_KEY
from clinic.models import Patient
from clinic.security import safe_next
from clinic.services import account_name, backup_codes_left, register_patient
from clinic.staff import name_shared, staff_label
from clinic.twofactor import requires_second_factor, sign_in_failures, staff_accounts_for

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


@require_safe
@permission_required("clinic.reset_second_factor")
def staff_signin(request: HttpRequest) -> HttpResponse:
    """Each staff member's second factor and lockout, with the manager's reset and lift for each."""
    page = Paginator(staff_accounts_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    failures = sign_in_failures([account.get_username() for account in page])
    for account in page:
        account.failures = failures.get(account.get_username(), 0)
        account.locked_out = account.failures >= settings.AXES_FAILURE_LIMIT
    context = {"page": page, "failure_limit": settings.AXES_FAILURE_LIMIT}
    return render(request, "clinic/staff_signin.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("clinic.reset_second_factor")
def reset_second_factor(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST removes the staff member's authenticator apps and backup codes."""
    account = get_staff_account_for(request.user, pk)
    if account.pk == request.user.pk:
        # Otherwise a stolen session could take over the account's second factor.
        raise PermissionDenied("You cannot reset your own two-factor sign-in. Ask another manager to reset it.")
    if request.method == "POST":
        services.reset_second_factor(user=account, by=request.user)
        messages.success(
            request,
            f"Two-factor sign-in reset for {account_name(account)}: they set it up again at their next sign-in.",
        )
        return redirect("clinic:staff-signin")
    context = {
        "account": account,
        "action": "reset",
        "has_app": TOTPDevice.objects.filter(user=account, confirmed=True).exists(),
        "codes_left": backup_codes_left(account),
        "required": requires_second_factor(account),
    }
    return render(request, "clinic/staff_signin_confirm.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("clinic.lift_lockout")
def lift_lockout(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST clears the failed sign-ins counted against the staff member's username."""
    account = get_staff_account_for(request.user, pk)
    if request.method == "POST":
        if services.lift_lockout(user=account, by=request.user):
            messages.success(request, f"Sign-in lockout lifted for {account_name(account)}: they may sign in now.")
        else:
            messages.info(request, f"{account_name(account)} had no failed sign-ins to clear.")
        return redirect("clinic:staff-signin")
    failures = sign_in_failures([account.get_username()]).get(account.get_username(), 0)
    context = {
        "account": account,
        "action": "lift",
        "failures": failures,
        "locked_out": failures >= settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "clinic/staff_signin_confirm.html", context)
