"""Connecting a channel by signing in to the network ("Connect with X") instead of pasting tokens.

The OAuth 2.0 authorization-code flow, for the networks that offer it: X (with
PKCE), Mastodon (any instance: Unplugged registers itself there on first use),
Google for YouTube (PKCE, offline access so there is a refresh token) and Meta
(Facebook Pages and Instagram professional accounts, where the person then
picks which of their accounts to connect).

The flow is split into steps so that the view commits between them and no
database transaction stays open while a network is being asked something:

1. :func:`begin` remembers a random ``state`` (only its hash), the login
   session it belongs to and the PKCE verifier, and returns the consent URL.
2. :func:`claim` takes that state back when the network redirects to the
   callback: once, within ten minutes, from the same login session. The view
   commits the claim before anything else happens, so a replayed callback
   finds nothing.
3. :func:`finish` reports a refusal (``error=access_denied``), or trades the
   code for tokens, asks the network which account signed in and connects it
   through :func:`crm.services.channels.connect` (encrypted credentials, first
   sync queued) with exactly the keys the connector reads. For Meta it instead
   keeps the accounts to choose from (encrypted, ten minutes);
   :func:`choose` connects the ones picked.

Tokens only travel to the network (in request bodies and headers, or in the
query string where Meta documents it so) and into encrypted columns. They
are never logged and never put into an error message: a ``requests`` error
can quote the URL it failed on, so its text is not passed on.

A Mastodon instance is a host the person types, so the sign-in reaches it only
through :mod:`inbox.netguard` (public addresses only, pinned against DNS
rebinding, https only, no redirects followed) and never quotes its answers:
an error says the HTTP status, in case the "instance" is an internal service.

Messages meant for the person are raised as :class:`OAuthError`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.services import channels
from crm.services.messages import N_, UserError, Words
from inbox import netguard
from inbox.config import Settings
from inbox.credentials import CredentialBox
from models import Channel, MastodonApp, OAuthState, utcnow

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
# A cached Mastodon registration younger than this is used without checking it;
# older ones are checked, since instances delete apps that hold no tokens.
MASTODON_APP_TRUSTED_FOR = timedelta(hours=1)
CALLBACK_PATH = "/oauth/{provider}/callback"
HTTP_TIMEOUT = (5.0, 20.0)  # (connect, read) seconds
MAX_RESPONSE_BYTES = 1_000_000
MAX_META_PAGES = 10  # pages of 100 Facebook Pages: more than any artist manages

# Every network endpoint the sign-in talks to, by the name Settings.oauth_endpoints uses.
ENDPOINTS: Mapping[str, str] = {
    "x_authorize": "https://twitter.com/i/oauth2/authorize",
    # an endpoint URL (bandit B105)
    "x_token": "https://api.x.com/2/oauth2/token",  # nosec B105
    "x_api": "https://api.x.com",
    "google_authorize": "https://accounts.google.com/o/oauth2/v2/auth",
    # an endpoint URL (bandit B105)
    "google_token": "https://oauth2.googleapis.com/token",  # nosec B105
    "youtube_api": "https://www.googleapis.com/youtube/v3",
    "meta_dialog": "https://www.facebook.com/v21.0/dialog/oauth",
    "meta_graph": "https://graph.facebook.com/v21.0",
}

X_SCOPES = "tweet.read users.read tweet.write dm.read dm.write offline.access"
MASTODON_SCOPES = "read:notifications read:statuses read:accounts write:statuses"
YOUTUBE_SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
# The permissions the README lists for each connector.
META_SCOPES: Mapping[str, str] = {
    "facebook": "pages_show_list,pages_read_engagement,pages_read_user_content,"
    "pages_manage_engagement,pages_manage_metadata",
    "instagram": "instagram_basic,instagram_manage_comments,pages_show_list,pages_read_engagement",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_TOKEN = re.compile(r"^[\x21-\x7e]{1,4096}$")  # printable ASCII, no spaces
_GRAPH_ID = re.compile(r"^\d{1,32}$")
_OPAQUE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_X_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_HOSTNAME = re.compile(
    r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*$"
)


class OAuthError(UserError):
    """A sign-in that did not work; the message (an ``N_`` msgid and its values) is for the
    person and holds no secret."""


class StateRefused(OAuthError):
    """The callback's ``state`` is unknown, used, expired or someone else's."""


class Declined(OAuthError):
    """The person said no on the network's consent page."""


class Refused(OAuthError):
    """The network answered a request with an error status."""

    def __init__(self, message: str, status: int, code: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code  # OAuth's ``error`` value, when the body had one


# --------------------------------------------------------------------------- providers


@dataclass(frozen=True)
class Provider:
    """One network's sign-in: which channel networks it connects and what it needs set."""

    name: str  # in the callback URL
    label: str
    networks: tuple[str, ...]
    # (Settings attribute, environment variable) pairs that must be set.
    needs: tuple[tuple[str, str], ...]


PROVIDERS: Mapping[str, Provider] = {
    "x": Provider("x", "X", ("x",), (("x_client_id", "X_CLIENT_ID"),)),
    "mastodon": Provider("mastodon", "Mastodon", ("mastodon",), ()),
    "google": Provider(
        "google",
        "Google",
        ("youtube",),
        (
            ("google_client_id", "GOOGLE_CLIENT_ID"),
            ("google_client_secret", "GOOGLE_CLIENT_SECRET"),
        ),
    ),
    "meta": Provider(
        "meta",
        "Meta",
        ("facebook", "instagram"),
        (("meta_app_id", "META_APP_ID"), ("meta_app_secret", "META_APP_SECRET")),
    ),
}
NETWORK_PROVIDER: Mapping[str, str] = {
    network: p.name for p in PROVIDERS.values() for network in p.networks
}
NETWORK_LABELS: Mapping[str, str] = {
    "x": "X",
    "mastodon": "Mastodon",
    "youtube": "YouTube",
    "facebook": "Facebook",
    "instagram": "Instagram",
}


@dataclass(frozen=True)
class SignInOption:
    """What the Channels page shows for one network: a button, or why there is none."""

    network: str
    provider: str
    label: str  # the network's name
    missing: tuple[str, ...]  # environment variables still to set

    @property
    def ready(self) -> bool:
        return not self.missing

    @property
    def asks_for_server(self) -> bool:
        """Mastodon is many servers: the person names theirs before signing in."""
        return self.provider == "mastodon"


def sign_in_options(settings: Settings) -> list[SignInOption]:
    """Every network that has a sign-in, in the Channels page's order."""
    options = []
    for network, provider_name in NETWORK_PROVIDER.items():
        provider = PROVIDERS[provider_name]
        missing = [env for attr, env in provider.needs if not getattr(settings, attr)]
        if not settings.public_url:
            missing.insert(0, "UNPLUGGED_PUBLIC_URL")
        options.append(
            SignInOption(network, provider_name, NETWORK_LABELS[network], tuple(missing))
        )
    return options


def endpoint(settings: Settings, name: str) -> str:
    return (settings.oauth_endpoints.get(name) or ENDPOINTS[name]).rstrip("/")


def redirect_uri(settings: Settings, provider: str) -> str:
    """The one callback URL registered with the network: never built from the request."""
    if not settings.public_url:
        raise OAuthError(N_("Sign-in needs UNPLUGGED_PUBLIC_URL, the address of this Unplugged."))
    return settings.public_url.rstrip("/") + CALLBACK_PATH.format(provider=provider)


# --------------------------------------------------------------------------- who asks


@dataclass(frozen=True)
class Requester:
    """The person signing in, in the workspace and login session a state is bound to."""

    workspace_id: int
    user_id: int
    session_id: str  # UserSession.id


@dataclass(frozen=True)
class Account:
    """An account a sign-in found, ready to become a channel."""

    network: str
    handle: str
    external_id: str
    display_name: str
    credentials: dict[str, str]
    base_url: str | None = None
    description: str = ""  # the Page an Instagram account is linked to, for the pick page


@dataclass(frozen=True)
class PendingSignIn:
    """A claimed state: what the callback may now complete."""

    provider: str
    network: str
    requester: Requester
    code_verifier: str
    instance_url: str | None = None


@dataclass(frozen=True)
class Finished:
    """A completed callback: the channels connected, or a ticket to pick accounts with."""

    connected: tuple[Channel, ...] = ()
    choice_ticket: str | None = None


@dataclass(frozen=True)
class Choice:
    """One account on the pick page (no token in it: it is rendered)."""

    external_id: str
    handle: str
    display_name: str
    description: str


# --------------------------------------------------------------------------- HTTP


@dataclass
class Http:
    """JSON to and from one network, with every failure turned into an :class:`OAuthError`."""

    label: str
    session: requests.Session | None = None  # one per request when not given
    # A host the person typed (a Mastodon instance): connections are vetted by
    # inbox.netguard and its error bodies are never quoted.
    typed_host: bool = False

    def post_form(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        auth: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        return self._send("POST", url, data=dict(data), auth=auth)

    def get(
        self, url: str, params: Mapping[str, str] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self._send("GET", url, params=dict(params or {}), headers=headers)

    def _send(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        session = self.session or (
            netguard.guarded_session() if self.typed_host else requests.Session()
        )
        try:
            response = session.request(
                method,
                url,
                headers=headers,
                timeout=HTTP_TIMEOUT,
                allow_redirects=False,
                stream=True,
                **kwargs,
            )
            content = _read_bounded(response)
        except netguard.BlockedAddress as exc:
            raise OAuthError(
                N_("%(network)s cannot be used: %(why)s"), network=self.label, why=str(exc)
            ) from None
        except requests.Timeout:
            raise OAuthError(
                N_("%(network)s did not answer in time. Try again."), network=self.label
            ) from None
        except requests.RequestException as exc:
            # The exception's text can quote the URL, query string (and secrets) included.
            raise OAuthError(
                N_("Could not reach %(network)s (%(error)s). Try again."),
                network=self.label,
                error=type(exc).__name__,
            ) from None
        finally:
            if self.session is None:
                session.close()
        status = response.status_code
        if content is None:
            raise OAuthError(
                N_("%(network)s sent an answer too large to be one (HTTP %(status)s)."),
                network=self.label,
                status=status,
            )
        try:
            body = json.loads(content)
        except ValueError:
            body = None
        if status >= 400:
            reason = describe_error(body) if isinstance(body, dict) and not self.typed_host else ""
            code = body.get("error") if isinstance(body, dict) else None
            raise Refused(
                f"{self.label} refused the sign-in (HTTP {status}"
                + (f": {reason}" if reason else "")
                + ").",
                status,
                code if isinstance(code, str) else None,
            )
        if not isinstance(body, dict):
            raise OAuthError(
                N_("%(network)s answered the sign-in with something unexpected."),
                network=self.label,
            )
        return body


def _read_bounded(response: requests.Response) -> bytes | None:
    """The body, or None past :data:`MAX_RESPONSE_BYTES` (a token answer is a few hundred)."""
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                return None
            chunks.append(chunk)
    finally:
        response.close()
    return b"".join(chunks)


def clean_text(value: object, limit: int = 200) -> str:
    """Text from a network, fit to show: no control characters, bounded."""
    text = _CONTROL.sub(" ", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_error(body: Mapping[str, Any]) -> str:
    """The reason in an error body, whichever shape the network uses."""
    err = body.get("error")
    if isinstance(err, Mapping):  # Graph, Google APIs
        return clean_text(err.get("message") or err.get("type") or "")
    parts = [body.get(k) for k in ("error", "error_description", "title", "detail")]
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        parts.append(errors[0].get("message"))
    return clean_text(" – ".join(str(p) for p in parts if isinstance(p, str) and p))


def _token(value: object, what: str, label: str) -> str:
    if not isinstance(value, str) or not _TOKEN.match(value):
        raise OAuthError(N_("%(network)s sent no usable %(what)s."), network=label, what=what)
    return value


def _ident(value: object, pattern: re.Pattern[str], what: str, label: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not pattern.match(value):
        raise OAuthError(
            N_("%(network)s described the account without a valid %(what)s."),
            network=label,
            what=what,
        )
    return value


def _name(value: object) -> str:
    return clean_text(value, 120) if isinstance(value, str) else ""


def _url(base: str, params: Mapping[str, str]) -> str:
    return f"{base}?{urlencode(params, quote_via=quote)}"


def pkce_challenge(verifier: str) -> str:
    """S256: the unpadded base64url SHA-256 of the verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --------------------------------------------------------------------------- step 1: begin


def begin(
    session: Session,
    box: CredentialBox,
    settings: Settings,
    requester: Requester,
    network: str,
    *,
    instance: str | None = None,
    http: Http | None = None,
) -> str:
    """Remember a new sign-in for ``network`` and return the URL of the network's consent page."""
    option = next((o for o in sign_in_options(settings) if o.network == network), None)
    if option is None:
        raise OAuthError(N_("This network has no sign-in; use the form below."))
    if not option.ready:
        # What is missing is the operator's business (the server log, the README), not
        # the artist's: the page never names environment variables (issue 18).
        log.warning("oauth sign-in for %s needs %s", network, ", ".join(option.missing))
        raise OAuthError(
            N_(
                "Sign-in with %(network)s is not set up on this server yet; "
                "enter the credentials by hand below."
            ),
            network=option.label,
        )
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    challenge = pkce_challenge(verifier)
    provider = option.provider
    redirect = redirect_uri(settings, provider)
    instance_url = None
    if provider == "x":
        url = _url(
            endpoint(settings, "x_authorize"),
            {
                "response_type": "code",
                "client_id": str(settings.x_client_id),
                "redirect_uri": redirect,
                "scope": X_SCOPES,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
    elif provider == "mastodon":
        instance_url = normalise_instance(instance or "")
        client_id, _secret = mastodon_app(
            session, box, settings, instance_url, http or Http(instance_url, typed_host=True)
        )
        url = _url(
            f"{instance_url}/oauth/authorize",
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect,
                "scope": MASTODON_SCOPES,
                "state": state,
                # Mastodon checks PKCE since 4.3 and older versions ignore it.
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
    elif provider == "google":
        url = _url(
            endpoint(settings, "google_authorize"),
            {
                "response_type": "code",
                "client_id": str(settings.google_client_id),
                "redirect_uri": redirect,
                "scope": YOUTUBE_SCOPE,
                "access_type": "offline",  # a refresh token, for syncing while nobody is here
                "prompt": "consent",  # ...even when this Google account consented before
                "include_granted_scopes": "true",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
    else:  # meta: no PKCE on Facebook Login's web flow; the app secret guards the code
        url = _url(
            endpoint(settings, "meta_dialog"),
            {
                "response_type": "code",
                "client_id": str(settings.meta_app_id),
                "redirect_uri": redirect,
                "scope": META_SCOPES[network],
                "state": state,
            },
        )
    # Only now write: registering on a Mastodon instance above is a network call, and
    # no write transaction may stay open across one (SQLite has a single writer).
    session.execute(delete(OAuthState).where(OAuthState.expires_at < utcnow()))
    secret_data = {"code_verifier": verifier}
    _remember(
        session, box, state, "authorize", provider, network, requester, instance_url, secret_data
    )
    log.info("oauth: %s sign-in started for workspace %s", network, requester.workspace_id)
    return url


def _remember(
    session: Session,
    box: CredentialBox,
    state: str,
    stage: str,
    provider: str,
    network: str,
    requester: Requester,
    instance_url: str | None,
    secret_data: Mapping[str, Any],
) -> None:
    session.add(
        OAuthState(
            state_sha256=_digest(state),
            stage=stage,
            provider=provider,
            network=network,
            workspace_id=requester.workspace_id,
            user_id=requester.user_id,
            user_session_id=requester.session_id,
            instance_url=instance_url,
            secrets_encrypted=box.encrypt(secret_data),
            expires_at=utcnow() + STATE_TTL,
        )
    )
    session.flush()


def normalise_instance(raw: str) -> str:
    """``mastodon.social``, ``https://mastodon.social/`` or ``@me@mastodon.social``: the base URL.

    https only (the tokens travel to it), a public host (:mod:`inbox.netguard`:
    no private, loopback or numeric forms; loopback over http only under
    ``UNPLUGGED_ALLOW_LOOPBACK``), and no path, credentials or query: it is a
    server, not a page. Where the name points is checked when it is reached.
    """
    text = raw.strip()
    if not text:
        raise OAuthError(N_("Enter your Mastodon server, like mastodon.social."))
    if len(text) > 253:
        raise OAuthError(N_("That Mastodon server address is too long."))
    if "://" not in text:
        text = "https://" + text.rsplit("@", 1)[-1]
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    loopback = netguard.is_loopback_name(host)
    if (
        parts.scheme not in ("https", "http")
        or not (loopback or _ip_host(host) or _HOSTNAME.match(host))
        or port == -1
        or "@" in parts.netloc
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise OAuthError(
            N_("%(address)r is not a Mastodon server address."), address=clean_text(raw, 80)
        )
    problem = netguard.host_problem(host)
    if problem:
        raise OAuthError(N_("That Mastodon server cannot be used: %(why)s"), why=problem)
    if parts.scheme == "http" and not loopback:
        raise OAuthError(N_("The Mastodon server must be reached over https://."))
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port else "")


def _ip_host(host: str) -> bool:
    """An IP literal (the guard then says whether it is a public one)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def mastodon_app(
    session: Session, box: CredentialBox, settings: Settings, instance_url: str, http: Http
) -> tuple[str, str]:
    """Unplugged's client id and secret on ``instance_url``, registering it there if needed."""
    redirect = redirect_uri(settings, "mastodon")
    app = session.scalar(
        select(MastodonApp).where(
            MastodonApp.instance_url == instance_url, MastodonApp.redirect_uri == redirect
        )
    )
    if app is not None and app.scopes == MASTODON_SCOPES:
        secret = str(box.decrypt(app.client_secret_encrypted).get("client_secret", ""))
        if app.created_at > utcnow() - MASTODON_APP_TRUSTED_FOR or _mastodon_app_alive(
            http, instance_url, app.client_id, secret
        ):
            return app.client_id, secret
    body = http.post_form(
        f"{instance_url}/api/v1/apps",
        {
            "client_name": "Unplugged",
            "redirect_uris": redirect,
            "scopes": MASTODON_SCOPES,
            "website": str(settings.public_url),
        },
    )
    client_id = _token(body.get("client_id"), Words(N_("client id")), instance_url)
    client_secret = _token(body.get("client_secret"), Words(N_("client secret")), instance_url)
    encrypted = box.encrypt({"client_secret": client_secret})
    if app is None:
        try:
            with session.begin_nested():
                session.add(
                    MastodonApp(
                        instance_url=instance_url,
                        redirect_uri=redirect,
                        scopes=MASTODON_SCOPES,
                        client_id=client_id,
                        client_secret_encrypted=encrypted,
                    )
                )
        except IntegrityError:  # another sign-in registered the same instance meanwhile
            pass
    else:
        app.client_id, app.client_secret_encrypted = client_id, encrypted
        app.scopes, app.created_at = MASTODON_SCOPES, utcnow()
    log.info("oauth: registered Unplugged on %s", instance_url)
    return client_id, client_secret


def _mastodon_app_alive(http: Http, instance_url: str, client_id: str, secret: str) -> bool:
    """Does the instance still know this app? It deletes apps that hold no tokens.

    A client-credentials grant authenticates the client first: ``invalid_client``
    means it is gone. The app token it may hand out is revoked straight away.
    """
    try:
        body = http.post_form(
            f"{instance_url}/oauth/token",
            {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "scope": "read:accounts",
            },
        )
    except Refused as exc:
        return not (exc.status == 401 or exc.code == "invalid_client")
    except OAuthError:  # unreachable now: the sign-in will say so at the instance
        return True
    token = body.get("access_token")
    if isinstance(token, str) and token:
        try:
            http.post_form(
                f"{instance_url}/oauth/revoke",
                {"client_id": client_id, "client_secret": secret, "token": token},
            )
        except OAuthError:
            log.info("oauth: could not revoke the check token on %s", instance_url)
    return True


# --------------------------------------------------------------------------- step 2: claim


def claim(
    session: Session,
    box: CredentialBox,
    provider: str,
    state: str,
    requester: Requester,
) -> PendingSignIn:
    """Take back the sign-in a callback's ``state`` names: once, in time, by the same session.

    The row is deleted whatever the outcome, so the caller commits even when
    this raises: a state is tried once.
    """
    row = _take(session, state, "authorize", requester)
    if row.provider != provider:
        raise StateRefused(N_("This sign-in was started with another network. Start again."))
    data = box.decrypt(row.secrets_encrypted)
    return PendingSignIn(
        provider=row.provider,
        network=row.network,
        requester=requester,
        code_verifier=str(data.get("code_verifier", "")),
        instance_url=row.instance_url,
    )


def _take(session: Session, state: str, stage: str, requester: Requester) -> OAuthState:
    row = _find(session, state, stage)
    deleted = session.execute(delete(OAuthState).where(OAuthState.id == row.id)).rowcount  # type: ignore[attr-defined]
    if deleted != 1:  # a concurrent callback with the same state won
        raise StateRefused(N_("This sign-in was already used. Start again from Channels."))
    _check_owner(row, requester)
    return row


def _find(session: Session, state: str, stage: str) -> OAuthState:
    row = None
    if state and len(state) <= 200:
        row = session.scalar(
            select(OAuthState).where(
                OAuthState.state_sha256 == _digest(state), OAuthState.stage == stage
            )
        )
    if row is None:
        raise StateRefused(
            N_("This sign-in link is unknown or was already used. Start again from Channels.")
        )
    return row


def _check_owner(row: OAuthState, requester: Requester) -> None:
    if row.expires_at <= utcnow():
        raise StateRefused(N_("This sign-in took more than 10 minutes. Start again from Channels."))
    if (row.user_session_id, row.workspace_id, row.user_id) != (
        requester.session_id,
        requester.workspace_id,
        requester.user_id,
    ):
        raise StateRefused(
            N_("This sign-in was started in another session or workspace. Start again here.")
        )


# --------------------------------------------------------------------------- step 3: finish


def finish(
    session: Session,
    box: CredentialBox,
    settings: Settings,
    pending: PendingSignIn,
    params: Mapping[str, str],
    *,
    http: Http | None = None,
) -> Finished:
    """Complete a claimed sign-in with the callback's query parameters."""
    label = PROVIDERS[pending.provider].label
    error = params.get("error")
    if error:
        if error == "access_denied":
            raise Declined(
                f"You did not allow Unplugged to use your {NETWORK_LABELS[pending.network]} "
                "account, so nothing was connected."
            )
        reason = clean_text(params.get("error_description") or params.get("error_reason") or "")
        raise OAuthError(
            N_("%(network)s refused the sign-in: %(error)s."),
            network=label,
            error=clean_text(error, 60) + (f" ({reason})" if reason else ""),
        )
    code = params.get("code", "")
    if not code or len(code) > 4096:
        raise OAuthError(
            N_("%(network)s came back without an authorization code. Start again."), network=label
        )
    redirect = redirect_uri(settings, pending.provider)
    if pending.provider == "x":
        accounts = [_x_account(settings, http or Http("X"), code, redirect, pending)]
    elif pending.provider == "mastodon":
        assert pending.instance_url is not None
        client = http or Http(pending.instance_url, typed_host=True)
        accounts = [_mastodon_account(session, box, settings, client, code, redirect, pending)]
    elif pending.provider == "google":
        accounts = [_youtube_account(settings, http or Http("Google"), code, redirect, pending)]
    else:
        candidates = _meta_accounts(settings, http or Http("Meta"), code, redirect, pending)
        ticket = secrets.token_urlsafe(32)
        found = {"accounts": [asdict(a) for a in candidates]}
        _remember(
            session, box, ticket, "choose", "meta", pending.network, pending.requester, None, found
        )
        return Finished(choice_ticket=ticket)
    connected = [connect_account(session, box, settings, pending.requester, a) for a in accounts]
    return Finished(connected=tuple(connected))


def _x_account(
    settings: Settings, http: Http, code: str, redirect: str, pending: PendingSignIn
) -> Account:
    client_id = str(settings.x_client_id)
    secret = settings.x_client_secret
    tokens = http.post_form(
        endpoint(settings, "x_token"),
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "code_verifier": pending.code_verifier,
            "client_id": client_id,
        },
        auth=(client_id, secret) if secret else None,  # confidential clients authenticate
    )
    access = _token(tokens.get("access_token"), Words(N_("access token")), "X")
    if "refresh_token" not in tokens:
        raise OAuthError(N_("X gave no refresh token: the app must ask for offline.access."))
    refresh = _token(tokens.get("refresh_token"), Words(N_("refresh token")), "X")
    me = http.get(f"{endpoint(settings, 'x_api')}/2/users/me", token=access)
    data = me.get("data")
    if not isinstance(data, Mapping):
        raise OAuthError(N_("X did not say which account signed in."))
    user_id = _ident(data.get("id"), _GRAPH_ID, Words(N_("user id")), "X")
    username = _ident(data.get("username"), _X_USERNAME, Words(N_("username")), "X")
    credentials = {
        "client_id": client_id,
        "access_token": access,
        "refresh_token": refresh,
    }
    if secret:
        credentials["client_secret"] = secret
    expires_in = tokens.get("expires_in")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        credentials["expires_at"] = str(int(time.time() + expires_in))
    return Account("x", username, user_id, _name(data.get("name")) or username, credentials)


def _mastodon_account(
    session: Session,
    box: CredentialBox,
    settings: Settings,
    http: Http,
    code: str,
    redirect: str,
    pending: PendingSignIn,
) -> Account:
    instance = str(pending.instance_url)
    app = session.scalar(
        select(MastodonApp).where(
            MastodonApp.instance_url == instance, MastodonApp.redirect_uri == redirect
        )
    )
    if app is None:
        raise OAuthError(N_("Unplugged's registration on this server is gone. Start again."))
    tokens = http.post_form(
        f"{instance}/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": app.client_id,
            "client_secret": str(box.decrypt(app.client_secret_encrypted).get("client_secret")),
            "code_verifier": pending.code_verifier,
        },
    )
    access = _token(tokens.get("access_token"), Words(N_("access token")), instance)
    me = http.get(f"{instance}/api/v1/accounts/verify_credentials", token=access)
    account_id = _ident(me.get("id"), _OPAQUE_ID, Words(N_("account id")), instance)
    username = _ident(me.get("username"), _OPAQUE_ID, Words(N_("username")), instance)
    handle = f"{username}@{urlsplit(instance).netloc}"
    name = _name(me.get("display_name")) or handle
    return Account("mastodon", handle, account_id, name, {"access_token": access}, instance)


def _youtube_account(
    settings: Settings, http: Http, code: str, redirect: str, pending: PendingSignIn
) -> Account:
    token_url = endpoint(settings, "google_token")
    client_id, secret = str(settings.google_client_id), str(settings.google_client_secret)
    tokens = http.post_form(
        token_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": client_id,
            "client_secret": secret,
            "code_verifier": pending.code_verifier,
        },
    )
    access = _token(tokens.get("access_token"), Words(N_("access token")), "Google")
    granted = tokens.get("scope")
    if isinstance(granted, str) and YOUTUBE_SCOPE not in granted.split():
        raise OAuthError(
            N_("Google did not grant access to YouTube: tick the YouTube box on the consent page.")
        )
    if "refresh_token" not in tokens:
        raise OAuthError(N_("Google gave no refresh token. Start again and accept every step."))
    refresh = _token(tokens.get("refresh_token"), Words(N_("refresh token")), "Google")
    body = http.get(
        f"{endpoint(settings, 'youtube_api')}/channels",
        {"mine": "true", "part": "snippet"},
        token=access,
    )
    items = body.get("items")
    if not isinstance(items, list) or not items or not isinstance(items[0], Mapping):
        raise OAuthError(
            N_("This Google account has no YouTube channel. Pick the channel's account.")
        )
    channel_id = _ident(items[0].get("id"), _OPAQUE_ID, Words(N_("channel id")), "YouTube")
    snippet = items[0].get("snippet")
    snippet = snippet if isinstance(snippet, Mapping) else {}
    custom = snippet.get("customUrl")
    handle = custom if isinstance(custom, str) and _OPAQUE_ID.match(custom.lstrip("@")) else None
    credentials = {
        "client_id": client_id,
        "client_secret": secret,
        "refresh_token": refresh,
        "token_uri": token_url,
    }
    return Account(
        "youtube",
        handle or channel_id,
        channel_id,
        _name(snippet.get("title")) or handle or channel_id,
        credentials,
    )


def _meta_accounts(
    settings: Settings, http: Http, code: str, redirect: str, pending: PendingSignIn
) -> list[Account]:
    graph = endpoint(settings, "meta_graph")
    app_id, secret = str(settings.meta_app_id), str(settings.meta_app_secret)
    short = http.get(
        f"{graph}/oauth/access_token",
        {"client_id": app_id, "client_secret": secret, "redirect_uri": redirect, "code": code},
    )
    short_token = _token(short.get("access_token"), Words(N_("access token")), "Meta")
    # Short-lived user tokens last an hour; the long-lived one (60 days) is what
    # Instagram reads with, and Page tokens derived from it do not expire.
    long = http.get(
        f"{graph}/oauth/access_token",
        {
            "grant_type": "fb_exchange_token",
            "client_id": app_id,
            "client_secret": secret,
            "fb_exchange_token": short_token,
        },
    )
    user_token = _token(long.get("access_token"), Words(N_("long-lived token")), "Meta")
    pages = _meta_pages(http, graph, user_token, secret)
    accounts: list[Account] = []
    for page in pages:
        try:
            accounts.extend(_meta_page_accounts(page, pending.network, user_token, secret))
        except OAuthError as exc:  # one odd Page must not hide the others
            log.warning("oauth: skipped a Meta Page: %s", exc)
    if not accounts:
        if pending.network == "instagram":
            raise OAuthError(
                N_(
                    "None of the Facebook Pages you shared has an Instagram professional account "
                    "linked. Link it in the Page's settings, then start again."
                )
            )
        raise OAuthError(N_("Meta shared no Facebook Page. Start again and tick your Page."))
    return accounts


def _meta_pages(
    http: Http, graph: str, user_token: str, app_secret: str
) -> list[Mapping[str, Any]]:
    """``/me/accounts``, every page of it (followed by cursor: never by a URL it sent)."""
    proof = hmac.new(app_secret.encode(), user_token.encode(), hashlib.sha256).hexdigest()
    params = {
        "fields": "id,name,access_token,instagram_business_account{id,username,name}",
        "limit": "100",
        "appsecret_proof": proof,
    }
    pages: dict[str, Mapping[str, Any]] = {}
    cursors_seen: set[str] = set()
    for _ in range(MAX_META_PAGES):
        body = http.get(f"{graph}/me/accounts", params, token=user_token)
        data = body.get("data")
        if not isinstance(data, list):
            raise OAuthError(N_("Meta listed the Pages in an unexpected shape."))
        for page in data:
            if isinstance(page, Mapping):
                pages.setdefault(str(page.get("id")), page)
        paging = body.get("paging")
        cursors = paging.get("cursors") if isinstance(paging, Mapping) else None
        after = cursors.get("after") if isinstance(cursors, Mapping) else None
        if not (isinstance(paging, Mapping) and paging.get("next") and isinstance(after, str)):
            break
        if after in cursors_seen:  # a cursor that does not move would loop
            break
        cursors_seen.add(after)
        params = {**params, "after": after}
    return list(pages.values())


def _meta_page_accounts(
    page: Mapping[str, Any], network: str, user_token: str, app_secret: str
) -> list[Account]:
    page_id = _ident(page.get("id"), _GRAPH_ID, Words(N_("Page id")), "Meta")
    page_name = _name(page.get("name")) or page_id
    if network == "facebook":
        page_token = _token(page.get("access_token"), Words(N_("Page token")), "Meta")
        credentials = {"page_access_token": page_token, "app_secret": app_secret}
        return [
            Account("facebook", page_name, page_id, page_name, credentials, None, "Facebook Page")
        ]
    ig = page.get("instagram_business_account")
    if not isinstance(ig, Mapping):
        return []
    ig_id = _ident(ig.get("id"), _GRAPH_ID, Words(N_("Instagram account id")), "Meta")
    username = _ident(ig.get("username"), _OPAQUE_ID, Words(N_("Instagram username")), "Meta")
    credentials = {"access_token": user_token, "app_secret": app_secret}
    return [
        Account(
            "instagram",
            username,
            ig_id,
            _name(ig.get("name")) or username,
            credentials,
            description=page_name,
        )
    ]


# --------------------------------------------------------------------------- Meta: the pick


def pending_choices(
    session: Session, box: CredentialBox, ticket: str, requester: Requester
) -> tuple[str, list[Choice]]:
    """The network and the accounts a Meta sign-in found, for the pick page (nothing consumed)."""
    row = _find(session, ticket, "choose")
    _check_owner(row, requester)
    return row.network, [
        Choice(a.external_id, a.handle, a.display_name, a.description)
        for a in _stored_accounts(box, row)
    ]


def choose(
    session: Session,
    box: CredentialBox,
    settings: Settings,
    ticket: str,
    picked: Sequence[str],
    requester: Requester,
) -> list[Channel]:
    """Connect the accounts the person picked; the ticket is used up."""
    row = _find(session, ticket, "choose")
    _check_owner(row, requester)
    accounts = {a.external_id: a for a in _stored_accounts(box, row)}
    wanted = list(dict.fromkeys(picked))
    if not wanted:
        raise OAuthError(N_("Pick at least one account to connect."))
    if any(p not in accounts for p in wanted):
        raise OAuthError(N_("That account was not among the ones Meta shared. Start again."))
    row = _take(session, ticket, "choose", requester)
    return [connect_account(session, box, settings, requester, accounts[p]) for p in wanted]


def _stored_accounts(box: CredentialBox, row: OAuthState) -> list[Account]:
    raw = box.decrypt(row.secrets_encrypted).get("accounts")
    return [Account(**a) for a in raw] if isinstance(raw, list) else []


# --------------------------------------------------------------------------- connecting


def connect_account(
    session: Session,
    box: CredentialBox,
    settings: Settings,
    requester: Requester,
    account: Account,
) -> Channel:
    """Make ``account`` a channel of the workspace, or reconnect the channel it already is.

    The channel is found by the network's account id first, so an account
    renamed since it was connected is reconnected, not duplicated. A channel
    that held a different account under the same name starts its sync afresh.
    """
    existing = session.scalar(
        select(Channel).where(
            Channel.workspace_id == requester.workspace_id,
            Channel.network == account.network,
            Channel.external_id == account.external_id,
        )
    )
    if existing is not None and existing.handle != account.handle:
        taken = session.scalar(
            select(Channel.id).where(
                Channel.workspace_id == requester.workspace_id,
                Channel.network == account.network,
                Channel.handle == account.handle,
            )
        )
        if taken is None:
            existing.handle = account.handle
            session.flush()
    try:
        channel = channels.connect(
            session,
            box,
            requester.workspace_id,
            requester.user_id,
            account.network,
            account.handle,
            account.credentials,
            base_url=account.base_url,
            sync_interval_s=settings.sync_interval_s,
        )
    except channels.ChannelError as exc:
        raise OAuthError(exc.message, **exc.params) from exc
    if channel.external_id and channel.external_id != account.external_id:
        channel.cursor = None
        channel.state_encrypted = None
    channel.external_id = account.external_id
    channel.display_name = account.display_name or account.handle
    session.flush()
    log.info(
        "oauth: connected %s channel %s for workspace %s",
        account.network,
        channel.id,
        requester.workspace_id,
    )
    return channel
