#!/usr/bin/python3
"""make bench: waypost-headers against a milter that only accepts.

The floor is waypost-noop-milter (noop_milter.c): Debian's libmilter, the
same protocol steps as waypost-headers, no work at all. Both get the same
load from waypost-milter-load: 8 concurrent connections over unix sockets,
one message per connection as Postfix sends them, from an authenticated
client, so the rules for trusted clients (rule 7) run too. Scenarios: the
2 KB message of bench_dkim.py (7 headers) and a message with 200 headers
as mail that crossed a mailing list and Microsoft 365 looks: Received
chains, DKIM and ARC sets, X-MS-Exchange-* and X-* by the dozen, and six
that rules 7 and 8 remove (a private-hop Received, X-Mailer,
X-Originating-IP, X-Spam-Status, X-Spam-Score, an Authentication-Results
claiming this relay). Each runs --rounds times, alternating the two
milters, and the medians and their ratio are printed. waypost-headers logs
at level warning, as waypost-dkim does in bench_dkim.py.

Target (issue 4): at least 80% of the floor's throughput.
"""
import argparse
import functools
import os
import shutil
import sys

from bench_common import (Filter, alternate, load, medians, stop_all,
                          work_directory, write)

TARGET = 0.80
USER = "user@example.com"
AUTHSERV_ID = "relay.example"
HEADER_COUNT = 200


# Names of the filler: what Microsoft 365, Google, Proofpoint, mailing list
# managers and bulk senders add, each once, as on real mail.
EXCHANGE = """Network-Message-Id CrossTenant-Id CrossTenant-OriginalArrivalTime
CrossTenant-FromEntityHeader CrossTenant-AuthAs CrossTenant-AuthSource
CrossTenant-MailboxType CrossTenant-UserPrincipalName
CrossTenant-Network-Message-Id Transport-CrossTenantHeadersStamped
Organization-SCL Organization-AuthAs Organization-AuthSource
Organization-AuthMechanism Organization-Network-Message-Id
Organization-MessageDirectionality Organization-ExpirationStartTime
Organization-ExpirationInterval Processed-By-BccFoldering
Transport-EndToEndLatency AntiSpam-MessageData-ChunkCount
AntiSpam-MessageData-0 AntiSpam-MessageData-Original-ChunkCount
AntiSpam-MessageData-Original-0 SenderADCheck MessageSentRepresentingType
Inbox-Rules-Loop AtpMessageProperties Authentication-Results-Original
RoutingPolicyChecked ExternalOriginalInternetSender
Transport-CrossTenantHeadersStripped UserPrincipalName Transport-Forked
SkipListedInternetSender Organization-HygienePolicy
Organization-Recipient-Limit-Verified Organization-PRD
Organization-SenderIdResult Organization-Id Organization-PCL
Organization-MessageLatency Organization-OriginalClientIPAddress
Organization-OriginalServerIPAddress Organization-Cross-Premises-Headers
Organization-FFO-ServiceTag Organization-Antispam-Report
Organization-AVStamp-Enterprise Organization-AuthDomain
Organization-LookupId Organization-RecordReviewCfmType
ForwardingLoop Transport-EndToEndLatencySummary""".split()
OTHERS = """X-Microsoft-Antispam X-Microsoft-Antispam-Message-Info
X-Forefront-Antispam-Report X-MS-Office365-Filtering-Correlation-Id
X-MS-TrafficTypeDiagnostic X-MS-PublicTrafficType X-Gm-Message-State
X-Google-Smtp-Source X-Google-DKIM-Signature X-Proofpoint-Virus-Version
X-Proofpoint-Spam-Details X-Proofpoint-ORIG-GUID X-Proofpoint-GUID
X-Virus-Scanned X-Campaign-Id X-Mailgun-Variables X-Mailgun-Tag
X-SES-Outgoing X-Entity-ID X-Report-Abuse X-CSA-Complaints
X-Mailman-Version X-Mailman-Rule-Misses X-BeenThere X-Loop X-Original-To
X-Delivered-To X-Sender X-Priority X-MSMail-Priority
X-Forwarded-Message-Id X-Source-IP X-Source-Sender X-Env-Sender
X-Recommended-Action X-Sieve X-CMAE-Envelope X-Message-Flag
X-OriginatorOrg X-AuditID X-Original-Sender X-Original-DKIM-Signature
X-Original-Authentication-Results X-Google-Group-Id X-Google-Original-From
X-Spam-Checked-In-Group X-Mailman-Approved-At X-Mailman-Copy
X-Content-Filtered-By X-Topics X-Mimecast-Spam-Score
X-Mimecast-MFC-AGG-ID X-Mimecast-Originator X-Barracuda-Connect
X-Barracuda-Start-Time X-Barracuda-URL X-Barracuda-Scan-Msg-Size
X-ASG-Orig-Subj X-Brightmail-Tracker X-CFilter-Loop X-EOPAttributedMessage
X-EOPTenantAttributedMessage X-IncomingHeaderCount
X-IncomingTopHeaderMarker X-LD-Processed""".split()


def received(hop, private=False):
    host = f"mx{hop % 7 + 1}.hop{hop}.example.net"
    address = f"10.20.{hop}.5" if private else f"192.0.2.{hop + 10}"
    return (f"from {host} ({host} [{address}])\r\n"
            f"\tby relay{hop}.example.org (Postfix) with ESMTPS id "
            f"4Q{hop:02d}Zx7kLmN{hop % 10}\r\n"
            f"\tfor <list@lists.example.org>; Mon, 6 Jan 2025 "
            f"09:{59 - hop:02d}:{hop:02d} +0000 (UTC)")


def signature(tags, domain, index):
    """A DKIM-Signature or ARC value: tags, then a folded b= of 300."""
    text = "".join(chr(ord("A") + (index * 7 + i) % 26) for i in range(300))
    lines = [text[i:i + 72] for i in range(0, len(text), 72)]
    return (f"{tags}; d={domain}; s=s{index};\r\n"
            f"\tc=relaxed/relaxed; t=173615{index:04d};\r\n"
            f"\th=from:to:subject:date:message-id:mime-version;\r\n"
            f"\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
            f"\tb=" + "\r\n\t  ".join(lines))


def trace_headers():
    """Received chain (the oldest hop private), DKIM, ARC, results."""
    headers = [("Received", received(hop, private=hop == 29))
               for hop in range(30)]
    headers += [("X-Received", f"by 2002:a05:6a{i:02d}:1b8e with SMTP id "
                 f"m14mr{i}1234567pfh.38.1736157540{i};\r\n"
                 f"\tMon, 06 Jan 2025 01:59:0{i} -0800 (PST)")
                for i in range(8)]
    for server, domain in (("mx.microsoft.com", "lists.example.org"),
                           ("mx.google.com", "example.com"),
                           ("spf.example.net", "example.com")):
        headers.append(("Authentication-Results",
                        f"{server};\r\n\tdkim=pass header.d={domain};\r\n"
                        f"\tspf=pass smtp.mailfrom={domain};\r\n"
                        f"\tdmarc=pass action=none header.from={domain}"))
    headers.append(("Authentication-Results",
                    f"{AUTHSERV_ID}; dkim=pass header.d=example.com"))
    for i in range(1, 4):
        seal = f"i={i}; a=rsa-sha256; cv={'none' if i == 1 else 'pass'}"
        headers += [
            ("ARC-Seal", signature(seal, "lists.example.org", i)),
            ("ARC-Message-Signature",
             signature(f"i={i}; a=rsa-sha256", "lists.example.org", i + 10)),
            ("ARC-Authentication-Results",
             f"i={i}; mx.microsoft.com 1; spf=pass\r\n"
             f"\tsmtp.mailfrom=example.com; dkim=pass")]
    for i, domain in enumerate(("example.com", "lists.example.org",
                                "esp.example.net")):
        headers.append(("DKIM-Signature",
                        signature("v=1; a=rsa-sha256", domain, i)))
    headers += [("Received-SPF", f"Pass (protection.outlook.com: domain of "
                 f"example.com designates 192.0.2.{i} as permitted sender)"
                 f"\r\n\treceiver=protection.outlook.com; "
                 f"client-ip=192.0.2.{i};") for i in (1, 2)]
    return headers


def message_headers():
    """What the author's program and the list wrote, a few that rules 7
    and 8 remove (X-Mailer, X-Originating-IP, X-Spam-*)."""
    references = "\r\n\t".join(f"<ref{i}.{i * 7919}@mail.example.com>"
                                 for i in range(8))
    return [
        ("From", "=?UTF-8?Q?Andr=C3=A9_Sender?= <sender@example.com>"),
        ("To", "Recipient <recipient@example.net>, Other One "
               "<other@example.net>,\r\n\tlist@lists.example.org"),
        ("Cc", "Third Person <third@example.org>"),
        ("Subject", "Re: [example-list] =?UTF-8?Q?Quarterly_r=C3=A9view?= "
                    "and the agenda for the next meeting"),
        ("Date", "Mon, 6 Jan 2025 09:29:58 +0000"),
        ("Message-ID", "<DB9PR02MB7234A1B2C3D4E5F6@DB9PR02MB7234.eurprd02"
                       ".prod.outlook.com>"),
        ("In-Reply-To", "<CAF3xY9kQ2w@mail.example.com>"),
        ("References", references),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=\"utf-8\""),
        ("Content-Transfer-Encoding", "quoted-printable"),
        ("Thread-Topic", "Quarterly review"),
        ("Thread-Index", "AQHbYDxk3Q0yKx8Z3UeX0vJ5n1g7Ag=="),
        ("Accept-Language", "en-US"),
        ("Content-Language", "en-US"),
        ("List-Id", "Example discussion <example-list.lists.example.org>"),
        ("List-Unsubscribe", "<mailto:example-list-leave@lists.example.org>"
                             ",\r\n\t<https://lists.example.org/u/example>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("List-Archive", "<https://lists.example.org/archive/example>"),
        ("List-Post", "<mailto:example-list@lists.example.org>"),
        ("List-Help", "<mailto:example-list-request@lists.example.org>"),
        ("List-Subscribe", "<mailto:example-list-join@lists.example.org>"),
        ("Precedence", "list"),
        ("Feedback-ID", "123456:example-list:lists.example.org"),
        ("X-Mailer", "Microsoft Outlook 16.0"),
        ("X-Originating-IP", "[198.51.100.23]"),
        ("X-Spam-Status", "No, score=-2.1 required=5.0"),
        ("X-Spam-Score", "-2.1"),
        ("X-Auto-Response-Suppress", "All"),
        ("X-MS-Has-Attach", ""),
        ("X-MS-TNEF-Correlator", ""),
    ]


def many_headers_message():
    """HEADER_COUNT headers, then a 2 KB plain text body; CRLF ends."""
    headers = trace_headers() + message_headers()
    for i, name in enumerate(EXCHANGE):
        headers.append((f"X-MS-Exchange-{name}",
                        f"{i * 2654435761 % 10**10:010d}-{i:04x}-4c2e-9f1a-"
                        f"08dd2e5b{i:04x}"))
    for i, name in enumerate(OTHERS[:HEADER_COUNT - len(headers)]):
        headers.append((name, " ".join(f"{name[2:6].upper()}:"
                                       f"{(i + 1) * (j + 3) % 1000};"
                                       for j in range(4 + i % 9))))
    assert len(headers) == HEADER_COUNT, len(headers)
    body = "".join(f"Line {i} of the message body, plain text as people "
                   f"write it.\r\n" for i in range(40))[:2046] + "\r\n"
    return ("".join(f"{name}: {value}\r\n" for name, value in headers) +
            "\r\n" + body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", required=True, help="top build directory")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_headers: run as root")
    headers = os.path.join(options.build, "milters/headers/waypost-headers")
    noop = os.path.join(options.build, "tests/bench/waypost-noop-milter")
    tool = os.path.join(options.build, "milters/client/waypost-milter-load")
    if not os.access(noop, os.X_OK):
        sys.exit(f"bench_headers: {noop} not built: make "
                 f"tests/bench/waypost-noop-milter")
    work = work_directory()
    filters = []
    try:
        big = os.path.join(work, "200-headers.eml")
        write(big, many_headers_message())
        noop_sock = os.path.join(work, "noop.sock")
        filters.append(Filter("waypost-noop-milter",
                              [noop, f"unix:{noop_sock}"], noop_sock,
                              os.path.join(work, "noop.log")))
        ours_sock = os.path.join(work, "headers.sock")
        config = os.path.join(work, "headers.conf")
        write(config, f"[log]\nlevel = warning\n"
                      f"[headers]\nsocket = unix:{ours_sock}\nuser = root\n"
                      f"message_id_domain = {AUTHSERV_ID}\n"
                      f"authserv_id = {AUTHSERV_ID}\n")
        filters.append(Filter("waypost-headers", [headers, "-f", "-c", config],
                              ours_sock, os.path.join(work, "headers.log")))

        scenarios = [("2 KB message, 7 headers", {"size": 2048}, 20000),
                     (f"{HEADER_COUNT} headers, 2 KB body",
                      {"message_file": big}, 5000)]
        print(f"waypost-headers against waypost-noop-milter (libmilter, "
              f"accepts all), 8 connections,\none message per connection, "
              f"authenticated client, {options.rounds} rounds, medians "
              f"(msgs/s)\n")
        print(f"{'scenario':28} {'floor':>8} {'waypost-headers':>16} "
              f"{'ratio':>7} {'target':>7}")
        for title, message, messages in scenarios:
            drive = functools.partial(load, tool, messages=messages,
                                      connections=8, user=USER,
                                      must_pass=True, **message)
            floor, ours = alternate(options.rounds,
                                    lambda: drive(noop_sock),
                                    lambda: drive(ours_sock))
            floor_median, ours_median, ratio = medians(floor, ours)
            print(f"{title:28} {floor_median:8.0f} {ours_median:16.0f} "
                  f"{ratio:6.0%} {TARGET:7.0%} "
                  f"{'met' if ratio >= TARGET else 'MISSED'}")
            print(f"{'':28} runs: floor {[round(x) for x in floor]}, "
                  f"waypost-headers {[round(x) for x in ours]}")
    finally:
        stop_all(filters)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
