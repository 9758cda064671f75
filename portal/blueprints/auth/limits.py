"""Rate limits on every login form: per client IP and per account (Flask-Limiter on Redis)."""
from flask import current_app, request, session

from portal.extensions import limiter


def _account_key():
    value = (request.form.get("username") or request.form.get("cedula") or request.form.get("email")
             or session.get("otp_cedula") or "")
    return "acct:" + "".join(value.split()).lower()[:120]


def login_limits(view):
    per_ip = limiter.shared_limit(lambda: current_app.config["RATELIMIT_LOGIN_PER_IP"],
                                  scope="login-ip", methods=["POST"])
    per_account = limiter.shared_limit(lambda: current_app.config["RATELIMIT_LOGIN_PER_ACCOUNT"],
                                       scope="login-account", key_func=_account_key,
                                       methods=["POST"])
    return per_ip(per_account(view))
