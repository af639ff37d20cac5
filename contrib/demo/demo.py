#!/usr/bin/python3
"""The Waypost demo: a whole relay on loopback, real mail, a short report.

Starts a private redis-server, an SMTP sink standing in for the next hop,
and a private Postfix instance relaying to it (its own directories under
/tmp, loopback ports only), then sends mail with swaks and shows what
arrived. Each Waypost daemon adds its story here as it lands. Everything
is stopped at the end unless --keep is given; the demo can be re-run.

Run it through contrib/demo/demo.sh, which installs and builds first.
"""
import argparse
import os
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))

from harness.postfix import PrivatePostfix  # noqa: E402
from harness.redis_server import RedisServer  # noqa: E402
from harness.sink import Sink  # noqa: E402
from harness.smtp_clients import accepted, swaks  # noqa: E402


def title(text):
    print(f"\n== {text}")


def show(block, prefix="   | "):
    for line in block.decode("utf-8", "replace").rstrip("\r\n").split("\r\n"):
        print(prefix + line)


def story_relay(postfix, sink):
    """An internal application hands a message to the relay."""
    title("An internal application sends a message through the relay")
    token = uuid.uuid4().hex[:12]
    message = (b"From: Billing App <billing@app.example.com>\r\n"
               b"To: Customer <customer@example.net>\r\n"
               b"Subject: Your invoice " + token.encode() + b"\r\n"
               b"Date: " + time.strftime(
                   "%a, %d %b %Y %H:%M:%S +0000", time.gmtime()).encode()
               + b"\r\n"
               b"Message-ID: <" + token.encode() + b"@app.example.com>\r\n"
               b"\r\n"
               b"Dear customer,\r\n\r\nyour invoice is attached.\r\n")
    print(f"   swaks -> Postfix smtpd on 127.0.0.1:{postfix.port}")
    result = swaks(postfix.port, sender="billing@app.example.com",
                   to="customer@example.net", data=message)
    if not accepted(result):
        show(result.stdout, "   ! ")
        return False
    delivery = sink.find(token.encode(), timeout=30)
    print(f"   arrived at the next hop (sink on 127.0.0.1:{sink.port}), "
          f"from <{delivery.mail_from}> to {delivery.rcpt_tos}:")
    show(delivery.content)
    same = delivery.body == message.split(b"\r\n\r\n", 1)[1]
    print(f"   body byte-identical to what was sent: {'yes' if same else 'NO'}")
    queue_id = postfix.wait_for_log(r"postfix/smtpd\[\d+\]: ([0-9A-F]+): "
                                    r"client=").group(1)
    postfix.wait_for_log(queue_id + ": removed")
    print(f"   Postfix's log for queue ID {queue_id}:")
    for line in postfix.log().splitlines():
        if queue_id in line:
            print("   " + line)
    return same


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true",
                        help="leave everything running until Ctrl-C")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("demo.py: run as root (it starts a private Postfix)")

    started = []
    ok = False
    try:
        title("Starting the components on loopback")
        redis = RedisServer().start()
        started.append(redis)
        print(f"   redis-server on 127.0.0.1:{redis.port}: "
              f"PING -> {'PONG' if redis.client.ping() else '?'}")
        sink = Sink().start()
        started.append(sink)
        print(f"   SMTP sink (the next hop) on 127.0.0.1:{sink.port}")
        postfix = PrivatePostfix(sink.port)
        started.append(postfix)
        postfix.start()
        version = subprocess.run(
            ["postconf", "-c", postfix.config_directory, "-h",
             "mail_version"], stdout=subprocess.PIPE, text=True).stdout
        print(f"   Postfix {version.strip()} on 127.0.0.1:{postfix.port}, "
              f"files in {postfix.directory}")

        ok = story_relay(postfix, sink)

        if options.keep:
            title("Running; press Ctrl-C to stop")
            print(f"   try: swaks --server 127.0.0.1:{postfix.port} "
                  f"--to someone@example.net")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        title("Stopping everything")
        for component in reversed(started):
            component.stop()
    print("\nDemo " + ("succeeded." if ok else "FAILED."))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
