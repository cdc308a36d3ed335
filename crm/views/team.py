"""The team page (owners invite, change roles, remove; the signature rule), the
invitation link a new teammate opens signed out, and one's personal API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.app import db
from crm.auth import login_required, runtime
from crm.services import accounts, api_tokens, invitations, team
from models import Role, User

bp = Blueprint("team", __name__)
ROLES = [Role.OWNER, Role.MANAGER, Role.AGENT, Role.VIEWER]
ROLE_LABELS = {
    Role.OWNER: _l("Owner (the artist)"),
    Role.MANAGER: _l("Manager"),
    Role.AGENT: _l("Agent (replies)"),
    Role.VIEWER: _l("Viewer (reads)"),
}


@bp.app_template_global()
def role_label(role: Role) -> str:
    return str(ROLE_LABELS.get(role, role.value))


def _role(value: str | None) -> Role:
    try:
        return Role(value or "")
    except ValueError:
        abort(400, description=_("Unknown role."))


def _page(
    error: str | None = None, notice: str | None = None, status: int = 200
) -> ResponseReturnValue:
    s = db()
    return render_template(
        "team.html",
        members=team.members(s, g.workspace.id),
        invitations=invitations.pending(s, g.workspace.id) if _is_owner() else [],
        roles=ROLES,
        is_owner=_is_owner(),
        error=error,
        notice=notice,
    ), status


def _is_owner() -> bool:
    return g.membership is not None and g.membership.role == Role.OWNER


@bp.get("/team")
@login_required(Role.VIEWER)
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/team/invite")
@login_required(Role.OWNER)
def invite() -> ResponseReturnValue:
    s = db()
    email = request.form.get("email", "")[:254]
    settings = runtime().settings
    base = settings.public_url or request.host_url
    try:
        invitations.invite(s, g.workspace, g.user, email, _role(request.form.get("role")), base)
    except invitations.InvitationError as exc:
        s.rollback()
        return _page(error=_(str(exc)), status=422)
    s.commit()
    return _page(notice=_("Invitation sent to %(email)s.", email=email.strip().lower()))


@bp.post("/team/invitations/<int:invitation_id>/revoke")
@login_required(Role.OWNER)
def revoke_invitation(invitation_id: int) -> ResponseReturnValue:
    s = db()
    if not invitations.revoke(s, g.workspace.id, invitation_id, g.user.id):
        abort(404)
    s.commit()
    return redirect(url_for("team.index"), 303)


@bp.post("/team/members/<int:user_id>/role")
@login_required(Role.OWNER)
def change_role(user_id: int) -> ResponseReturnValue:
    s = db()
    try:
        team.change_role(s, g.workspace.id, g.user.id, user_id, _role(request.form.get("role")))
    except team.NotMember:
        abort(404)
    except team.TeamError as exc:
        s.rollback()
        return _page(error=_(str(exc)), status=409)
    s.commit()
    return redirect(url_for("team.index"), 303)


@bp.post("/team/members/<int:user_id>/remove")
@login_required(Role.OWNER)
def remove(user_id: int) -> ResponseReturnValue:
    s = db()
    try:
        team.remove_member(s, g.workspace.id, g.user.id, user_id)
    except team.NotMember:
        abort(404)
    except team.TeamError as exc:
        s.rollback()
        return _page(error=_(str(exc)), status=409)
    s.commit()
    if user_id == g.user.id:
        return redirect(url_for("auth.login"), 303)
    return redirect(url_for("team.index"), 303)


@bp.post("/team/signature")
@login_required(Role.OWNER)
def signature_rule() -> ResponseReturnValue:
    s = db()
    team.set_signature_rule(s, g.workspace, g.user.id, request.form.get("on") == "1")
    s.commit()
    return redirect(url_for("team.index"), 303)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept(token: str) -> ResponseReturnValue:
    """The link from the invitation email: join with a name and a password, signed in after."""
    s = db()
    inv = invitations.find(s, token)
    if inv is None:
        return render_template("invite_accept.html", invitation=None), 404
    error = None
    if request.method == "POST":
        try:
            user = invitations.accept(
                s,
                token,
                request.form.get("name", "")[:120],
                request.form.get("password", "")[:1024],
            )
        except invitations.InvitationError as exc:
            s.rollback()
            error = _(str(exc))
        else:
            new = accounts.start_session(
                s, user, runtime().settings.session_days, request.headers.get("User-Agent", "")
            )
            new.row.workspace_id = inv.workspace_id  # open the workspace they joined
            s.commit()
            session.clear()
            session["sid"] = new.token
            session.permanent = True
            return redirect(url_for("inbox.index"), 303)
    existing = s.scalar(select(User.id).where(User.email == inv.email)) is not None
    return render_template("invite_accept.html", invitation=inv, existing=existing, error=error), (
        422 if error else 200
    )


@bp.get("/settings/tokens")
@login_required(Role.VIEWER)
def tokens() -> ResponseReturnValue:
    return render_template(
        "team_tokens.html", tokens=api_tokens.tokens_of(db(), g.user.id, g.workspace.id)
    )


@bp.post("/settings/tokens")
@login_required(Role.VIEWER)
def create_token() -> ResponseReturnValue:
    s = db()
    name = request.form.get("name", "")[:120]
    token = api_tokens.create(s, g.user, g.workspace.id, name)
    s.commit()
    return render_template(
        "team_tokens.html",
        tokens=api_tokens.tokens_of(s, g.user.id, g.workspace.id),
        new_token=token,
    )


@bp.post("/settings/tokens/revoke")
@login_required(Role.VIEWER)
def revoke_token() -> ResponseReturnValue:
    """Revoke one of one's own tokens (its id in the form; anyone else's is a 404)."""
    s = db()
    try:
        token_id = int(request.form.get("token_id", ""))
    except ValueError:
        abort(400, description=_("Which token?"))
    if not api_tokens.revoke(s, token_id, g.user.id):
        abort(404)
    s.commit()
    return redirect(url_for("team.tokens"), 303)
