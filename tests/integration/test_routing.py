"""Routing by sending-address budget (issue 25): waypost-routed tells a
private Postfix's queue manager which source address carries each
recipient, as contrib/postfix/routing.master.cf and pool-transports.sh
set it up, and the test SMTP servers record the address each delivery
came from.

- A pool of three addresses (127.0.0.2 to .4) whose caps are 5/10 a day
  at one provider and 3/6 at another, one address on its second day: a
  burst of 100 messages is delivered exactly within every budget (counted
  at the server per address and provider, and as waypostctl source show
  has it), the rest waits in the queue (retry:, never a bounce) and goes
  out when budget is added, not through an address suspended there.
- A retry after a 4xx is asked again (once another address was resolved
  in between, doc/routing.md) and leaves through an address that still
  has budget.
- A pool serves its tenants only (the sender that trivial-rewrite asks
  about first), the others take the "*" pool.
- An address verification probe is not asked about and spends nothing.
- waypost-trackd's events say which address's transport carried the mail
  (service), from the log's postfix/wp-ADDRESS/smtp.
- Those events settle the charges: deliveries qmgr routed from its cache
  without asking are counted from them; a lookup's charge is not counted
  again, a deferral or another transport's delivery counts nothing, and
  every event read a second time (the group rewound) counts nothing.
- A domain no provider lists is the provider's whose MX host suffix ends
  one of its MX hosts (a private dnsmasq serves them), kept in a cache.
- Wildcard and domain probes are NOTFOUND; bad configuration is refused
  by -n with the line.
"""
import json
import re
import smtplib
import socket
import subprocess
from collections import Counter

import pytest

from conftest import program
from harness.answering_server import AnsweringServer
from harness.dns_server import DnsServer
from harness.relay import FRAGMENTS, fragment, main_cf, master_cf
from harness.sink import Sink
from harness.waiting import wait_until
from harness.waypost import RouteSetup, start_tracker

SENDER = "app@example.com"
POOL = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
DAY = 86400


@pytest.fixture
def route(workdir, redis_server):
    setup = RouteSetup(program("route/waypost-routed"), workdir,
                       redis_server.address)
    yield setup
    setup.stop()


def providers(port):
    """Two providers whose mail goes to the test server on port."""
    return (f'[provider "gmail"]\ndomains = gmail.test\n'
            f'nexthop = [127.0.0.1]:{port}\n'
            f'[provider "outlook"]\ndomains = outlook.test, hotmail.test\n'
            f'nexthop = [127.0.0.1]:{port}\n')


def pool_transports(*arguments):
    """The output of contrib/postfix/pool-transports.sh."""
    return subprocess.run([f"{FRAGMENTS}/pool-transports.sh", *arguments],
                          check=True, stdout=subprocess.PIPE,
                          text=True).stdout


def routed_postfix(postfix_factory, route, addresses, shaping=(),
                   settings=None):
    """A private Postfix whose qmgr asks route, with a transport per
    address (and per address and shaped provider, shaping: -p words of
    pool-transports.sh), from contrib/postfix as written."""
    rewrite = fragment("routing.master.cf", {
        "unix:/run/waypost/route.sock": f"unix:{route.socket}"})
    providers = [word for entry in shaping for word in ("-p", entry)]
    transports = pool_transports(
        *providers, *(f"{address}=out{n}.relay.test"
                      for n, address in enumerate(addresses)))
    settings = dict(settings or {})
    if shaping:
        settings.update(main_cf(pool_transports("-m", *providers,
                                                *addresses)))
    return postfix_factory(
        settings=settings, master_extra=master_cf(rewrite) + transports,
        master_parameters=["qmgr/unix/rewrite_service_name=route-rewrite"])


def send_burst(port, recipients, sender=SENDER):
    """One message per recipient, over one SMTP session."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        for recipient in recipients:
            client.sendmail(sender, [recipient],
                            f"From: {sender}\r\nTo: {recipient}\r\n"
                            f"Subject: routed\r\n\r\nHello.\r\n")


def by_address_and_domain(sink):
    return Counter((delivery.peer[0], delivery.rcpt_tos[0].split("@")[1])
                   for delivery in sink.deliveries)


def redis_day(redis_server):
    seconds, _ = redis_server.client.time()
    return seconds // DAY


def set_day(redis_server, pool, address, provider, day):
    """The address at day of its schedule at provider: its first charge
    that many days ago (the field of route/route_contract.h)."""
    today = redis_day(redis_server)
    field = f"{address} {provider}"
    state = redis_server.client.hget(f"waypost:sources:{{{pool}}}", field)
    sent = int(state.split()[2]) if state and \
        int(state.split()[1]) == today else 0
    redis_server.client.hset(f"waypost:sources:{{{pool}}}", field,
                             f"{today - day} {today} {sent}")


def ctl(route, *arguments):
    """waypostctl --json on waypost-routed's own file: its rows."""
    done = subprocess.run([program("ctl/waypostctl"), "-c",
                           route.daemon.config, "--json", *arguments],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, (done.stdout, done.stderr)
    return [json.loads(line) for line in done.stdout.splitlines()]


def flush(postfix):
    subprocess.run(["postqueue", "-c", postfix.config_directory, "-f"],
                   check=True, timeout=60)


def deferred_count(postfix):
    """Messages in the deferred queue (postqueue -j)."""
    result = subprocess.run(["postqueue", "-c", postfix.config_directory,
                             "-j"], stdout=subprocess.PIPE, text=True,
                            check=True, timeout=60)
    return sum(json.loads(line)["queue_name"] == "deferred"
               for line in result.stdout.splitlines() if line.strip())


def test_a_burst_is_delivered_within_every_budget_and_the_rest_waits(
        postfix_factory, route, redis_server):
    sink = Sink().start()
    try:
        route.start(f'[pool "shared"]\naddresses = {", ".join(POOL)}\n'
                    "tenants = *\n"
                    "schedule = gmail: 5 10 unlimited "
                    "outlook: 3 6 unlimited\n" + providers(sink.port))
        for provider in ("gmail", "outlook"):
            set_day(redis_server, "shared", "127.0.0.3", provider, 1)
        relay = routed_postfix(postfix_factory, route, POOL)
        recipients = [f"user{n}@{'gmail' if n % 2 else 'outlook'}.test"
                      for n in range(100)]
        send_burst(relay.port, recipients)

        # 5 + 10 + 5 at gmail, 3 + 6 + 3 at outlook; every other
        # recipient asked about, answered retry: and deferred.
        sink.wait_for(32, timeout=60)
        wait_until(lambda: len(set(re.findall(
            r"to=<(user\d+@\w+\.test)>.*status=deferred.*no sending "
            r"address has budget", relay.log()))) == 68, timeout=60,
            what="68 recipients deferred by retry:")
        expected = {("127.0.0.2", "gmail.test"): 5,
                    ("127.0.0.3", "gmail.test"): 10,
                    ("127.0.0.4", "gmail.test"): 5,
                    ("127.0.0.2", "outlook.test"): 3,
                    ("127.0.0.3", "outlook.test"): 6,
                    ("127.0.0.4", "outlook.test"): 3}
        assert by_address_and_domain(sink) == expected
        assert "status=bounced" not in relay.log()
        # The HELO name each address's transport says.
        assert re.search(r"wp-127-0-0-3/smtp\[\d+\]: \w+: to=<user\d+@",
                         relay.log())

        # What waypostctl shows is what the server counted.
        rows = {(row["source"], row["provider"]): row
                for row in ctl(route, "source", "show", "shared")}
        for (address, domain), count in expected.items():
            row = rows[(address, domain.split(".")[0])]
            assert (row["sent"], row["cap"], row["remaining"]) == \
                (count, count, 0), row
        assert rows[("127.0.0.3", "gmail")]["day"] == 1
        assert rows[("127.0.0.2", "other")]["started"] is False

        # Budget added: every address on its third day (unlimited), but
        # 127.0.0.2 suspended at gmail: the rest goes out, none of gmail's
        # through it.
        ctl(route, "source", "suspend", "127.0.0.2", "--provider", "gmail")
        for address in POOL:
            for provider in ("gmail", "outlook"):
                set_day(redis_server, "shared", address, provider, 2)
        flush(relay)
        deliveries = sink.wait_for(100, timeout=120)
        assert sorted(d.rcpt_tos[0] for d in deliveries) == \
            sorted(recipients)
        assert len(sink.deliveries) == 100
        counts = by_address_and_domain(sink)
        assert counts[("127.0.0.2", "gmail.test")] == 5
        assert counts[("127.0.0.2", "outlook.test")] > 3
        assert ctl(route, "source", "show", "127.0.0.2", "--provider",
                   "gmail")[0]["suspended"] == "until resumed"
        assert ctl(route, "source", "resume", "127.0.0.2", "--provider",
                   "gmail")[0]["resumed"] is True
    finally:
        sink.stop()


def test_a_retry_after_a_4xx_leaves_through_an_address_with_budget(
        postfix_factory, route):
    server = AnsweringServer({"later": [
        "450 4.2.1 mailbox busy, try again later", "250 2.1.5 Ok"]}).start()
    try:
        route.start('[pool "shared"]\naddresses = 127.0.0.2, 127.0.0.3\n'
                    "tenants = *\nschedule = gmail: 1\n"
                    + providers(server.port))
        # The retry waits for the flush below, not for a backoff a slow
        # moment could let pass before the other message is routed.
        relay = routed_postfix(postfix_factory, route,
                               ("127.0.0.2", "127.0.0.3"),
                               settings={"minimal_backoff_time": "1h",
                                         "maximal_backoff_time": "1h"})
        send_burst(relay.port, ["later@gmail.test"])
        relay.wait_for_log(r"to=<later@gmail\.test>.*status=deferred")
        # Another address resolved meanwhile, so qmgr's one-entry cache
        # (doc/routing.md) no longer holds the first answer.
        send_burst(relay.port, ["other@outlook.test"])
        relay.wait_for_log(r"to=<other@outlook\.test>.*status=sent")
        wait_until(lambda: deferred_count(relay) == 1, 30,
                   "the message in the deferred queue")
        flush(relay)
        relay.wait_for_log(r"to=<later@gmail\.test>.*status=sent")
        clients = [client for address, client, _ in server.tried
                   if address == "later@gmail.test"]
        assert clients == ["127.0.0.2", "127.0.0.3"], server.tried
        assert route.daemon.read_log().count(
            "route later@gmail.test: pool shared") == 2
    finally:
        server.stop()


def test_a_shaped_provider_has_a_transport_per_address_and_its_limits(
        postfix_factory, route):
    sink = Sink().start()
    try:
        route.start('[pool "shared"]\naddresses = 127.0.0.2\ntenants = *\n'
                    "schedule = unlimited\n" + providers(sink.port).replace(
                        'domains = gmail.test\n',
                        'domains = gmail.test\nshaped = yes\n'))
        relay = routed_postfix(postfix_factory, route, ("127.0.0.2",),
                               shaping=("gmail:1:1s",))
        setting = subprocess.run(
            ["postconf", "-c", relay.config_directory, "-h",
             "wp-127-0-0-2-gmail_destination_rate_delay"],
            check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
        assert setting == "1s"
        send_burst(relay.port, ["a@gmail.test", "b@gmail.test",
                                "c@gmail.test", "d@outlook.test"])
        waits = []
        for recipient in ("a", "b", "c"):
            line = relay.wait_for_log(
                rf"postfix/wp-127-0-0-2-gmail/smtp\[\d+\]: \w+: "
                rf"to=<{recipient}@gmail\.test>.*delays=[0-9.]+/([0-9.]+)/"
                r".*status=sent")
            waits.append(float(line.group(1)))
        relay.wait_for_log(r"postfix/wp-127-0-0-2/smtp\[\d+\]: \w+: "
                           r"to=<d@outlook\.test>.*status=sent")
        # One second between gmail's deliveries from the address: the
        # last of three waited in the active queue for two of them
        # (Postfix's delays= b); outlook's is not held back by them.
        assert max(waits) >= 1.5, waits
        assert len(sink.wait_for(4, timeout=60)) == 4
    finally:
        sink.stop()


def test_an_address_verification_probe_spends_no_budget(
        postfix_factory, route, redis_server):
    sink = Sink().start()
    try:
        route.start('[pool "shared"]\naddresses = 127.0.0.2\ntenants = *\n'
                    "schedule = gmail: 5\n" + providers(sink.port))
        relay = routed_postfix(
            postfix_factory, route, ("127.0.0.2",), settings={
                "smtpd_recipient_restrictions":
                    "reject_unverified_recipient, permit_mynetworks"})
        send_burst(relay.port, ["probed@gmail.test"])
        relay.wait_for_log(r"to=<probed@gmail\.test>.*status=deliverable")
        relay.wait_for_log(r"wp-127-0-0-2/smtp\[\d+\]: \w+: "
                           r"to=<probed@gmail\.test>.*status=sent")
        # The probe went by the default transport, unasked; the message
        # by the pool's address, charged once.
        assert route.daemon.read_log().count("route probed@gmail.test") == 1
        row = ctl(route, "source", "show", "127.0.0.2", "--provider",
                  "gmail")[0]
        assert row["sent"] == 1, row
    finally:
        sink.stop()


def test_the_trackers_events_name_the_address_that_carried_the_mail(
        postfix_factory, route, redis_server, workdir):
    sink = Sink().start()
    try:
        route.start('[pool "news"]\naddresses = 127.0.0.2\n'
                    "tenants = news.example\nschedule = unlimited\n"
                    + providers(sink.port))
        relay = routed_postfix(postfix_factory, route, ("127.0.0.2",))
        tracker = start_tracker(program("track/waypost-trackd"), workdir,
                                redis_server.address, relay.maillog)
        try:
            send_burst(relay.port, ["a@gmail.test"], sender="app@news.example")
            send_burst(relay.port, ["b@gmail.test"], sender=SENDER)
            events = {}

            def delivered():
                for _, fields in redis_server.client.xrange("waypost:events"):
                    event = json.loads(fields[b"event"])
                    if event["type"] == "delivered":
                        events[event["recipient"]] = event
                return len(events) == 2
            wait_until(delivered, timeout=60, what="two delivered events")
            assert events["a@gmail.test"]["service"] == "wp-127-0-0-2"
            assert "service" not in events["b@gmail.test"], events
        finally:
            tracker.stop()
    finally:
        sink.stop()


def sent_today(route, address, provider):
    return ctl(route, "source", "show", address, "--provider",
               provider)[0]["sent"]


def test_a_delivery_qmgr_routed_from_its_cache_is_counted_from_its_event(
        postfix_factory, route, redis_server, workdir):
    sink = Sink().start()
    try:
        route.start('[pool "shared"]\naddresses = 127.0.0.2\ntenants = *\n'
                    "schedule = unlimited\n" + providers(sink.port))
        relay = routed_postfix(postfix_factory, route, ("127.0.0.2",))
        tracker = start_tracker(program("track/waypost-trackd"), workdir,
                                redis_server.address, relay.maillog)
        try:
            # Four messages from one sender to one recipient, one after
            # the other: qmgr answers all but the first from its cache.
            send_burst(relay.port, ["same@gmail.test"] * 4)
            assert len(sink.wait_for(4, timeout=60)) == 4
            asked = route.daemon.read_log().count(
                "route same@gmail.test: pool shared")
            assert asked < 4, "qmgr asked every time: nothing to settle"
            # Each delivery's event settles: the unasked are counted.
            wait_until(lambda: sent_today(route, "127.0.0.2", "gmail") == 4,
                       timeout=60, what="four deliveries counted")
            assert route.daemon.read_log().count(
                "counted from its delivery") == 4 - asked
        finally:
            tracker.stop()
    finally:
        sink.stop()


def delivery_event(n, recipient, service, kind="delivered"):
    """An event as waypost-trackd writes it (waypost-events(7))."""
    event = {"id": f"4F3A2{n}.1700000000.1.1", "type": kind,
             "time": "2026-12-03T10:00:00Z", "queue_id": f"4F3A2{n}",
             "message_id": None, "sender": SENDER, "tenant": SENDER,
             "recipient": recipient, "dsn": "2.0.0", "reply": "250 ok",
             "class": None, "seq": 1, "attempts": 1}
    if service:
        event["service"] = service
    return json.dumps(event)


def settled_up(client):
    """The route group has read the whole stream and has nothing pending."""
    last = client.xrevrange("waypost:events", count=1)[0][0]
    group = [g for g in client.xinfo_groups("waypost:events")
             if g["name"] == b"waypost-routed"][0]
    return group["last-delivered-id"] == last and group["pending"] == 0


def test_delivery_events_settle_each_charge_once(route, redis_server):
    client = redis_server.client
    route.start('[pool "shared"]\naddresses = 127.0.0.2\ntenants = *\n'
                "schedule = gmail: 10\n" + providers(2525))
    wait_until(lambda: client.exists("waypost:events") and any(
        g["name"] == b"waypost-routed"
        for g in client.xinfo_groups("waypost:events")), timeout=10,
        what="the settling's consumer group")
    assert socketmap(route.socket, "route a@gmail.test") == [
        "OK wp-127-0-0-2:[127.0.0.1]:2525"]
    assert sent_today(route, "127.0.0.2", "gmail") == 1
    for event in (
            # a's lookup: its charge stands;
            delivery_event(1, "a@gmail.test", "wp-127-0-0-2"),
            # again without a lookup (cache): counted;
            delivery_event(2, "A@Gmail.test", "wp-127-0-0-2"),
            # a deferral, and another transport's delivery: nothing;
            delivery_event(3, "a@gmail.test", "wp-127-0-0-2", "deferred"),
            delivery_event(4, "a@gmail.test", "smtp"),
            # no lookup ever chose the address for b: not counted;
            delivery_event(5, "b@gmail.test", "wp-127-0-0-2"),
            # a bounce reached the provider: counted;
            delivery_event(6, "a@gmail.test", "wp-127-0-0-2", "bounced"),
            "not json"):
        client.xadd("waypost:events", {"event": event})
    wait_until(lambda: settled_up(client), timeout=30, what="all settled")
    assert sent_today(route, "127.0.0.2", "gmail") == 3
    log = route.daemon.read_log()
    assert log.count("counted from its delivery") == 2
    assert "4F3A25: settle b@gmail.test: pool shared: no lookup" in log
    # Every event read again (the group rewound, as after a consumer
    # that died before its XACKs): nothing is counted twice.
    client.xgroup_setid("waypost:events", "waypost-routed", "0")
    wait_until(lambda: settled_up(client), timeout=30, what="read again")
    assert sent_today(route, "127.0.0.2", "gmail") == 3
    assert route.daemon.read_log().count("counted from its delivery") == 2


def test_a_pool_serves_its_tenants_and_the_rest_take_the_shared_pool(
        postfix_factory, route):
    sink = Sink().start()
    try:
        route.start('[pool "vip"]\naddresses = 127.0.0.5\n'
                    "tenants = vip.example, boss@example.com\n"
                    "schedule = unlimited\n"
                    '[pool "shared"]\naddresses = 127.0.0.2\n'
                    "tenants = *\nschedule = unlimited\n"
                    + providers(sink.port))
        relay = routed_postfix(postfix_factory, route,
                               ("127.0.0.2", "127.0.0.5"))
        send_burst(relay.port, ["a@gmail.test"], sender="news@vip.example")
        send_burst(relay.port, ["b@gmail.test"], sender="boss@example.com")
        send_burst(relay.port, ["c@gmail.test"], sender=SENDER)
        send_burst(relay.port, ["d@outlook.test"], sender="")
        deliveries = sink.wait_for(4, timeout=60)
        client_of = {d.rcpt_tos[0]: d.peer[0] for d in deliveries}
        assert client_of == {"a@gmail.test": "127.0.0.5",
                             "b@gmail.test": "127.0.0.5",
                             "c@gmail.test": "127.0.0.2",
                             "d@outlook.test": "127.0.0.2"}
    finally:
        sink.stop()


def socketmap(path, *requests):
    """The replies of waypost-routed to "NAME KEY" requests, in order."""
    replies = []
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(path)
        stream = client.makefile("rb")
        for request in requests:
            client.sendall(b"%d:%s," % (len(request), request.encode()))
            length = b""
            while (byte := stream.read(1)) != b":":
                length += byte
            replies.append(stream.read(int(length)).decode())
            assert stream.read(1) == b","
    return replies


def test_probes_are_not_found_and_a_bad_request_closes(route):
    route.start('[pool "shared"]\naddresses = 127.0.0.2\ntenants = *\n'
                "schedule = 1\n" + providers(2525))
    assert socketmap(route.socket, "route *", "route gmail.test",
                     "route @gmail.test", "route user@", "sender @x.test",
                     "other a@gmail.test") == [
        "NOTFOUND ", "NOTFOUND ", "NOTFOUND ", "NOTFOUND ", "NOTFOUND ",
        'PERM no table "other" (route or sender)']
    assert socketmap(route.socket, "route a@gmail.test",
                     "route b@gmail.test") == [
        "OK wp-127-0-0-2:[127.0.0.1]:2525",
        "OK retry:4.7.0 no sending address has budget left today"]
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(route.socket)
        client.sendall(b"99999:route a@b,")
        assert client.recv(10) == b""
    route.daemon.wait_for_log("closing a socketmap connection: a netstring "
                              "over 1024 bytes")


def test_a_domain_hosted_by_a_provider_is_known_by_its_mx_hosts(route):
    dns = DnsServer({}, mx={
        "company.test": ["aspmx.l.google.test", "alt1.aspmx.l.google.test"],
        "lookalike.test": ["mx.notgoogle.test"],
        "own.test": ["mail.own.test"]}).start()
    try:
        route.start('[pool "shared"]\naddresses = 127.0.0.2\ntenants = *\n'
                    "schedule = gmail: 1 other: unlimited\n"
                    '[provider "gmail"]\ndomains = gmail.test\n'
                    "mx = google.test\nnexthop = [127.0.0.1]:2525\n",
                    f"resolver = {dns.address}\nmx_cache_time = 1h")
        assert socketmap(route.socket, "route a@company.test",
                         "route b@Company.Test", "route c@lookalike.test",
                         "route d@own.test", "route e@nxdomain.test") == [
            "OK wp-127-0-0-2:[127.0.0.1]:2525",
            "OK retry:4.7.0 no sending address has budget left today",
            "OK wp-127-0-0-2:", "OK wp-127-0-0-2:", "OK wp-127-0-0-2:"]
        log = route.daemon.read_log()
        assert "route a@company.test: pool shared, provider gmail" in log
        assert "route c@lookalike.test: pool shared, provider other" in log
    finally:
        dns.stop()
    # The answer is kept: without DNS, company.test is still Google's.
    assert socketmap(route.socket, "route f@company.test") == [
        "OK retry:4.7.0 no sending address has budget left today"]


def test_redis_down_defers_or_takes_the_default_as_configured(
        route, redis_server):
    sections = ('[pool "shared"]\naddresses = 127.0.0.2\ntenants = *\n'
                "schedule = 1\n" + providers(2525))
    route.start(sections)
    redis_server.stop()
    assert socketmap(route.socket, "route a@gmail.test") == [
        "TEMP Redis unavailable"]
    route.stop()
    route.configure(sections, "fail_mode = default", "route2").start()
    assert socketmap(route.socket, "route a@gmail.test") == ["NOTFOUND "]


@pytest.mark.parametrize("sections, message", [
    ('[pool "a"]\naddresses = 127.0.0.2\ntenants = *\nschedule = 1\n'
     '[pool "b"]\naddresses = 127.0.0.3, 127.0.0.2\ntenants = x.test\n'
     "schedule = 1\n",
     r'line 11: \[pool "a"\] and line 15: \[pool "b"\] both have address '
     r"127\.0\.0\.2"),
    ('[pool "a"]\naddresses = 127.0.0.2\ntenants = *\n'
     "schedule = gmail: 5 lots\n",
     r':11: \[pool "a"\] schedule: "lots" is neither a daily cap'),
    ('[pool "a"]\naddresses = 127.0.0.2\ntenants = *\n'
     "schedule = yahoo: 5\n",
     r'line 11: \[pool "a"\]: schedule: no \[provider "yahoo"\]'),
    ('[provider "yahoo"]\nnexthop = [127.0.0.1]:25\n',
     r':11: \[provider "yahoo"\] missing required key "domains"'),
    ('[pool "a"]\naddresses = 127.0.0.2, 10.0.0.300\ntenants = *\n'
     "schedule = 1\n",
     r':11: \[pool "a"\] addresses: "10\.0\.0\.300" is no IP address'),
])
def test_bad_configuration_is_refused_with_its_line(route, sections,
                                                      message):
    daemon = route.configure(sections)
    status, _, errors = daemon.check()
    assert status != 0
    assert re.search(message, errors), errors
