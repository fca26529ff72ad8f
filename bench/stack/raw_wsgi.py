"""A WSGI app that answers `{}` without Django: what gunicorn and wrk alone cost per request. Benchmarks only."""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]
