"""Intake: how lead files become the `harvest` asset.

The inbox scan and landing (`inbox`, `landing`, `manual_lead`), the one check a
file passes before it lands, from the inbox or `cam ingest` (`screening`), reading
CSV exports of any common shape (`csv_reading`) strictly enough that a quote left
open refuses the file naming its line (`quoting`), mapping their headers to lead
fields (`headers`), normalising and deduplicating rows (`normalise`, `dedup`), the
harvest itself (`harvest`: accepted + rejected = rows read, file by file; a file that
cannot be read whole is refused, never half read) and Apollo People Search as a
lead source (`apollo_search`). `IntakeError`, defined here, is the one error a
user sees for a file that cannot be read; it names the file and the fix.

May import the shared layer, `cam_core.campaign` and `cam_core.state`; no other stage.
"""

from __future__ import annotations


class IntakeError(ValueError):
    """A file that cannot be read at all; the message names the file and the fix."""
