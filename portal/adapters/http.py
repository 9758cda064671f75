"""Outbound HTTP for the portal's own callbacks: the sandbox acquirer's signed events and
the companies' webhooks."""
import socket
import urllib.error
import urllib.request


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the 3xx it is: followed, a POST would become a GET (and
    a webhook could be bounced to an address its URL was checked not to be)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_json(url, payload, headers=None, timeout=10):
    """POST a JSON body (bytes); the HTTP status code. A refused connection or a timeout
    raises OSError."""
    request = urllib.request.Request(url, data=payload, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def addresses(host, port=None):
    """The IP addresses `host` resolves to (empty when it resolves to none)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({info[4][0].split("%")[0] for info in infos})
