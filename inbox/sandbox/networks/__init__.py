"""One style per network the sandbox can imitate, by the network's name."""

from __future__ import annotations

from collections.abc import Mapping

from inbox.sandbox.networks.base import Ids, NetworkStyle
from inbox.sandbox.networks.bluesky import BlueskyStyle
from inbox.sandbox.networks.facebook import FacebookStyle
from inbox.sandbox.networks.instagram import InstagramStyle
from inbox.sandbox.networks.mail import MailStyle
from inbox.sandbox.networks.mastodon import MastodonStyle
from inbox.sandbox.networks.x import XStyle
from inbox.sandbox.networks.youtube import YouTubeStyle

STYLES: Mapping[str, NetworkStyle] = {
    style.network: style
    for style in (
        XStyle(),
        BlueskyStyle(),
        InstagramStyle(),
        YouTubeStyle(),
        MastodonStyle(),
        FacebookStyle(),
        MailStyle(),
    )
}


def style_for(network: str) -> NetworkStyle:
    try:
        return STYLES[network]
    except KeyError:
        raise ValueError(
            f"the sandbox does not imitate {network!r}; it knows {sorted(STYLES)}"
        ) from None


__all__ = ["STYLES", "Ids", "NetworkStyle", "style_for"]
