#!/usr/bin/python3
"""make bench: waypost-dkim against OpenDKIM, side by side, on this machine.

Both filters get the same key and the same load from waypost-milter-load:
8 concurrent connections over unix sockets, one message per connection as
Postfix sends them. Scenarios: RSA-2048 with a 2 KB message, Ed25519 with
a 2 KB message, RSA-2048 with a 1 MB body. Each runs ROUNDS times,
alternating the two filters, and the medians and their ratio are printed.

Then the share of the ceiling: OpenSSL's RSA-2048 sign/s on the same
cores (`openssl speed -multi N`), measured for a second just before and
just after each of CEILING_ROUNDS short RSA 2 KB runs of waypost-dkim. This
machine is shared and its hypervisor takes 15 to 40% of the CPU at times
(vmstat's "st"), so its speed changes from one second to the next: each
run is compared with the ceiling of the same moment, and the median of
those shares is printed. Last, the peak RSS of waypost-dkim after 64
connections carrying 1 MB messages.

OpenDKIM is configured as in the team's ANCHORS.md (one key, Mode s).
Its files live under /run: OpenDKIM refuses a configuration under a
world-writable directory such as /tmp. Needs root and Debian's opendkim.
"""
import argparse
import os
import shutil
import statistics
import sys

from bench_common import (Filter, alternate, load, medians, run,
                          start_opendkim, stop_all, work_directory, write)

TARGETS = {"rsa": 2.5, "ed25519": 4.0, "rsa-1mb": 2.0}
CEILING_SHARE = 0.70
CEILING_ROUNDS = 7
RSS_LIMIT_KB = 64 * 1024


def sign_load(tool, socket_path, messages, connections, size):
    """msgs/s; every message must come back with a signature added."""
    return load(tool, socket_path, messages, connections, size=size,
                least_added=messages)


def openssl_ceiling(seconds=1):
    result = run(["openssl", "speed", "-multi", str(os.cpu_count()),
                  "-seconds", str(seconds), "rsa2048"], timeout=120)
    line = [l for l in result.stdout.splitlines() if l.startswith("rsa 2048")]
    return float(line[-1].split()[-2]) if line else 0.0


def ceiling_share(tool, socket_path):
    """Median of (waypost-dkim RSA 2 KB msgs/s) / (the ceiling around it)."""
    shares, rates, ceilings = [], [], []
    for _ in range(CEILING_ROUNDS):
        before = openssl_ceiling()
        rate = sign_load(tool, socket_path, 2000, 8, 2048)
        after = openssl_ceiling()
        ceiling = (before + after) / 2
        rates.append(rate)
        ceilings.append(ceiling)
        shares.append(rate / ceiling if ceiling else 0.0)
    return statistics.median(shares), shares, rates, ceilings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", required=True, help="top build directory")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if os.geteuid() != 0 or not shutil.which("opendkim"):
        sys.exit("bench_dkim: run as root with Debian's opendkim installed")
    dkim = os.path.join(options.build, "milters/dkim/waypost-dkim")
    tool = os.path.join(options.build, "milters/client/waypost-milter-load")
    work = work_directory()
    filters = []
    try:
        keys = {"rsa": os.path.join(work, "rsa.pem"),
                "ed25519": os.path.join(work, "ed25519.pem")}
        run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
             "rsa_keygen_bits:2048", "-out", keys["rsa"]], check=True)
        run(["openssl", "genpkey", "-algorithm", "ED25519", "-out",
             keys["ed25519"]], check=True)
        for path in keys.values():
            os.chmod(path, 0o600)
        sockets = {}
        for algorithm, selector in (("rsa", "s1"), ("ed25519", "e1")):
            opendkim = start_opendkim(work, f"odk-{algorithm}",
                                      keys[algorithm], selector, algorithm)
            filters.append(opendkim)
            wp_sock = os.path.join(work, f"wp-{algorithm}.sock")
            write(os.path.join(work, f"KeyTable-{algorithm}"),
                  f"k example.com:{selector}:{keys[algorithm]}\n")
            write(os.path.join(work, f"SigningTable-{algorithm}"),
                  "*@example.com k\n")
            write(os.path.join(work, f"wp-{algorithm}.conf"),
                  f"[log]\nlevel = warning\n[dkim]\nsocket = unix:{wp_sock}\n"
                  f"user = root\n"
                  f"key_table = {work}/KeyTable-{algorithm}\n"
                  f"signing_table = refile:{work}/SigningTable-{algorithm}\n")
            filters.append(Filter(f"waypost-dkim {algorithm}",
                                  [dkim, "-f", "-c",
                                   os.path.join(work, f"wp-{algorithm}.conf")],
                                  wp_sock,
                                  os.path.join(work, f"wp-{algorithm}.log")))
            sockets[algorithm] = (opendkim.socket, wp_sock)

        scenarios = [("rsa", "RSA-2048, 2 KB message", "rsa", 2048, 3000),
                     ("ed25519", "Ed25519, 2 KB message", "ed25519", 2048,
                      6000),
                     ("rsa-1mb", "RSA-2048, 1 MB body", "rsa", 1 << 20, 200)]
        print(f"waypost-dkim against OpenDKIM, 8 connections, one message "
              f"per connection, {options.rounds} rounds, medians (msgs/s)\n")
        print(f"{'scenario':26} {'OpenDKIM':>10} {'waypost-dkim':>13} "
              f"{'ratio':>7} {'target':>7}")
        results = {}
        for key, title, algorithm, size, messages in scenarios:
            odk, ours = alternate(
                options.rounds,
                lambda: sign_load(tool, sockets[algorithm][0], messages, 8,
                                  size),
                lambda: sign_load(tool, sockets[algorithm][1], messages, 8,
                                  size))
            theirs_median, ours_median, ratio = medians(odk, ours)
            results[key] = ours_median
            print(f"{title:26} {theirs_median:10.0f} {ours_median:13.0f} "
                  f"{ratio:6.2f}x {TARGETS[key]:5.1f}x "
                  f"{'met' if ratio >= TARGETS[key] else 'MISSED'}")
            print(f"{'':26} runs: OpenDKIM {[round(x) for x in odk]}, "
                  f"waypost-dkim {[round(x) for x in ours]}")

        share, shares, rates, ceilings = ceiling_share(tool,
                                                       sockets["rsa"][1])
        print(f"\nOpenSSL ceiling: openssl speed -multi {os.cpu_count()} "
              f"rsa2048 for 1 s before and after each of {CEILING_ROUNDS} "
              f"RSA 2 KB runs of waypost-dkim:\n"
              f"{'':26} ceiling {[round(x) for x in ceilings]} sign/s\n"
              f"{'':26} waypost-dkim {[round(x) for x in rates]} msgs/s\n"
              f"{'':26} shares {[f'{x:.0%}' for x in shares]}\n"
              f"waypost-dkim RSA 2 KB is {share:.0%} of the ceiling "
              f"(median share; target {CEILING_SHARE:.0%}: "
              f"{'met' if share >= CEILING_SHARE else 'MISSED'})")

        peak_filter = filters[1]  # waypost-dkim rsa
        sign_load(tool, peak_filter.socket, 256, 64, 1 << 20)
        rss = peak_filter.peak_rss_kb()
        print(f"peak RSS of waypost-dkim after 64 connections of 1 MB "
              f"messages: {rss / 1024:.1f} MB (limit "
              f"{RSS_LIMIT_KB // 1024} MB: "
              f"{'met' if rss <= RSS_LIMIT_KB else 'MISSED'}); OpenDKIM "
              f"{filters[0].peak_rss_kb() / 1024:.1f} MB after its runs")
    finally:
        stop_all(filters)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
