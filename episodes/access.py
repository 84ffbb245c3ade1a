"""Who is asking: the client's address for the log-in throttle (django-axes), and the editors' group."""

import ipaddress

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.shortcuts import render

EDITORS_GROUP = "Editors"


def client_ip(request):
    """The client's IP address: REMOTE_ADDR, or behind PODCAST_PROXY_COUNT proxies the address they saw.

    Each proxy appends the address it received the request from to
    X-Forwarded-For, so the one added by the outermost of ours is the
    PODCAST_PROXY_COUNT-th from the right; anything left of it the client
    may have written itself.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.PODCAST_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote  # not through all our proxies
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def lockout_response(request, original_response=None, credentials=None):
    """The page for a refused log-in (AXES_LOCKOUT_CALLABLE), saying for how long, with status 429."""
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "username": get_client_username(request, credentials) or "",
        "minutes": round(cool_off.total_seconds() / 60) if cool_off else None,
    }
    return render(request, "admin/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
