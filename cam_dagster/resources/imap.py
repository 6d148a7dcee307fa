"""The `ImapResource`: the mailbox replies arrive in, read by `replies_imap_sensor`."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from cam_core.engagement.imap import Mailbox


class ImapResource(dg.ConfigurableResource):
    """The IMAP mailbox the campaigns' `reply_to` goes to, e.g.
    `imaps://replies%40acme.example@imap.acme.example:993/INBOX` (CAM_IMAP_URL; TLS unless
    the scheme is `imap://`). `password` is a secret: wire it with
    `dg.EnvVar("CAM_IMAP_PASSWORD")`. Without a URL the sensor skips: replies then come
    from elsewhere (a file, `cam replies`)."""

    url: str = Field(
        default="", description="mailbox URL, imaps://user@host:993/INBOX (CAM_IMAP_URL); empty: no mailbox"
    )
    password: str = Field(default="", description="the mailbox user's password (CAM_IMAP_PASSWORD)")
    limit: int = Field(default=500, description="messages taken in per sensor tick at most; the rest next tick")

    @property
    def configured(self) -> bool:
        return bool(self.url.strip())

    def mailbox(self) -> Mailbox:
        """The mailbox of `url`; a ValueError naming CAM_IMAP_URL and the expected shape when it is not one."""
        return Mailbox.from_url(self.url)
