#!/usr/bin/env python3
"""Writes realistic ~4 KB messages (LF line ends) into a Maildir's new/ for benches/pop3.sh.

Usage: pop3_corpus.py COUNT MAILDIR UID GID [SIZE_BYTES]
With SIZE_BYTES, writes COUNT messages of about that size instead (for the 200 MB RSS run).
"""
import os
import random
import sys
import time

WORDS = ("the mail server delivered your message to bob after checking the sender policy "
         "framework record and the dkim signature of the domain while the queue was busy "
         "with retries for a remote host that refused connections during maintenance").split()


def body_lines(rng, size):
    out, total = [], 0
    while total < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 13)))
        if rng.random() < 0.03:
            line = "." + line  # needs dot-stuffing on the wire
        if rng.random() < 0.02:
            line = "From " + line  # needs mboxrd quoting
        out.append(line)
        total += len(line) + 1
    return "\n".join(out) + "\n"


def message(rng, i, size):
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(1_790_000_000 + i * 60))
    head = (
        f"Return-Path: <alice@hamburger.test>\n"
        f"Received: from mx1.hamburger.test (mx1.hamburger.test [127.25.0.1])\n"
        f"\tby pop.hamburger.test (Postfix) with ESMTPS id {i:08X}\n"
        f"\tfor <bob@hamburger.test>; {date}\n"
        f"From: Alice Example <alice@hamburger.test>\n"
        f"To: Bob <bob@hamburger.test>\n"
        f"Subject: Report number {i}: queue status and delivery notes\n"
        f"Date: {date}\n"
        f"Message-ID: <{i}.{rng.getrandbits(32):08x}@hamburger.test>\n"
        f"MIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset=utf-8\n"
        f"Content-Transfer-Encoding: 8bit\n\n"
    )
    return (head + body_lines(rng, max(size - len(head), 100))).encode()


def main():
    count, maildir, uid, gid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    size = int(sys.argv[5]) if len(sys.argv) > 5 else None
    rng = random.Random(1939)
    stamp = int(time.time())
    for i in range(count):
        name = f"{stamp}.M{i}P{os.getpid()}.bench"
        tmp = os.path.join(maildir, "tmp", name)
        with open(tmp, "wb") as f:
            if size is None:
                f.write(message(rng, i, rng.randint(3500, 4600)))
            else:
                f.write(message(rng, i, 4000)[:2000])
                chunk = body_lines(rng, 1 << 20).encode()
                written = 0
                while written < size:
                    f.write(chunk)
                    written += len(chunk)
        os.chmod(tmp, 0o644)
        os.chown(tmp, uid, gid)
        os.rename(tmp, os.path.join(maildir, "new", name))


if __name__ == "__main__":
    main()
