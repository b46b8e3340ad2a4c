"""Which locations a user sees (docs/architecture.md, "Locations").

Staff see the patients of the locations they work at. Those holding `clinic.view_all_locations` may switch to
every location (the choice lives in their session); one who works nowhere in particular (a group manager) sees
every location. A clinic with one location is one undivided clinic: everyone sees it, and no page names it.
The scope is read once per request (one query) and kept on the user object; the session keeps the rows read
for a minute, as it keeps the permissions (clinic.signin), so most pages read none: a change of who works where
reaches a signed-in user within a minute. The switch to every location takes effect at once.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import Http404

from clinic.models import Location, StaffProfile
from clinic.signin import keep_reading, minute_old_reading

ALL_LOCATIONS_PERMISSION = "clinic.view_all_locations"
SESSION_KEY = "all_locations"
ROWS_KEY = "_locations"  # the locations as last read, and where the user works: a minute's cache
FIELDS = ("id", "name", "address", "phone", "time_zone", "beds")
NO_LOCATION_MESSAGE = (
    "Your account is not assigned to a location yet, so no patients are shown. "
    "Ask the clinic manager to add your location to your staff profile."
)


@dataclass(frozen=True)
class Scope:
    locations: tuple[Location, ...]  # every location of the clinic, by name
    own: frozenset[int]  # where the user works
    may_switch: bool  # holds the permission to see every location
    sees_all: bool

    @property
    def several(self) -> bool:
        """More than one location: only then does any page name one."""
        return len(self.locations) > 1

    @property
    def choosing(self) -> bool:
        """The user sees several locations: pages offer a choice of them and name each row's."""
        return len(self.visible) > 1

    @property
    def visible_ids(self) -> frozenset[int] | None:
        """The locations whose rows the user sees now; None for every one."""
        return None if self.sees_all else self.own

    @property
    def visible(self) -> tuple[Location, ...]:
        ids = self.visible_ids
        return self.locations if ids is None else tuple(loc for loc in self.locations if loc.pk in ids)

    @property
    def unassigned(self) -> bool:
        """Sees no location at all: every page says so rather than showing an empty clinic."""
        return not self.sees_all and not self.own

    @property
    def own_label(self) -> str:
        return ", ".join(loc.name for loc in self.locations if loc.pk in self.own)

    @property
    def label(self) -> str:
        if self.sees_all:
            return "All locations"
        return ", ".join(loc.name for loc in self.visible) or "No location"


def scope_of(user) -> Scope:
    cached = getattr(user, "_location_scope", None)
    if cached is not None:
        return cached
    if user is None or not user.is_authenticated:
        scope = Scope(locations=(), own=frozenset(), may_switch=False, sees_all=False)
    else:
        rows = _locations(user)
        own = frozenset(loc.pk for loc in rows if loc.works_here)
        may_switch = user.has_perm(ALL_LOCATIONS_PERMISSION)
        chose_all = getattr(user, "chose_all_locations", False)
        sees_all = len(rows) <= 1 or (may_switch and (chose_all or not own))
        scope = Scope(locations=tuple(rows), own=own, may_switch=may_switch, sees_all=sees_all)
    if user is not None:
        user._location_scope = scope
    return scope


def _locations(user) -> list[Location]:
    """Every location, each marked whether the user works there: from the session's minute-old reading if the
    middleware found one, else one query (whose rows the middleware then keeps)."""
    cached = getattr(user, "_location_rows", None)
    if cached is None:
        works_here = StaffProfile.locations.through.objects.filter(location=OuterRef("pk"), staffprofile__user=user)
        read = list(
            Location.objects.annotate(works_here=Exists(works_here)).order_by("name").values(*FIELDS, "works_here")
        )
        user._location_rows_read = read
        cached = read
    rows = []
    for values in cached:
        location = Location(**{name: values[name] for name in FIELDS})
        location._state.adding, location.works_here = False, values["works_here"]
        rows.append(location)
    return rows


def clock_of(user) -> ZoneInfo:
    """The clock a staff page reads times on: the time zone of the locations the user sees when they share one,
    else the clinic's (TIME_ZONE)."""
    zones = {location.time_zone for location in scope_of(user).visible}
    return ZoneInfo(zones.pop() if len(zones) == 1 else settings.TIME_ZONE)


def chosen_location(user, value) -> Location | None:
    """A location named by a filter (`?location=<id>`): None for no filter, 404 for one the user may not see,
    so a page never silently shows something other than what was asked for."""
    if value in (None, ""):
        return None
    scope = scope_of(user)
    found = next((loc for loc in scope.visible if str(loc.pk) == str(value)), None)
    if found is None:
        raise Http404("No such location among those you can see.")
    return found


class LocationScopeMiddleware:
    """Carries the session's "all locations" choice, and its minute-old reading of the locations, to the user
    object that `visible_to(user)` reads; keeps a fresh reading after a request that made one. Goes after
    AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get(SESSION_KEY):
            request.user.chose_all_locations = True
        rows = minute_old_reading(request, ROWS_KEY)
        if rows is not None and request.user.is_authenticated:
            request.user._location_rows = rows
        response = self.get_response(request)
        if rows is None:
            keep_reading(request, ROWS_KEY, lambda user: getattr(user, "_location_rows_read", None))
        return response


def contact_details(location: Location) -> dict:
    """What a superbill, a letter or an email prints of where the patient is seen: the clinic's name (with the
    location's where it is not the clinic's own), the location's address and phone, the clinic's email. A detail
    the location leaves blank is the clinic's."""
    name = settings.CLINIC_NAME
    # A group names the location; one clinic is its own name (even after CLINIC_NAME changed since the
    # migrations named its location: the count is read only then).
    if location.name and location.name != name and Location.objects.count() > 1:
        name = f"{name} — {location.name}" if name else location.name
    return {
        "name": name,
        "address": location.address or settings.CLINIC_ADDRESS,
        "phone": location.phone or settings.CLINIC_PHONE,
        "email": settings.CLINIC_EMAIL,
        "time_zone": ZoneInfo(location.time_zone),
    }
