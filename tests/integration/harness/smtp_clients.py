"""Real SMTP clients: swaks for single messages, smtp-source for load."""
import subprocess


def swaks(port, *, sender="app@example.com", to="user@example.net",
          data=None, extra=(), timeout=60, server="127.0.0.1"):
    """Send one message with swaks; data is the whole DATA as bytes.

    swaks appends CRLF "." to what it is given, which would add an empty
    line to a message ending in CRLF; given a closing dot, it removes it
    first. So the data is sent with one, and arrives exactly as given.
    (swaks also expands %TOKENS% and literal backslash-n in the data.)
    """
    command = ["swaks", "--server", f"{server}:{port}", "--from", sender,
               "--to", to, "--timeout", "30", *extra]
    stdin = None
    if data is not None:
        if not data.endswith(b"\n"):
            data += b"\r\n"
        command += ["--data", "-"]
        stdin = data + b".\r\n"
    return subprocess.run(command, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout)


def accepted(result):
    """Did the server take the message (a 250 after DATA)? swaks writes
    "<-" for a reply in clear, "<~" for one over TLS."""
    output = result.stdout.decode("utf-8", "replace")
    last = output.split("~> .")[-1]
    return result.returncode == 0 and ("<-  250" in last or "<~  250" in last)


def smtp_source(port, *, timeout=600, **options):
    """smtp-source: messages over parallel sessions (Postfix's load tool).
    options: sessions, messages, size, sender, to."""
    return subprocess.run(smtp_source_command(port, **options),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout)


def smtp_source_started(port, **options):
    """smtp-source as smtp_source() runs it, but in the background: the
    Popen, its output in its stdout pipe."""
    return subprocess.Popen(smtp_source_command(port, **options),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def smtp_source_command(port, *, sessions=1, messages=1, size=1024,
                        sender="load@example.com", to="sink@example.net",
                        recipients=1, refusals=False):
    """recipients: per message; smtp-source then numbers them: 1to,
    2to... refusals: a message the server refuses is expected, and
    smtp-source goes on to the next (-A) instead of giving up."""
    return ["smtp-source", "-s", str(sessions), "-m", str(messages),
            "-l", str(size), "-f", sender, "-t", to, "-r", str(recipients),
            *(["-A"] if refusals else []), f"127.0.0.1:{port}"]
