"""Scale-out (issue 18): two gunicorn app servers behind a balancer, one killed and restarted under load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench_small .venv/bin/python bench/scaleout.py

Starts two gunicorn servers (bench.wsgi, the production settings over plain HTTP) on --ports, sharing the
bench PostgreSQL database and one Redis (CACHE_URL=redis://127.0.0.1:6379/3), each with TRUSTED_PROXY_COUNT=1
and the production patient-link throttle; and in front of them a small asyncio HTTP balancer (this script's
only, standing in for deploy/nginx.conf): round-robin, X-Forwarded-For and -Proto added, and a request
sent to the other server when the connection to one is refused. Like nginx by default, a request already
sent to a server that then dies before answering is resent only if it is idempotent (GET, HEAD): a POST
gets a 502, since the dead server may have committed it.

For --duration seconds staff (dashboard, search, chart, session form and save) and patients (open a
fresh link, post the warning signs, post the questionnaire, each patient from its own loopback address)
work through the balancer; at --kill-at seconds one server's whole process group is SIGKILLed, at
--restart-at it is started again. Then it checks:

- every response was 2xx/3xx, except a clean 502/503 from the balancer during the switch;
- every session and questionnaire POST the app acknowledged is in the database;
- the per-client patient-link throttle (PATIENT_LINK_RATE) holds across both servers;
- AXES_FAILURE_LIMIT wrong passwords for one username, spread over both servers, lock it on both.

Prints a summary and exits 1 if a check fails. What it adds (sessions, questionnaires and links, the
lockout account and its attempts, the Redis keys on db 3) is removed afterwards.
"""

import argparse
import asyncio
import functools
import http.client
import http.cookiejar
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    ACUPUNCTURISTS,
    FRONT_DESK,
    PASSWORD,
    RESERVED_PATIENTS,
    ROOT,
    questionnaire_post_data,
    remove_questionnaires,
    removing_new_sessions,
    session_post_data,
    setup,
)

CACHE_URL = "redis://127.0.0.1:6379/3"
LINK_RATE = "30/h"  # the production default of PATIENT_LINK_RATE (clinic/settings.py)
LOCKOUT_USER = "bench-scaleout-lockout"
IDEMPOTENT = {b"GET", b"HEAD", b"OPTIONS"}
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"x-forwarded-proto", b"te", b"upgrade"}


# --- the balancer ----------------------------------------------------------------------------


class Balancer:
    """Round-robin HTTP/1.1 proxy on asyncio, one request per client connection.

    Every request it answers is recorded: (time, method, path, status, server that answered or None).
    """

    def __init__(self, port: int, backends: list[int]):
        self.port, self.backends = port, backends
        self.turn = 0
        self.records: list[tuple[float, str, str, int, int | None]] = []
        self.retried = Counter()  # why a request went to the other server
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.tasks: set[asyncio.Task] = set()

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()
        if not self.ready.wait(10):
            raise RuntimeError("The balancer did not start.")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self.handle, "127.0.0.1", self.port, backlog=512))
        self.server = server
        self.ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)

    def record(self, method: bytes, target: bytes, status: int, backend: int | None) -> None:
        with self.lock:
            self.records.append((time.perf_counter(), method.decode(), target.decode(), status, backend))

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.tasks.add(task)  # held until done: asyncio keeps only a weak reference to a connection's task
        try:
            await self._proxy(reader, writer)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()
            self.tasks.discard(task)

    async def _proxy(self, reader, writer) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        request_line, *lines = head[:-4].split(b"\r\n")
        method, target, _ = request_line.split(b" ", 2)
        headers = [tuple(part.strip() for part in line.split(b":", 1)) for line in lines if b":" in line]
        length = next((int(v) for k, v in headers if k.lower() == b"content-length"), 0)
        body = await reader.readexactly(length) if length else b""
        peer = writer.get_extra_info("peername")[0].encode()
        # As nginx's $proxy_add_x_forwarded_for: the client's list, then the address that connected here.
        forwarded = b", ".join(v for k, v in headers if k.lower() == b"x-forwarded-for")
        kept = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP and k.lower() != b"x-forwarded-for"]
        kept += [
            (b"X-Forwarded-For", forwarded + b", " + peer if forwarded else peer),
            (b"X-Forwarded-Proto", b"http"),
            (b"Connection", b"close"),
        ]
        request = request_line + b"\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in kept) + b"\r\n" + body
        first = self.turn % len(self.backends)
        self.turn += 1
        for backend in self.backends[first:] + self.backends[:first]:
            try:
                up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", backend), 5)
            except (OSError, TimeoutError):
                self.retried["connection refused"] += 1
                continue  # nothing was sent: safe to send any request to the other server
            try:
                up_writer.write(request)
                await up_writer.drain()
                chunk = await asyncio.wait_for(up_reader.read(65536), 120)
            except (OSError, TimeoutError):
                chunk = b""
            if not chunk:  # the server took the request and died (or hung) before a byte of answer
                up_writer.close()
                if method in IDEMPOTENT:
                    self.retried["no answer, idempotent"] += 1
                    continue
                self.retried["no answer, POST not resent"] += 1
                break
            status = int(chunk.split(b" ", 2)[1])
            writer.write(chunk.replace(b"\r\n", b"\r\nX-Upstream: %d\r\n" % backend, 1))
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
                await writer.drain()
            up_writer.close()
            self.record(method, target, status, backend)
            return
        page = b"The clinic's servers are not answering; please try again in a moment.\n"
        writer.write(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (len(page), page)
        )
        await writer.drain()
        self.record(method, target, 502, None)


# --- the app servers -------------------------------------------------------------------------


def server_env(secret_key: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",  # bench.settings pins the same list
        "CACHE_URL": CACHE_URL,
        "TRUSTED_PROXY_COUNT": "1",
        "BENCH_PATIENT_LINK_RATE": LINK_RATE,
    }


def start_server(port: int, workers: int, env: dict) -> subprocess.Popen:
    """gunicorn in a process group of its own (so a SIGKILL takes its workers too), once it answers."""
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    command = [gunicorn, "bench.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--log-level", "warning", "--backlog", "2048"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn on {port} exited at start-up")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5).read()  # noqa: S310
            return process
        except OSError:
            time.sleep(0.2)
    kill(process)
    raise RuntimeError(f"gunicorn on {port} did not answer within 30 s")


def kill(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- clients ---------------------------------------------------------------------------------


class SourceHandler(urllib.request.HTTPHandler):
    """Connects from a given loopback address: each patient is its own client to the throttle."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    def http_open(self, req):
        return self.do_open(functools.partial(http.client.HTTPConnection, source_address=(self.source, 0)), req)


class Client:
    """A browser through the balancer: cookies kept, redirects followed, every answer's status recorded."""

    def __init__(self, base: str, source: str = "127.0.0.1"):
        self.base = base
        jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(SourceHandler(source), jar)

    def request(self, path: str, data: dict | None = None, referer: str | None = None):
        """(status, final URL, body, server that answered); status 0 when no HTTP answer came."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"Referer": referer or self.base + path})  # noqa: S310
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, response.geturl(), response.read(), response.headers.get("X-Upstream")
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read(), error.headers.get("X-Upstream")
        except OSError:
            return 0, "", b"", None

    def post_form(self, path: str, page: bytes, data: dict):
        start = page.find(b'name="csrfmiddlewaretoken" value="')
        if start < 0:
            return 0, "", b"", None
        token = page[start + 34 : page.index(b'"', start + 34)].decode()
        return self.request(path, {**data, "csrfmiddlewaretoken": token})


class Outcomes:
    """What the drivers saw: steps by result, and the writes the app acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.steps: Counter = Counter()
        self.failures: list[str] = []
        self.sessions: list[int] = []  # acknowledged session POSTs: the new session's id
        self.warning_signs: list[int] = []  # acknowledged warning-sign POSTs: the questionnaire's id
        self.questionnaires: list[int] = []  # acknowledged questionnaire POSTs

    def step(self, name: str, ok: bool, detail: str = "") -> bool:
        with self.lock:
            self.steps[(name, ok)] += 1
            if not ok and len(self.failures) < 30:
                self.failures.append(f"{name}: {detail}")
        return ok


def staff_loop(base, username, logs_sessions, data, out: Outcomes, stop_at: float, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - test traffic
    client = Client(base)
    _, _, page, _ = client.request("/accounts/login/")
    status, url, _, _ = client.post_form("/accounts/login/", page, {"username": username, "password": PASSWORD})
    if not out.step("staff sign-in", status == 200 and "/accounts/login/" not in url, f"{status} {url}"):
        return
    while time.perf_counter() < stop_at:
        plan_pk, patient_pk = rng.choice(data["plans"])
        name = urllib.parse.quote(rng.choice(data["names"]))
        for label, path in (
            ("dashboard", "/"),
            ("search", f"/patients/?q={name}"),
            ("chart", f"/patients/{patient_pk}/"),
        ):
            status, *_ = client.request(path)
            out.step(label, status == 200, str(status))
        if not logs_sessions:
            continue
        path = f"/plans/{plan_pk}/sessions/new/"
        status, _, form, _ = client.request(path)
        if not out.step("session form GET", status == 200, str(status)):
            continue
        status, url, _, _ = client.post_form(path, form, session_post_data())
        parts = urllib.parse.urlparse(url).path.strip("/").split("/")
        if status == 200 and len(parts) == 2 and parts[0] == "sessions" and parts[1].isdigit():
            out.step("session POST", True)
            with out.lock:
                out.sessions.append(int(parts[1]))
        else:
            out.step("session POST", False, f"{status} {url}")


def patient_loop(base, data, out: Outcomes, stop_at: float, addresses) -> None:
    from tests.factories import warning_sign_data

    while time.perf_counter() < stop_at:
        with out.lock:
            if not data["links"]:
                return
            token, questionnaire = data["links"].pop()
            source = next(addresses)
        client = Client(base, source)  # a new phone, from an address of its own
        status, url, form, _ = client.request(f"/l/{token}/")
        if not out.step("link open", status == 200 and url.endswith("/p/questionnaire/"), f"{status} {url}"):
            continue
        status, url, form, _ = client.post_form("/p/questionnaire/warning-signs/", form, warning_sign_data())
        if not out.step("warning signs POST", status == 200 and url.endswith("/p/questionnaire/"), f"{status} {url}"):
            continue
        with out.lock:
            out.warning_signs.append(questionnaire)
        phq9 = (1, 1, 1, 1, 1, 1, 1, 1, 0) if b'name="phq9_1"' in form else None
        status, _, body, _ = client.post_form("/p/questionnaire/", form, questionnaire_post_data(phq9))
        if out.step("questionnaire POST", status == 200 and b"Thank you" in body, str(status)):
            with out.lock:
                out.questionnaires.append(questionnaire)


def loopback_addresses(second_octet: int):
    """127.<second>.x.y, a new one each time (the whole of 127/8 is this machine)."""
    n = 0
    while True:
        n += 1
        yield f"127.{second_octet}.{n // 250 % 250}.{n % 250 + 1}"


# --- fixtures and checks ---------------------------------------------------------------------


def fixtures(count: int) -> dict:
    """Active plans and names for staff; `count` new questionnaires (due from 2031, clear of the data set's)
    with a patient link each."""
    from django.contrib.auth import get_user_model

    from clinic.links import issue_link
    from clinic.models import Patient
    from outcomes.models import Questionnaire
    from treatments.models import TreatmentPlan

    # Plans every staff browser may open: on the group-size data set, one location's staff see their own.
    plans = TreatmentPlan.objects.filter(status="active", patient__referrals__isnull=True)
    for user in get_user_model().objects.filter(username__in=[FRONT_DESK, *ACUPUNCTURISTS]):
        plans = plans.visible_to(user)
    plans = list(plans.exclude(patient__chart_number__in=RESERVED_PATIENTS).values_list("pk", "patient_id")[:400])
    names = list(Patient.objects.order_by("?").values_list("family_name", flat=True)[:50])
    start = date(2031, 1, 1) + timedelta(days=Questionnaire.objects.filter(due_date__gte=date(2031, 1, 1)).count())
    created = Questionnaire.objects.bulk_create(
        Questionnaire(patient_id=patient_pk, plan_id=plan_pk, due_date=start + timedelta(days=i), week=1)
        for i, (plan_pk, patient_pk) in enumerate(plans[i % len(plans)] for i in range(count))
    )
    rows = Questionnaire.objects.filter(pk__in=[row.pk for row in created]).select_related("patient")
    links = [(issue_link(patient=row.patient, purpose="questionnaire", subject=row)[1], row.pk) for row in rows]
    return {"plans": plans, "names": names, "links": links, "questionnaires": [row.pk for row in created]}


def check_rate_limit(base: str, tokens: list[str]) -> dict:
    """Fresh links opened from one client address: the first PATIENT_LINK_RATE pass, the rest are refused,
    whichever server answers. Redirects are not followed: the open itself is what is counted."""
    limit = int(LINK_RATE.split("/")[0])
    results = []
    for token in tokens:
        connection = http.client.HTTPConnection(
            "127.0.0.1", int(base.rsplit(":", 1)[1]), source_address=("127.9.9.9", 0)
        )
        connection.request("GET", f"/l/{token}/")
        response = connection.getresponse()
        response.read()
        results.append((response.status, response.getheader("X-Upstream")))
        connection.close()
    passed, refused = results[:limit], results[limit:]
    ok = all(status == 302 for status, _ in passed) and all(status == 404 for status, _ in refused)
    servers_refusing = {server for _, server in refused}
    return {
        "ok": ok and len(servers_refusing) == 2,
        "limit": limit,
        "opened": len(results),
        "passed": sum(status == 302 for status, _ in results),
        "refused": sum(status == 404 for status, _ in results),
        "servers passing": sorted({server for status, server in passed if status == 302}),
        "servers refusing": sorted(servers_refusing),
    }


def check_lockout(base: str) -> dict:
    """AXES_FAILURE_LIMIT wrong passwords for one username over both servers; then the right one is refused
    on both."""
    from django.conf import settings

    limit = settings.AXES_FAILURE_LIMIT

    def attempt(password: str) -> tuple[int, str | None, bool]:
        client = Client(base)
        _, _, page, _ = client.request("/accounts/login/")
        status, url, body, server = client.post_form(
            "/accounts/login/", page, {"username": LOCKOUT_USER, "password": password}
        )
        return status, server, "/accounts/login/" not in url and status == 200

    def alternating(password: str, n: int):
        # Every sign-in attempt is two requests (the form, the post), so round-robin would send every post to
        # the same server: one more request before every other attempt moves the post to the other server.
        if n % 2:
            Client(base).request("/healthz/")
        return attempt(password)

    failures = [alternating(f"wrong-password-{n}", n) for n in range(limit)]
    refusals = [alternating(PASSWORD, n) for n in range(4)]
    failed_on = sorted({server for _, server, _ in failures})
    refused_on = sorted({server for status, server, signed_in in refusals if status == 429 and not signed_in})
    return {
        "ok": not any(signed_in for *_, signed_in in failures + refusals)
        and all(status == 429 for status, *_ in refusals)
        and len(refused_on) == 2,
        "limit": limit,
        "failures on servers": failed_on,
        "right password refused (429) on": refused_on,
        "refusals": [status for status, *_ in refusals],
    }


def lockout_account():
    from axes.utils import reset
    from django.contrib.auth.models import User

    reset(username=LOCKOUT_USER)
    user, _ = User.objects.get_or_create(username=LOCKOUT_USER)
    user.set_password(PASSWORD)
    user.save()
    return user


def remove_lockout_account() -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import User

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=LOCKOUT_USER).delete()
    User.objects.filter(username=LOCKOUT_USER).delete()


# --- the run ---------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--kill-at", type=float, default=20)
    parser.add_argument("--restart-at", type=float, default=35)
    parser.add_argument("--ports", type=int, nargs=2, default=[8201, 8202])
    parser.add_argument("--balancer-port", type=int, default=8200)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--staff", type=int, default=4, help="staff browsers (every fourth is the front desk)")
    parser.add_argument("--patients", type=int, default=4, help="concurrent patient browsers")
    args = parser.parse_args(argv)
    os.environ.update({"CACHE_URL": CACHE_URL, "TRUSTED_PROXY_COUNT": "1", "BENCH_PATIENT_LINK_RATE": LINK_RATE})
    setup()
    import redis
    from django.conf import settings

    from outcomes.models import Questionnaire
    from treatments.models import Session

    cache = redis.Redis.from_url(CACHE_URL)
    keys_before = set(cache.keys("*"))
    limit = int(LINK_RATE.split("/")[0])
    data = fixtures(int(args.patients * args.duration * 3) + limit + 10)  # more than the patients can use
    check_tokens = [data["links"].pop()[0] for _ in range(limit + 5)]
    lockout_account()
    env = server_env(secrets.token_urlsafe(50))
    base = f"http://127.0.0.1:{args.balancer_port}"
    balancer = Balancer(args.balancer_port, args.ports)
    servers: dict[int, subprocess.Popen] = {}
    out, events = Outcomes(), {}
    failed: list[str] = []
    try:
        with removing_new_sessions():
            for port in args.ports:
                servers[port] = start_server(port, args.workers, env)
            balancer.start()
            began = time.perf_counter()
            stop_at = began + args.duration
            threads = [
                threading.Thread(
                    target=staff_loop,
                    args=(base, FRONT_DESK if i % 4 == 3 else ACUPUNCTURISTS[i % 4], i % 4 != 3, data, out, stop_at, i),
                )
                for i in range(args.staff)
            ]
            addresses = loopback_addresses(1)
            threads += [
                threading.Thread(target=patient_loop, args=(base, data, out, stop_at, addresses))
                for _ in range(args.patients)
            ]
            for thread in threads:
                thread.start()
            victim = args.ports[1]
            time.sleep(max(0, began + args.kill_at - time.perf_counter()))
            events["killed"] = time.perf_counter()
            kill(servers.pop(victim))
            print(
                f"{events['killed'] - began:5.1f} s  SIGKILL to gunicorn on {victim} (master and workers)", flush=True
            )
            time.sleep(max(0, began + args.restart_at - time.perf_counter()))
            events["restarting"] = time.perf_counter()
            servers[victim] = start_server(victim, args.workers, env)
            events["back"] = time.perf_counter()
            print(f"{events['back'] - began:5.1f} s  gunicorn on {victim} answering again", flush=True)
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
            load_records = list(balancer.records)

            # The writes the app acknowledged, read back from the database.
            sessions_found = Session.objects.filter(pk__in=out.sessions).count()
            signs_found = Questionnaire.objects.filter(
                pk__in=out.warning_signs, saddle_anaesthesia__isnull=False
            ).count()
            answered_found = Questionnaire.objects.filter(pk__in=out.questionnaires, submitted_at__isnull=False).count()

            rate = check_rate_limit(base, check_tokens)
            lockout = check_lockout(base)
    finally:
        balancer.stop()
        for process in servers.values():
            kill(process, signal.SIGTERM)
        remove_questionnaires(data["questionnaires"])
        remove_lockout_account()
        new_keys = set(cache.keys("*")) - keys_before
        if new_keys:
            cache.delete(*new_keys)

    # --- summary ---------------------------------------------------------------------------------
    switch = (events["killed"], events["back"] + 2)  # until 2 s after the restarted server answers
    statuses = Counter(status for _, _, _, status, _ in load_records)
    by_server = Counter(server for *_, server in load_records)
    in_switch = [r for r in load_records if switch[0] <= r[0] <= switch[1]]
    bad = [
        r for r in load_records if not (200 <= r[3] < 400 or (r[3] in (502, 503) and switch[0] <= r[0] <= switch[1]))
    ]
    print(f"\nTwo gunicorn servers ({args.workers} workers each) behind the balancer, {elapsed:.0f} s of load:")
    print(f"{args.staff} staff and {args.patients} patient browsers; server {args.ports[1]} killed at ", end="")
    print(f"{events['killed'] - began:.1f} s, restarted at {events['restarting'] - began:.1f} s, ", end="")
    print(f"answering at {events['back'] - began:.1f} s.\n")
    print(f"{'requests through the balancer':<44}{len(load_records):>8}")
    for status, n in sorted(statuses.items()):
        print(f"{'  status ' + str(status):<44}{n:>8}")
    for server, n in sorted(by_server.items(), key=str):
        print(f"{'  answered by ' + (str(server) if server else 'the balancer (502)'):<44}{n:>8}")
    print(f"{'requests during the switch':<44}{len(in_switch):>8}")
    switch_statuses = Counter(r[3] for r in in_switch)
    print(f"{'  of which 502/503':<44}{switch_statuses[502] + switch_statuses[503]:>8}")
    for reason, n in sorted(balancer.retried.items()):
        print(f"{'  balancer: ' + reason:<44}{n:>8}")
    print(f"\n{'step':<28}{'ok':>8}{'failed':>8}")
    for name in dict.fromkeys(name for name, _ in out.steps):
        print(f"{name:<28}{out.steps[(name, True)]:>8}{out.steps[(name, False)]:>8}")
    for failure in out.failures[:10]:
        print(f"  failed: {failure}")

    checks = [
        (
            "only 2xx/3xx, or a 502/503 during the switch",
            not bad,
            f"{len(bad)} other" + (f": {bad[:5]}" if bad else ""),
        ),
        (
            "acknowledged session POSTs in the database",
            sessions_found == len(out.sessions) > 0,
            f"{sessions_found} of {len(out.sessions)}",
        ),
        (
            "acknowledged warning-sign POSTs in the database",
            signs_found == len(out.warning_signs) > 0,
            f"{signs_found} of {len(out.warning_signs)}",
        ),
        (
            "acknowledged questionnaire POSTs in the database",
            answered_found == len(out.questionnaires) > 0,
            f"{answered_found} of {len(out.questionnaires)}",
        ),
        (
            f"link throttle ({settings.PATIENT_LINK_RATE} per client) on both servers",
            rate["ok"],
            f"{rate['passed']} of {rate['opened']} opens passed, {rate['refused']} refused (404); "
            f"refused by {rate['servers refusing']}",
        ),
        (
            f"sign-in lockout ({lockout['limit']} failures) on both servers",
            lockout["ok"],
            f"failures on {lockout['failures on servers']}, right password refused with "
            f"{lockout['refusals']} on {lockout['right password refused (429) on']}",
        ),
    ]
    print(f"\n{'check':<52}{'result':<8}figures")
    for name, ok, figures in checks:
        print(f"{name:<52}{'pass' if ok else 'FAIL':<8}{figures}")
        if not ok:
            failed.append(name)
    return 1 if failed else 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)  # a `timeout` unwinds like Ctrl-C, so the servers are stopped
    sys.exit(main())
