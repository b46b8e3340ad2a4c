"""Writes that the core makes: registering a patient with a fresh chart number; adding a location; a staff
member's second factor (backup codes, a manager's reset) and sign-in lockout."""

from auditlog.models import LogEntry
from axes.utils import reset as reset_axes_attempts
from django.db import IntegrityError, transaction
from django.db.models import IntegerField, Max
from django.db.models.functions import Cast, Substr
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.audit import record_account_event
from clinic.models import Location, Patient, StaffProfile

CHART_PREFIX = "P"


def next_chart_number() -> str:
    highest = (
        Patient.objects.filter(chart_number__startswith=CHART_PREFIX)
        .annotate(n=Cast(Substr("chart_number", len(CHART_PREFIX) + 1), IntegerField()))
        .aggregate(m=Max("n"))["m"]
    )
    return f"{CHART_PREFIX}{(highest or 0) + 1:06d}"


def register_patient(*, patient: Patient, attempts: int = 5) -> Patient:
    """Save a new patient under the next free chart number.

    Two desks registering at the same moment may pick the same number; the unique constraint
    refuses the second, which then takes the next one.
    """
    for _ in range(attempts):
        patient.chart_number = next_chart_number()
        try:
            with transaction.atomic():
                patient.save(force_insert=True)
            return patient
        except IntegrityError:
            patient.pk = None
            continue
    raise IntegrityError("Could not allocate a chart number; please try again.")


@transaction.atomic
def add_location(*, location: Location) -> Location:
    """Save a new location. When it is the clinic's second, everyone active who works at no location yet is
    given the first: until now they all worked at the one clinic, and from now on a person with no location
    sees no patient (clinic.locations). Not those who may see every location (the manager), who without a
    location of their own see the whole group. Each profile made or changed has its audit entry."""
    from django.contrib.auth import get_user_model

    first = Location.objects.order_by("pk").first()
    location.save()
    if first is None or Location.objects.count() != 2:
        return location
    nowhere = get_user_model().objects.filter(is_active=True, is_superuser=False)
    nowhere = nowhere.exclude(staff_profile__locations__isnull=False)
    for user in nowhere:
        if user.has_perm("clinic.view_all_locations"):
            continue
        profile, _ = StaffProfile.objects.get_or_create(user=user)
        profile.locations.add(first)
    return location


# --- two-factor recovery (clinic.twofactor) ---------------------------------------------------------------

BACKUP_CODE_COUNT = 10
BACKUP_DEVICE_NAME = "Backup codes"


def account_name(user) -> str:
    full = user.get_full_name()
    return f"{user.get_username()} ({full})" if full else user.get_username()


@transaction.atomic
def issue_backup_codes(*, user) -> list[str]:
    """Give the user a fresh set of single-use backup codes, cancelling any earlier ones; returns the codes,
    to be shown to them once. django-otp keeps them on the user's one static device."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < BACKUP_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in sorted(codes)])
    device.throttle_reset()
    record_account_event(
        user,
        description=f"Backup codes made for {account_name(user)}: {len(codes)} new, any earlier ones cancelled",
        action=LogEntry.Action.CREATE,
        event="backup_codes_issued",
        count=len(codes),
    )
    return sorted(codes)


def backup_codes_left(user) -> int:
    # int(): django-otp has no type stubs, so mypy sees its manager's count() as Any.
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def is_backup_code(code: str) -> bool:
    """A backup code is eight letters and digits (django-otp's base32); an authenticator's code is six digits."""
    return not (len(code) == 6 and code.isdigit())


def spend_backup_code(device: StaticDevice, code: str) -> bool:
    """django-otp's StaticDevice.verify_token (its throttling included), except that the code counts as used only
    by the sign-in whose DELETE removed it. django-otp reads the code, then deletes it without checking: two
    sign-ins at once with the same code would both pass. The database's row lock makes the second delete nothing."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return False
    if StaticToken.objects.filter(device=device, token=code).delete()[0] != 1:
        device.throttle_increment()
        return False
    device.throttle_reset(commit=False)
    device.set_last_used_timestamp(commit=False)
    device.save()
    return True


@transaction.atomic
def verify_second_factor(*, user, code: str):
    """The user's confirmed device that accepts `code` (a backup code is spent by it), or None.

    An authenticator's six digits are tried on the authenticator devices, anything else on the backup codes:
    each device throttles its own failures (django-otp), and a typo in one kind does not slow the other.
    """
    backup = is_backup_code(code)
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, StaticDevice) != backup:
            continue
        if spend_backup_code(device, code) if backup else device.verify_token(code):
            if backup:
                left = backup_codes_left(user)
                record_account_event(
                    user,
                    description=f"Backup code used by {account_name(user)} to sign in: {left} left",
                    event="backup_code_used",
                    left=left,
                )
            return device
    return None


@transaction.atomic
def confirm_authenticator(*, device: TOTPDevice) -> int:
    """Turn on the authenticator app the user has just set up (its code matched) and remove their others: a
    lost or old phone signs in no more, from this session or any other. Returns how many confirmed apps it
    replaced; replacing is audited."""
    user = device.user
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    others = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk)
    replaced = int(others.filter(confirmed=True).count())  # django-otp has no type stubs
    others.delete()
    if replaced:
        plural = "s" if replaced != 1 else ""
        record_account_event(
            user,
            description=(
                f"Authenticator replaced for {account_name(user)}: a new app set up, {replaced} earlier "
                f"authenticator app{plural} removed"
            ),
            action=LogEntry.Action.DELETE,
            event="authenticator_replaced",
            removed=replaced,
        )
    return replaced


@transaction.atomic
def reset_second_factor(*, user, by) -> int:
    """Remove every second factor of `user` (authenticator apps, backup codes): they set one up again at their
    next sign-in (at once, if their role requires one). Returns how many devices were removed."""
    apps = TOTPDevice.objects.filter(user=user).count()
    codes = backup_codes_left(user)
    removed = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        removed += 1
    record_account_event(
        user,
        description=(
            f"Two-factor sign-in reset for {account_name(user)} by {account_name(by)}: {apps} authenticator "
            f"app(s) and {codes} backup code(s) removed"
        ),
        action=LogEntry.Action.DELETE,
        event="second_factor_reset",
        by=by.get_username(),
        devices=removed,
    )
    return removed


@transaction.atomic
def lift_lockout(*, user, by) -> int:
    """Clear the failed sign-in attempts counted against `user`'s username (django-axes), so a lockout ends
    now rather than after the cool-off. Returns how many attempt records were cleared (0: nothing to lift)."""
    cleared = int(reset_axes_attempts(username=user.get_username()))  # axes has no type stubs
    if cleared:
        record_account_event(
            user,
            description=f"Sign-in lockout lifted for {account_name(user)} by {account_name(by)}",
            event="lockout_lifted",
            by=by.get_username(),
            cleared=cleared,
        )
    return cleared


def reset_failures_after_sign_in(*, user) -> None:
    """The whole sign-in passed (password, then the second factor or its set-up): earlier wrong passwords and
    codes no longer count towards a lockout. For a user with a second factor the right password alone does not
    clear them (clinic.twofactor.SignInLockoutHandler)."""
    reset_axes_attempts(username=user.get_username())
