# ExaBGP API bridge for the lab (run by ExaBGP as a `process`): every line
# ExaBGP writes to us (JSON events) is appended to a log file; every line a
# client writes to our UNIX socket is forwarded to ExaBGP as an API command.
import os
import socket
import sys
import threading

sock_path, events_path = sys.argv[1], sys.argv[2]


def pump_events():
    with open(events_path, "a", buffering=1) as out:
        for line in sys.stdin:
            out.write(line)
    os._exit(0)  # ExaBGP went away


threading.Thread(target=pump_events, daemon=True).start()

server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sock_path)
server.listen(4)
while True:
    conn, _ = server.accept()
    with conn, conn.makefile("r") as f:
        for cmd in f:
            sys.stdout.write(cmd.strip() + "\n")
            sys.stdout.flush()
            conn.sendall(b"ok\n")
