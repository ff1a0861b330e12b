#!/usr/bin/env python3
"""Builds the parse benchmark's inputs from the SpamAssassin ham messages shipped by the Debian
package golang-github-gatherstars-com-jwz-dev: an mboxrd file of COUNT messages (the ham set
repeated) and a Maildir with the same messages, one file each, for mblaze.

usage: parse_mkmbox.py HAM_DIR COUNT OUT_MBOX OUT_MAILDIR
"""
import os
import re
import sys

ham_dir, count, out_mbox, out_maildir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
names = sorted(n for n in os.listdir(ham_dir) if not n.startswith("."))
messages = []
for name in names:
    with open(os.path.join(ham_dir, name), "rb") as f:
        raw = f.read()
    # The ham files start with their own mbox "From " line; keep it as the separator.
    if raw.startswith(b"From "):
        sep, _, raw = raw.partition(b"\n")
    else:
        sep = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970"
    messages.append((sep, raw))
if not messages:
    sys.exit(f"no messages in {ham_dir}")

quote = re.compile(rb"^(>*From )", re.M)
os.makedirs(os.path.join(out_maildir, "cur"), exist_ok=True)
os.makedirs(os.path.join(out_maildir, "new"), exist_ok=True)
os.makedirs(os.path.join(out_maildir, "tmp"), exist_ok=True)
with open(out_mbox, "wb") as mbox:
    for i in range(count):
        sep, raw = messages[i % len(messages)]
        if not raw.endswith(b"\n"):
            raw += b"\n"
        mbox.write(sep + b"\n" + quote.sub(rb">\1", raw) + b"\n")
        with open(os.path.join(out_maildir, "cur", f"{1000000000 + i}.{i}.bench:2,S"), "wb") as f:
            f.write(raw)
