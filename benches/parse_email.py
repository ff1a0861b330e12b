#!/usr/bin/env python3
"""The Python side of the parse benchmark: parse every message of an mbox with the standard
library's email package (policy.default, as modern code uses it), decoding every header and
touching every MIME part, like `mailkit parse --json` does.

usage: parse_email.py MBOX
"""
import mailbox
import sys
from email import policy
from email.parser import BytesParser

parser = BytesParser(policy=policy.default)
box = mailbox.mbox(sys.argv[1], create=False)
messages = parts = 0
for key in box.iterkeys():
    msg = parser.parsebytes(box.get_bytes(key))
    messages += 1
    for name, value in msg.items():
        str(value)
    for part in msg.walk():
        parts += 1
        part.get_content_type()
        part.get_filename()
        if not part.is_multipart():
            part.get_payload(decode=True)
print(f"{messages} messages, {parts} parts")
