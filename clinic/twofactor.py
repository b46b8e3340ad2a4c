"""Two-factor sign-in with TOTP (django-otp): required for managers and superusers, optional for other staff.

After the password, a user who must or chose to use a second factor is sent to enter the code from
their authenticator app (or, the first time, to set one up). Until then every staff page redirects.
"""

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.backends import requires_second_factor_query
from clinic.qr import qr_svg
from clinic.security import safe_next

# Pages a signed-in but unverified user may still reach.
OPEN_VIEWS = {"clinic:login", "clinic:logout", "clinic:twofactor-setup", "clinic:twofactor-verify"}
# Set once a user is known to have no device of their own, so later requests skip that lookup. Whether
# their role requires one is asked on every request: a promotion must not wait for the session to end.
NO_DEVICE_KEY = "twofactor_no_device"


def requires_second_factor(user) -> bool:
    """The user's current role requires a second factor (read with the user on each request when possible)."""
    # A superuser holds every permission a manager has, and more: the same requirement, at least.
    if user.is_superuser:
        return True
    annotated = getattr(user, "role_requires_second_factor", None)
    if annotated is not None:
        return annotated
    return type(user)._default_manager.filter(pk=user.pk).filter(requires_second_factor_query()).exists()


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
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("code", "That code did not match. Check the time on your phone and try the newest code.")
    context = {
        "form": form,
        "qr": qr_svg(device.config_url),
        "secret": _base32(device.bin_key),
        "next": _next(request),
        "required": requires_second_factor(request.user),
    }
    return render(request, "registration/twofactor_setup.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def twofactor_verify(request: HttpRequest) -> HttpResponse:
    if not user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('clinic:twofactor-setup')}?next={quote(_next(request))}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Each device throttles its own failures (django-otp), so guessing codes gets slower.
        for device in devices_for_user(request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["code"]):
                otp_login(request, device)
                return redirect(_next(request))
        form.add_error("code", "That code did not match. Wait for the next code and try again.")
    return render(request, "registration/twofactor_verify.html", {"form": form, "next": _next(request)})


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")
