"""The database schema of Unplugged: one module per aggregate, no Flask.

Importing this package registers every table on :data:`Base.metadata`, which
is what Alembic compares the migrations against.
"""

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
from models.fan import Fan, Identity, Segment
from models.learning import ModelVersion, TriageCorrection
from models.notification import Notification, NotificationKind
from models.oauth import MastodonApp, OAuthState
from models.outbox import Reply, ReplyStatus
from models.presence import ConversationPresence, PresenceState
from models.saved_view import SavedView
from models.team import Membership, Role, User, UserSession, Workspace
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
    "Fan",
    "Identity",
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
    "PresenceState",
    "Priority",
    "Reply",
    "ReplyStatus",
    "Role",
    "SavedView",
    "Segment",
    "TriageCorrection",
    "User",
    "UserSession",
    "WebhookEvent",
    "Workspace",
    "conversation_labels",
    "utcnow",
]
