"""Two-factor sign-in with TOTP (django-otp): required for managers and superusers, optional for other staff.

After the password, a user who must or chose to use a second factor is sent to enter the code from
their authenticator app (or, the first time, to set one up). Until then every staff page redirects.

A lost phone: the user signs in with one of their single-use backup codes (django-otp's static device,
made at set-up and again on demand) and sets up the new phone, which retires the old one (only one
authenticator app per user: clinic.services.confirm_authenticator); or a manager resets their second factor
(clinic.views.staff_signin) and they set it up again.

The sign-in lockout (django-axes, by username): wrong passwords and wrong codes count alike, and five lock the
username for the cool-off, however they mix. For a user who has or must set up a second factor the right
password does not clear the count (SignInLockoutHandler): only the whole sign-in does, once the code passes, so
whoever knows the password cannot try codes four at a time for ever. For everyone else a right password clears it.
"""

import re
from urllib.parse import quote

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_credentials, get_lockout_response
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout, user_login_failed
from django.contrib.auth.decorators import login_required
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.backends import requires_second_factor_query
from clinic.qr import qr_svg
from clinic.security import safe_next
from clinic.services import (
    backup_codes_left,
    confirm_authenticator,
    issue_backup_codes,
    reset_failures_after_sign_in,
    verify_second_factor,
)

# Pages a signed-in but unverified user may still reach.
OPEN_VIEWS = {"clinic:login", "clinic:logout", "clinic:twofactor-setup", "clinic:twofactor-verify"}
# Set once a user is known to have no device of their own, so later requests skip that lookup. Whether
# their role requires one is asked on every request: a promotion must not wait for the session to end.
NO_DEVICE_KEY = "twofactor_no_device"
# Backup codes just made, kept in the session until the backup codes page shows them (once).
NEW_CODES_KEY = "twofactor_new_backup_codes"
# So few backup codes left that the user is told to make new ones.
FEW_CODES_LEFT = 3


def requires_second_factor(user) -> bool:
    """The user's current role requires a second factor (read with the user on each request when possible)."""
    # A superuser holds every permission a manager has, and more: the same requirement, at least.
    if user.is_superuser:
        return True
    annotated = getattr(user, "role_requires_second_factor", None)
    if annotated is not None:
        return annotated
    return type(user)._default_manager.filter(pk=user.pk).filter(requires_second_factor_query()).exists()


def second_factor_follows(user) -> bool:
    """After the right password this user still has a step to pass: a code, or setting up their authenticator."""
    return requires_second_factor(user) or user_has_device(user, confirmed=True)


class SignInLockoutHandler(AxesDatabaseHandler):
    """django-axes's database handler (AXES_HANDLER), except that a right password clears the username's failed
    attempts only when no second factor follows it (AXES_RESET_ON_SUCCESS is off). The others' count is cleared
    when the code passes (clinic.services.reset_failures_after_sign_in)."""

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        if not second_factor_follows(user):
            self.reset_user_attempts(request, get_credentials(user.get_username()))


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is None or match.view_name in OPEN_VIEWS:
            return None
        required = requires_second_factor(user)
        if not required and request.session.get(NO_DEVICE_KEY):
            return None
        has_device = user_has_device(user, confirmed=True)
        if not has_device and not required:
            request.session[NO_DEVICE_KEY] = True
            return None
        target = "clinic:twofactor-verify" if has_device else "clinic:twofactor-setup"
        return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")


class CodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError("Enter the six digits shown in your authenticator app.")
        return code


class VerifyForm(forms.Form):
    code = forms.CharField(
        label="6-digit code or backup code",
        max_length=20,
        help_text="The six digits from your authenticator app, or one of your backup codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "autofocus": True}),
    )

    def clean_code(self):
        # Typed as printed ("ABCD EFGH", "abcd-efgh") or as the app shows it ("123 456").
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"]).lower()
        if not (re.fullmatch(r"\d{6}", code) or re.fullmatch(r"[a-z2-7]{8}", code)):
            raise forms.ValidationError(
                "Enter the six digits shown in your authenticator app, or a backup code (eight letters and digits)."
            )
        return code


def _next(request: HttpRequest) -> str:
    return safe_next(request, resolve_url(settings.LOGIN_REDIRECT_URL))


@require_http_methods(["GET", "POST"])
@login_required
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    if user_has_device(request.user, confirmed=True) and not request.user.is_verified():
        return redirect(f"{reverse('clinic:twofactor-verify')}?next={quote(_next(request))}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            request.session.pop(NO_DEVICE_KEY, None)
            # The new app is now the only one: a lost phone's stops working here.
            confirm_authenticator(device=device)
            otp_login(request, device)
            reset_failures_after_sign_in(user=request.user)
            if backup_codes_left(request.user):
                return redirect(_next(request))
            # The first set-up: backup codes for the day the phone is lost, shown on the next page.
            request.session[NEW_CODES_KEY] = issue_backup_codes(user=request.user)
            return redirect(f"{reverse('clinic:twofactor-backup-codes')}?next={quote(_next(request))}")
        form.add_error("code", "That code did not match. Check the time on your phone and try the newest code.")
    context = {
        "form": form,
        "qr": qr_svg(device.config_url),
        "secret": _base32(device.bin_key),
        "next": _next(request),
        "required": requires_second_factor(request.user),
        "replacing": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
    }
    return render(request, "registration/twofactor_setup.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def twofactor_verify(request: HttpRequest) -> HttpResponse:
    if not user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('clinic:twofactor-setup')}?next={quote(_next(request))}")
    user = request.user
    # The sign-in lockout counts wrong codes as it counts wrong passwords, against the username.
    credentials = {"username": user.get_username()}
    form = VerifyForm(request.POST or None)
    if request.method == "POST":
        if AxesProxyHandler.is_locked(request, credentials):
            return _locked_out(request, credentials)
        if form.is_valid():
            code = form.cleaned_data["code"]
            # Each device also throttles its own failures (django-otp), so guessing codes gets slower.
            device = verify_second_factor(user=user, code=code)
            if device is not None:
                otp_login(request, device)
                reset_failures_after_sign_in(user=user)
                if isinstance(device, StaticDevice):
                    _tell_codes_left(request, backup_codes_left(user))
                return redirect(_next(request))
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                return _locked_out(request, credentials)
            form.add_error(
                "code", "That code did not match. Wait for the next code, or check the backup code, and try again."
            )
    return render(request, "registration/twofactor_verify.html", {"form": form, "next": _next(request)})


def _locked_out(request: HttpRequest, credentials: dict) -> HttpResponse:
    """Too many wrong passwords or codes: the half-made sign-in ends, and the lockout page says why."""
    logout(request)
    return get_lockout_response(request, None, credentials)


def _tell_codes_left(request: HttpRequest, left: int) -> None:
    plural = "s" if left != 1 else ""
    text = f"Signed in with a backup code; it cannot be used again. You have {left} backup code{plural} left."
    if left <= FEW_CODES_LEFT:
        messages.warning(request, f"{text} Make new ones from your menu: Backup codes.")
    else:
        messages.info(request, text)


@require_http_methods(["GET", "POST"])
@login_required
def twofactor_backup_codes(request: HttpRequest) -> HttpResponse:
    """The user's backup codes: how many are left, and a new set on request (replacing the old), shown once."""
    user = request.user
    has_app = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if request.method == "POST":
        if not has_app:
            messages.error(request, "Set up two-factor sign-in with an authenticator app first.")
            return redirect("clinic:twofactor-setup")
        request.session[NEW_CODES_KEY] = issue_backup_codes(user=user)
        return redirect(f"{reverse('clinic:twofactor-backup-codes')}?next={quote(_next(request))}")
    codes = request.session.pop(NEW_CODES_KEY, None)
    context = {
        "codes": codes,
        "download": "data:text/plain;charset=utf-8," + quote(_codes_text(request, codes)) if codes else "",
        "left": backup_codes_left(user),
        "has_app": has_app,
        "next": _next(request),
    }
    return render(request, "registration/twofactor_backup_codes.html", context)


def _codes_text(request: HttpRequest, codes: list[str]) -> str:
    lines = [
        f"{settings.CLINIC_NAME}: backup codes for {request.user.get_username()}",
        "Each code signs you in once, in place of the code from your authenticator app.",
        "Keep them somewhere safe, away from your phone.",
        "",
        *codes,
        "",
    ]
    return "\n".join(lines)


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")


# --- what a manager sees of each staff member's sign-in (clinic.views.staff_signin) ---------------------------


def staff_accounts_for(user):
    """Active staff accounts with their second factor: `has_app` (a confirmed authenticator), `codes_left`
    (backup codes) and `requires_second_factor` (their role's rule), read in one query. A superuser's account
    is listed to superusers only, as in the admin."""
    accounts = get_user_model()._default_manager.filter(is_active=True)
    if not user.is_superuser:
        accounts = accounts.filter(is_superuser=False)
    codes = (
        StaticToken.objects.filter(device__user=OuterRef("pk"), device__confirmed=True)
        .order_by()
        .values("device__user")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    required = ExpressionWrapper(Q(is_superuser=True) | requires_second_factor_query(), output_field=BooleanField())
    return (
        accounts.annotate(
            has_app=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            codes_left=Coalesce(Subquery(codes), 0),
            requires_second_factor=required,
        )
        .prefetch_related("groups")
        .order_by("last_name", "first_name", "username")
    )


def sign_in_failures(usernames: list[str]) -> dict[str, int]:
    """The failed sign-ins (wrong passwords and codes) django-axes counts now against each username: those within
    the cool-off. At the failure limit (AXES_FAILURE_LIMIT) the username is locked out."""
    attempts = AccessAttempt.objects.filter(username__in=usernames)
    cool_off = get_cool_off()
    if cool_off:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    counted = attempts.order_by().values("username").annotate(n=Sum("failures_since_start"))
    return {row["username"]: row["n"] for row in counted}
