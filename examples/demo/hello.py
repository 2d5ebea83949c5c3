#!/usr/bin/python3
# A socket-activated demo service: it never binds anything itself. It takes its listening
# socket from systemd's socket-activation variables (fd 3, LISTEN_FDS) and answers each
# request with what it can see of its own sandbox.
import os
import signal
import socket
import sys

def sandbox_report():
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    addr = socket.socket(fileno=os.dup(3)).getsockname()
    return ("Hello from a service that never ran as root.\n"
            "  listening on     %s:%d (fd 3, from %s)\n"
            "  pid              %d (LISTEN_PID=%s)\n"
            "  uid/gid          %d/%d\n"
            "  capabilities     CapEff=%s CapBnd=%s\n"
            "  no_new_privs     %s\n"
            "  seccomp          %s (2 = filter)\n"
            % (addr[0], addr[1], os.environ.get("LISTEN_FDNAMES"), os.getpid(),
               os.environ.get("LISTEN_PID"), os.getuid(), os.getgid(), fields["CapEff"],
               fields["CapBnd"], fields["NoNewPrivs"], fields["Seccomp"]))

def main():
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        sys.exit("hello.py: expected one socket-activated fd (LISTEN_FDS=1)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = socket.socket(fileno=3)
    while True:
        conn, _ = srv.accept()
        with conn:
            conn.recv(4096)
            body = sandbox_report().encode()
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

main()
