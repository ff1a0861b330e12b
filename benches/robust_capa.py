#!/usr/bin/env python3
"""A hostile POP3 server for benches/robust.sh: greets, then answers CAPA with LINES lines of
8,000 bytes (50,000 by default: 400 MB), once per connection. Prints its port on stdout."""
import socket
import sys
import threading

LINES = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000


def serve(conn):
    with conn:
        try:
            conn.sendall(b"+OK hostile\r\n")
            conn.recv(64)
            conn.sendall(b"+OK here they come\r\n")
            line = b"A" * 8000 + b"\r\n"
            for _ in range(LINES):
                conn.sendall(line)
            conn.sendall(b".\r\n")
        except OSError:
            pass


listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
print(listener.getsockname()[1], flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
