"""Waypost's integration-test harness: real components on loopback.

Every fixture here starts a real program (redis-server, a private Postfix,
an SMTP sink, Waypost's daemons) on 127.0.0.1, on a free port, in its own
temporary directory, and stops it afterwards. Nothing under /etc/postfix or
any system service is touched. The demo (contrib/demo) uses the same code.
"""
