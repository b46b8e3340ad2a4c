import pytest
from django.test import Client

from clinic.roles import ACUPUNCTURIST, FRONT_DESK, MANAGER, sync_roles
from tests.factories import PatientFactory, StaffProfileFactory, UserFactory

ROLES = {"front_desk": FRONT_DESK, "acupuncturist": ACUPUNCTURIST, "manager": MANAGER}


@pytest.fixture
def roles(db):
    sync_roles()


@pytest.fixture
def front_desk(roles):
    return UserFactory(username="desk", first_name="Maria", last_name="Lopez", role=FRONT_DESK)


@pytest.fixture
def acupuncturist(roles):
    profile = StaffProfileFactory(
        user=UserFactory(username="lac", first_name="Wei", last_name="Chen", role=ACUPUNCTURIST)
    )
    return profile.user


@pytest.fixture
def manager(roles):
    return UserFactory(username="boss", first_name="Dana", last_name="Whitfield", role=MANAGER)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def desk_client(front_desk):
    return _client_for(front_desk)


@pytest.fixture
def lac_client(acupuncturist):
    return _client_for(acupuncturist)


@pytest.fixture
def manager_client(manager):
    return _client_for(manager)


@pytest.fixture
def role_client(request, front_desk, acupuncturist, manager):
    """A client signed in as the role named by indirect parametrisation (or anonymous)."""
    users = {"front_desk": front_desk, "acupuncturist": acupuncturist, "manager": manager}
    role = request.param
    return Client() if role == "anonymous" else _client_for(users[role])


@pytest.fixture
def patient(db):
    return PatientFactory(given_name="Ada", family_name="Moreno", phone="(217) 555-0199")
