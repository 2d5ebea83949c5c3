#!/usr/bin/python3
# Launch probe: run under `fdbroker run`, report what the worker sees as one JSON object on
# stdout, then (with --serve) answer one client on fd 3. Written against the systemd
# socket-activation contract only: nothing here knows about fdbroker's internals.
import json
import os
import socket
import stat
import sys

def status_fields():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
                     "NoNewPrivs", "Seccomp"):
                out[k] = v.split()
    return out

def open_fds():
    # listdir's own directory fd shows up in the listing; it is closed by now
    out = []
    for x in os.listdir("/proc/self/fd"):
        try:
            os.fstat(int(x))
            out.append(int(x))
        except OSError:
            pass
    return sorted(out)

def describe_fd(fd):
    d = {"fd": fd}
    try:
        st = os.fstat(fd)
    except OSError as e:
        d["error"] = e.strerror
        return d
    d["mode"] = oct(stat.S_IMODE(st.st_mode))
    if stat.S_ISSOCK(st.st_mode):
        s = socket.socket(fileno=os.dup(fd))
        try:
            d["kind"] = "socket"
            d["family"] = {socket.AF_INET: "inet", socket.AF_INET6: "inet6",
                           socket.AF_UNIX: "unix"}.get(s.family, str(s.family))
            d["type"] = {socket.SOCK_STREAM: "stream", socket.SOCK_DGRAM: "dgram",
                         socket.SOCK_SEQPACKET: "seqpacket"}.get(s.type, str(s.type))
            name = s.getsockname()
            d["name"] = list(name) if isinstance(name, tuple) else name
            d["listening"] = bool(s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
        finally:
            s.close()
    elif stat.S_ISREG(st.st_mode):
        d["kind"] = "file"
        d["path"] = os.readlink("/proc/self/fd/%d" % fd)
        flags = int(open("/proc/self/fdinfo/%d" % fd).read().split("flags:")[1].split()[0], 8)
        d["append"] = bool(flags & os.O_APPEND)
        d["accmode"] = {os.O_RDONLY: "r", os.O_WRONLY: "w", os.O_RDWR: "rw"}[flags & 3]
    else:
        d["kind"] = "other"
    d["cloexec"] = bool(__import__("fcntl").fcntl(fd, __import__("fcntl").F_GETFD) & 1)
    return d

def main():
    report = {
        "pid": os.getpid(),
        "env": {k: os.environ.get(k) for k in ("LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID",
                                               "FDBROKER_FD")},
        "resuid": list(os.getresuid()),
        "resgid": list(os.getresgid()),
        "groups": os.getgroups(),
        "status": status_fields(),
        "fds": open_fds(),
    }
    n = int(os.environ.get("LISTEN_FDS", "0"))
    report["listen"] = [describe_fd(3 + i) for i in range(n)]
    if report["env"]["FDBROKER_FD"]:
        report["channel"] = describe_fd(int(report["env"]["FDBROKER_FD"]))
    for p in sys.argv[1:]:
        if p.startswith("--stat="):
            st = os.stat(p[7:])
            report.setdefault("stat", {})[p[7:]] = oct(stat.S_IMODE(st.st_mode))
    print(json.dumps(report), flush=True)
    if "--serve" in sys.argv:
        srv = socket.socket(fileno=3)
        conn, _ = srv.accept()
        conn.sendall(b"hello from pid %d uid %d\n" % (os.getpid(), os.getuid()))
        conn.close()

main()
