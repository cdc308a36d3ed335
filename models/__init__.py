"""The database schema of Unplugged: one module per aggregate, no Flask.

Importing this package registers every table on :data:`Base.metadata`, which
is what Alembic compares the migrations against.
"""

from models import fan_timeline  # noqa: F401  (registers the index of a fan's timeline)
from models.api_token import ApiToken
from models.audit import AuditEvent
from models.base import Base, utcnow
from models.channel import Channel, ChannelHealth
from models.conversation import (
    Conversation,
    ConversationStatus,
    Direction,
    Label,
    Message,
    MessageKind,
    Note,
    Priority,
    conversation_labels,
)
from models.draft import Draft
from models.fan import Fan, Identity, Segment
from models.fan_segment import FanSegment
from models.incident import Incident, IncidentKind
from models.learning import ModelVersion, TriageCorrection
from models.notification import Notification, NotificationKind
from models.oauth import MastodonApp, OAuthState
from models.outbox import Reply, ReplyStatus, SendDecision
from models.post import Post, PostMedia, PostStatus, PostTarget
from models.presence import ConversationPresence, PresenceState
from models.review import ReviewWeek
from models.saved_view import SavedView
from models.snippet import Snippet
from models.team import Invitation, Membership, Role, User, UserSession, Workspace
from models.webhook import WebhookEvent

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "Channel",
    "ChannelHealth",
    "Conversation",
    "ConversationPresence",
    "ConversationStatus",
    "Direction",
    "Draft",
    "Fan",
    "FanSegment",
    "Identity",
    "Incident",
    "IncidentKind",
    "Invitation",
    "Label",
    "MastodonApp",
    "Membership",
    "Message",
    "MessageKind",
    "ModelVersion",
    "Note",
    "Notification",
    "NotificationKind",
    "OAuthState",
    "Post",
    "PostMedia",
    "PostStatus",
    "PostTarget",
    "PresenceState",
    "Priority",
    "Reply",
    "ReplyStatus",
    "ReviewWeek",
    "Role",
    "SavedView",
    "Segment",
    "SendDecision",
    "Snippet",
    "TriageCorrection",
    "User",
    "UserSession",
    "WebhookEvent",
    "Workspace",
    "conversation_labels",
    "utcnow",
]
