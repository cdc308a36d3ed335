"""Learning from the team: corrections, retraining per workspace, versions and rollback.

A correction made in the inbox is stored by :func:`store_correction`; after
:data:`RETRAIN_EVERY` new ones a retraining job is queued (``unplugged train``
does the same by hand). :func:`retrain` trains on the shipped data plus the
workspace's corrections, writes the model under the instance folder signed
with a key derived from the app's secret (only models this installation wrote
will load), records a :class:`ModelVersion` and makes it active.
:func:`rollback` makes the previous version active again.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inbox.queue import defer
from inbox.runtime import Runtime
from models import AuditEvent, Identity, Message, ModelVersion, TriageCorrection, utcnow

RETRAIN_EVERY = 20
FIELDS = {"spam", "intent", "priority"}


def model_key(secret_key: str) -> bytes:
    """The key workspace models are signed with, derived from the app's secret."""
    return hmac.new(secret_key.encode(), b"unplugged-triage-model", hashlib.sha256).digest()


def store_correction(
    session: Session,
    workspace_id: int,
    user_id: int | None,
    message_id: int | None,
    field: str,
    old: Any,
    new: Any,
) -> TriageCorrection | None:
    """Keep a person's correction as a training label; queue retraining when enough wait."""
    if field not in FIELDS or message_id is None:
        return None
    row = session.execute(
        select(Message.text, Identity.display_name, Identity.handle)
        .outerjoin(Identity, Identity.id == Message.author_identity_id)
        .where(Message.id == message_id, Message.workspace_id == workspace_id)
    ).first()
    if row is None:
        return None
    text, name, handle = row
    correction = TriageCorrection(
        workspace_id=workspace_id,
        message_id=message_id,
        user_id=user_id,
        field=field,
        old_value=None if old is None else str(old)[:32],
        new_value=str(new)[:32],
        text=text,
        author=(name or handle or "")[:255],
    )
    session.add(correction)
    session.flush()
    if pending_count(session, workspace_id) >= RETRAIN_EVERY:
        from inbox import jobs

        defer(
            session,
            jobs.retrain_workspace,
            workspace_id,
            queue="default",
            job_id=f"retrain-{workspace_id}",
            retries=0,
        )
    return correction


def active_version(session: Session, workspace_id: int) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(
            ModelVersion.workspace_id == workspace_id, ModelVersion.is_active.is_(True)
        )
    )


def pending_count(session: Session, workspace_id: int) -> int:
    """Corrections made since the active model was trained."""
    active = active_version(session, workspace_id)
    q = (
        select(func.count())
        .select_from(TriageCorrection)
        .where(TriageCorrection.workspace_id == workspace_id)
    )
    if active is not None:
        q = q.where(TriageCorrection.created_at > active.created_at)
    return int(session.scalar(q) or 0)


def training_corrections(session: Session, workspace_id: int) -> list[dict[str, Any]]:
    """The workspace's corrections as training records (the latest word on a message wins)."""
    by_message: dict[tuple[int | None, str], dict[str, Any]] = {}
    for c in session.scalars(
        select(TriageCorrection)
        .where(TriageCorrection.workspace_id == workspace_id)
        .order_by(TriageCorrection.created_at, TriageCorrection.id)
    ):
        record = by_message.setdefault((c.message_id, c.text), {"text": c.text, "author": c.author})
        if c.field == "spam":
            record["spam"] = c.new_value in {"True", "true", "1", "spam"}
        else:
            record[c.field] = c.new_value
    return list(by_message.values())


def corrections_to_learn(session: Session, workspace_id: int) -> int:
    """How many corrections the next retraining learns from: the figure it will record.

    Not the number of correction rows: a message corrected twice counts once (the
    latest word wins) and a record the trainer cannot read is left out, exactly as
    :func:`retrain` does, so the page and the new version say the same number (issue 18).
    """
    from triage.datasets import corrections_rows

    fixes, _rejected = corrections_rows(training_corrections(session, workspace_id), 1.0)
    return len(fixes)


RETRAIN_REQUESTED = "model.retrain_requested"
RETRAIN_FAILED = "model.retrain_failed"
RETRAIN_STEP = "model.retrain_step"
#: The stages a retraining goes through, in order (the page words each one).
RETRAIN_STEPS = ("read", "features", "head", "check", "save")
RETRAIN_SHOWN_FOR = timedelta(minutes=30)


def request_retrain(session: Session, workspace_id: int, user_id: int | None) -> int:
    """Queue a retraining ("Retrain now") and record who asked, when and with how many
    corrections, so the page can follow it to its end; returns that number."""
    from inbox import jobs

    count = corrections_to_learn(session, workspace_id)
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user_id,
            action=RETRAIN_REQUESTED,
            subject_type="workspace",
            subject_id=workspace_id,
            data={"corrections": count},
        )
    )
    defer(
        session,
        jobs.retrain_workspace,
        workspace_id,
        queue="default",
        job_id=f"retrain-{workspace_id}",
        retries=0,
    )
    return count


def record_retrain_failure(rt: Runtime, workspace_id: int, exc: BaseException) -> None:
    """Say on the page that a retraining failed (the job's error, in its own words)."""
    with rt.session() as s:
        s.add(
            AuditEvent(
                workspace_id=workspace_id,
                action=RETRAIN_FAILED,
                subject_type="workspace",
                subject_id=workspace_id,
                data={"error": f"{type(exc).__name__}: {exc}"[:500]},
            )
        )


def record_retrain_step(
    rt: Runtime, workspace_id: int, name: str, figures: dict[str, int], elapsed: float
) -> None:
    """Write the stage a running retraining has reached, committed at once so the
    Classifier page's poll (another process) shows it while the job goes on."""
    with rt.session() as s:
        s.add(
            AuditEvent(
                workspace_id=workspace_id,
                action=RETRAIN_STEP,
                subject_type="workspace",
                subject_id=workspace_id,
                data={"step": name, "seconds": round(elapsed, 1), **figures},
            )
        )


@dataclass(frozen=True)
class RetrainStep:
    """One stage of a retraining as recorded: its name, its figures and the seconds
    since the job started."""

    name: str
    seconds: float
    num: int = 0
    total: int = 0


@dataclass(frozen=True)
class RetrainStatus:
    """The latest "Retrain now" of the last half hour: ``running``, ``done`` or ``failed``."""

    state: str
    requested_at: datetime
    corrections: int  # what the page said when it was asked
    version: str = ""
    corrections_used: int = 0  # what the new version recorded
    error: str = ""
    steps: tuple[RetrainStep, ...] = ()  # the stages reached so far, in order

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def current(self) -> RetrainStep | None:
        """The stage the job is in now (the latest recorded), if it has begun."""
        return self.steps[-1] if self.steps else None


def retrain_status(
    session: Session, workspace_id: int, now: datetime | None = None
) -> RetrainStatus | None:
    """Where the latest "Retrain now" stands, read from the audit log (no table of its own)."""
    since = (now or utcnow()) - RETRAIN_SHOWN_FOR
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.workspace_id == workspace_id,
                AuditEvent.action.in_(
                    (RETRAIN_REQUESTED, RETRAIN_STEP, RETRAIN_FAILED, "model.trained")
                ),
                AuditEvent.created_at >= since,
            )
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )
    asked = [i for i, e in enumerate(events) if e.action == RETRAIN_REQUESTED]
    if not asked:
        return None
    request = events[asked[-1]]
    count = int((request.data or {}).get("corrections", 0))
    steps: list[RetrainStep] = []
    for event in events[asked[-1] + 1 :]:
        data = event.data or {}
        if event.action == RETRAIN_STEP and data.get("step") in RETRAIN_STEPS:
            steps.append(
                RetrainStep(
                    str(data["step"]),
                    float(data.get("seconds", 0)),
                    int(data.get("num", 0)),
                    int(data.get("total", 0)),
                )
            )
        elif event.action == "model.trained":
            return RetrainStatus(
                "done",
                request.created_at,
                count,
                version=str(data.get("version", "")),
                corrections_used=int(data.get("corrections", 0)),
                steps=tuple(steps),
            )
        elif event.action == RETRAIN_FAILED:
            return RetrainStatus(
                "failed",
                request.created_at,
                count,
                error=str(data.get("error", "")),
                steps=tuple(steps),
            )
    return RetrainStatus("running", request.created_at, count, steps=tuple(steps))


def versions(session: Session, workspace_id: int) -> list[ModelVersion]:
    return list(
        session.scalars(
            select(ModelVersion)
            .where(ModelVersion.workspace_id == workspace_id)
            .order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
        )
    )


def retrain(
    rt: Runtime,
    workspace_id: int,
    *,
    data_dir: Path | None = None,
    train_options: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
) -> ModelVersion:
    """Train this workspace's next model and make it active.

    Each stage is recorded as it starts (:func:`record_retrain_step`) so the
    Classifier page follows the job live. ``train_options`` default to the
    runtime's ``extras["train_options"]`` (a small sample in the tests).
    """
    import time

    from triage.datasets import corrections_rows
    from triage.train import train

    started = time.monotonic()

    def step(name: str, figures: dict[str, int]) -> None:
        record_retrain_step(rt, workspace_id, name, figures, time.monotonic() - started)

    with rt.session() as s:
        corrections = training_corrections(s, workspace_id)
    step("read", {"num": len(corrections_rows(corrections, 1.0)[0])})
    if train_options is None:
        extra = rt.extras.get("train_options")
        train_options = dict(extra) if isinstance(extra, dict) else None
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    relative = Path("models") / f"workspace-{workspace_id}" / stamp
    out_dir = rt.settings.instance_path / relative
    out_dir.mkdir(parents=True, exist_ok=True)
    info = train(
        data_dir,
        corrections,
        out_dir,
        key=model_key(rt.settings.secret_key),
        log=log,
        step=step,
        **(train_options or {}),
    )
    with rt.session() as s:
        version = ModelVersion(
            workspace_id=workspace_id,
            version=info.version,
            path=str(relative),
            corrections_used=info.corrections_used,
            info=info.to_json(),
        )
        s.add(version)
        s.flush()
        _activate(s, version)
        s.add(
            AuditEvent(
                workspace_id=workspace_id,
                action="model.trained",
                subject_type="model_version",
                subject_id=version.id,
                data={"version": info.version, "corrections": info.corrections_used},
            )
        )
        return version


def _activate(session: Session, version: ModelVersion) -> None:
    session.execute(
        update(ModelVersion)
        .where(ModelVersion.workspace_id == version.workspace_id)
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )
    version.is_active = True
    version.activated_at = utcnow()


def activate(session: Session, workspace_id: int, version_id: int, user_id: int | None) -> None:
    version = session.get(ModelVersion, version_id)
    if version is None or version.workspace_id != workspace_id:
        raise LookupError(version_id)
    _activate(session, version)
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user_id,
            action="model.activated",
            subject_type="model_version",
            subject_id=version.id,
        )
    )


def use_shipped(session: Session, workspace_id: int, user_id: int | None) -> None:
    """Go back to the model that ships with Unplugged."""
    session.execute(
        update(ModelVersion)
        .where(ModelVersion.workspace_id == workspace_id)
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )
    session.add(AuditEvent(workspace_id=workspace_id, user_id=user_id, action="model.shipped"))


def rollback(session: Session, workspace_id: int, user_id: int | None) -> ModelVersion | None:
    """Make the version trained before the active one active again (or the shipped model)."""
    active = active_version(session, workspace_id)
    if active is None:
        return None
    earlier = session.scalar(
        select(ModelVersion)
        .where(
            ModelVersion.workspace_id == workspace_id, ModelVersion.created_at < active.created_at
        )
        .order_by(ModelVersion.created_at.desc())
        .limit(1)
    )
    if earlier is None:
        use_shipped(session, workspace_id, user_id)
        return None
    activate(session, workspace_id, earlier.id, user_id)
    return earlier


def model_path(rt: Runtime, version: ModelVersion | None) -> Path | None:
    return None if version is None else rt.settings.instance_path / version.path
