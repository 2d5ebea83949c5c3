# A tiny WSGI application for the gunicorn and uwsgi examples: it says who serves it.
# Install as /srv/fdbroker-gunicorn/app.py (readable by nobody).
import os


def application(environ, start_response):
    body = ("hello from %s, pid %d, uid %d, fds from LISTEN_FDNAMES=%s\n"
            % (environ.get("SERVER_SOFTWARE", "wsgi"), os.getpid(), os.getuid(),
               os.environ.get("LISTEN_FDNAMES", ""))).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
