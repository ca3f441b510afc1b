"""Keywords keyed by their NFKC form: a full-width or ligature keyword merges with its plain form.

Before this revision a keyword's key (keywords.text_norm) was its text case-folded with single
spaces; now it is NFKC too. Each stored key is recomputed from the keyword's text. Where two
stored keywords of a site would get the same key, the later one keeps its old key: merging them
would have to join their clusters and statuses, and a revision does not decide that. No schema
change; the downgrade leaves the keys, which the code before it reads as any other key."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_keywords = sa.table(
    "keywords",
    sa.column("id", sa.Integer),
    sa.column("site_id", sa.Integer),
    sa.column("text", sa.String),
    sa.column("text_norm", sa.String),
)


def _key(text: str) -> str:
    """keyword_identity.normalise_keyword as of this revision (a revision keeps its own copy)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            _keywords.c.id, _keywords.c.site_id, _keywords.c.text, _keywords.c.text_norm
        ).order_by(_keywords.c.id)
    ).all()
    taken = {(row.site_id, row.text_norm) for row in rows}
    for row in rows:
        key = _key(row.text)
        if key == row.text_norm or (row.site_id, key) in taken:
            continue
        conn.execute(sa.update(_keywords).where(_keywords.c.id == row.id).values(text_norm=key))
        taken.discard((row.site_id, row.text_norm))
        taken.add((row.site_id, key))


def downgrade() -> None:
    pass
