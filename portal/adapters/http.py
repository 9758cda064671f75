"""Outbound HTTP for the portal's own callbacks (the sandbox acquirer's signed events)."""
import urllib.error
import urllib.request


def post_json(url, payload):
    """POST a JSON body; the HTTP status code (a refused connection raises OSError)."""
    request = urllib.request.Request(url, data=payload, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
