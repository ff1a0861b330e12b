#!/bin/sh
# Writes a message with a MIB-MiB base64 attachment (pseudo-random bytes, 76-column lines, CRLF)
# to FILE, after a short text part: the input of benches/robust.sh and of tests/robust.rs.
# usage: benches/robust_mkmsg.sh MIB FILE
set -eu
mib=$1 file=$2
{
    printf 'From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: big\r\n'
    printf 'Date: Sun, 06 Dec 2026 02:00:00 +0000\r\nMessage-ID: <big@example.test>\r\n'
    printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
    printf -- '--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n'
    printf -- '--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n'
    printf 'Content-Disposition: attachment; filename="big.bin"\r\n\r\n'
    head -c "${mib}M" /dev/urandom | base64 -w 76 | sed 's/$/\r/'
    printf -- '--b1--\r\n'
} >"$file"
