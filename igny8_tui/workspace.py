"""The operator's workspace: the account and its credits, sites, keyword import, listings."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from igny8_tui.automation import credits
from igny8_tui.db.engine import Database
from igny8_tui.db.models import Account, AutomationConfig, Cluster, Content, Keyword, Site
from igny8_tui.errors import InvalidInputError, NotFoundError
from igny8_tui.slugs import slugify

DEFAULT_ACCOUNT = "default"
KEYWORD_COLUMNS = ("keyword", "volume", "difficulty", "intent")
INTENTS = ("informational", "commercial", "transactional", "navigational")


def normalise_keyword(text: str) -> str:
    return " ".join(text.casefold().split())


class SiteInfo(BaseModel):
    id: int
    name: str
    slug: str
    domain: str | None
    keywords: int = 0


class KeywordRow(BaseModel):
    """One row of a keyword CSV file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    keyword: str = Field(min_length=1, max_length=300)
    volume: int = Field(default=0, ge=0)
    difficulty: int | None = Field(default=None, ge=0, le=100)
    intent: Literal["informational", "commercial", "transactional", "navigational"] | None = None

    @field_validator("volume", "difficulty", "intent", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("volume", mode="after")
    @classmethod
    def _volume_default(cls, value: int | None) -> int:
        return value or 0

    @field_validator("intent", mode="before")
    @classmethod
    def _intent_lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


class ImportReport(BaseModel):
    site: str
    rows: int
    added: int
    merged: int


class KeywordListing(BaseModel):
    keyword: str
    volume: int
    difficulty: int | None
    intent: str | None
    status: str
    cluster: str | None


class ClusterListing(BaseModel):
    id: int
    name: str
    keywords: int
    status: str


class ContentListing(BaseModel):
    id: int
    title: str
    words: int
    status: str
    published_path: str | None


class CreditsReport(BaseModel):
    account: str
    balance: float
    ledger_sum: float


def read_keyword_csv(path: Path) -> list[KeywordRow]:
    """Every row of the file, or InvalidInputError naming the first bad line."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return list(_parse_rows(path, handle))
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not UTF-8 text") from None


def _parse_rows(path: Path, handle: object) -> Iterator[KeywordRow]:
    reader = csv.DictReader(handle)  # type: ignore[arg-type]
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "keyword" not in header:
        raise InvalidInputError(f"{path}:1: header row with a 'keyword' column is required")
    unknown = [h for h in header if h not in KEYWORD_COLUMNS]
    if unknown:
        raise InvalidInputError(
            f"{path}:1: unknown column {unknown[0]!r} (expected {', '.join(KEYWORD_COLUMNS)})"
        )
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InvalidInputError(f"{path}:{line}: more fields than the header has")
        try:
            yield KeywordRow.model_validate(row)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "row"
            raise InvalidInputError(f"{path}:{line}: {field}: {err['msg']}") from None


class Workspace:
    """Sites, keywords and credits: everything around the automation itself."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- account and credits -----

    def _account(self, session: Session) -> Account:
        account = session.scalars(select(Account).where(Account.name == DEFAULT_ACCOUNT)).first()
        if account is None:
            account = Account(name=DEFAULT_ACCOUNT)
            session.add(account)
            session.flush()
        return account

    def credits(self) -> CreditsReport:
        with self.db.write() as session:
            account = self._account(session)
            return CreditsReport(
                account=account.name,
                balance=credits.from_milli(account.balance_milli),
                ledger_sum=credits.from_milli(credits.ledger_sum_milli(session, account.id)),
            )

    def balance(self) -> float:
        """The default account's balance, read-only (0 before the account exists)."""
        with self.db.read() as session:
            milli = session.scalar(
                select(Account.balance_milli).where(Account.name == DEFAULT_ACCOUNT)
            )
            return credits.from_milli(milli or 0)

    def add_credits(self, amount: float, note: str = "granted by operator") -> CreditsReport:
        if amount <= 0:
            raise InvalidInputError(f"--add: must be a positive number of credits, got {amount:g}")
        with self.db.write() as session:
            account = self._account(session)
            credits.grant(session, account.id, credits.to_milli(amount), note)
        return self.credits()

    # ----- sites -----

    def add_site(self, name: str, domain: str | None = None) -> SiteInfo:
        name = name.strip()
        if not name or name.isdigit():
            raise InvalidInputError(f"site name {name!r}: give a name with at least one letter")
        try:
            with self.db.write() as session:
                account = self._account(session)
                site = Site(
                    account_id=account.id,
                    name=name,
                    slug=slugify(name, fallback="site"),
                    domain=domain,
                )
                session.add(site)
                session.flush()
                session.add(AutomationConfig(account_id=account.id, site_id=site.id))
                return SiteInfo(id=site.id, name=site.name, slug=site.slug, domain=site.domain)
        except IntegrityError:
            raise InvalidInputError(f"site {name!r} already exists") from None

    def list_sites(self) -> list[SiteInfo]:
        with self.db.read() as session:
            counts = dict(
                session.execute(
                    select(Keyword.site_id, func.count()).group_by(Keyword.site_id)
                ).all()
            )
            return [
                SiteInfo(
                    id=s.id, name=s.name, slug=s.slug, domain=s.domain, keywords=counts.get(s.id, 0)
                )
                for s in session.scalars(select(Site).order_by(Site.id))
            ]

    def site(self, ref: str | int) -> SiteInfo:
        """A site by id or name."""
        with self.db.read() as session:
            query = select(Site)
            if isinstance(ref, int) or str(ref).isdigit():
                query = query.where(Site.id == int(ref))
            else:
                query = query.where((Site.name == ref) | (Site.slug == ref))
            site = session.scalars(query).first()
            if site is None:
                raise NotFoundError(f"no site {ref!r}; `igny8 site list` shows the sites")
            return SiteInfo(id=site.id, name=site.name, slug=site.slug, domain=site.domain)

    # ----- keywords -----

    def import_keywords(self, site_ref: str | int, path: Path) -> ImportReport:
        """Import a CSV all or nothing; duplicates (by normalised text) are merged."""
        site = self.site(site_ref)
        rows = read_keyword_csv(path)
        merged_rows: dict[str, KeywordRow] = {}
        for row in rows:
            key = normalise_keyword(row.keyword)
            earlier = merged_rows.get(key)
            merged_rows[key] = row if earlier is None else _merge(earlier, row)
        added = 0
        with self.db.write() as session:
            existing = {
                k.text_norm: k
                for k in session.scalars(
                    select(Keyword).where(
                        Keyword.site_id == site.id, Keyword.text_norm.in_(list(merged_rows))
                    )
                )
            }
            for key, row in merged_rows.items():
                found = existing.get(key)
                if found is None:
                    session.add(_new_keyword(site.id, key, row))
                    added += 1
                else:
                    found.volume = max(found.volume, row.volume)
                    if row.difficulty is not None:
                        found.difficulty = row.difficulty
                    found.intent = row.intent or found.intent
        return ImportReport(site=site.name, rows=len(rows), added=added, merged=len(rows) - added)

    def keywords(self, site_ref: str | int, status: str | None = None) -> list[KeywordListing]:
        site = self.site(site_ref)
        with self.db.read() as session:
            query = (
                select(Keyword, Cluster.name)
                .outerjoin(Cluster, Cluster.id == Keyword.cluster_id)
                .where(Keyword.site_id == site.id)
                .order_by(Keyword.volume.desc(), Keyword.text_norm)
            )
            if status:
                query = query.where(Keyword.status == status)
            return [
                KeywordListing(
                    keyword=k.text,
                    volume=k.volume,
                    difficulty=k.difficulty,
                    intent=k.intent,
                    status=k.status,
                    cluster=cluster,
                )
                for k, cluster in session.execute(query)
            ]

    def clusters(self, site_ref: str | int) -> list[ClusterListing]:
        site = self.site(site_ref)
        with self.db.read() as session:
            rows = session.execute(
                select(Cluster, func.count(Keyword.id))
                .outerjoin(Keyword, Keyword.cluster_id == Cluster.id)
                .where(Cluster.site_id == site.id)
                .group_by(Cluster.id)
                .order_by(Cluster.id)
            )
            return [
                ClusterListing(id=c.id, name=c.name, keywords=n, status=c.status) for c, n in rows
            ]

    def content(self, site_ref: str | int) -> list[ContentListing]:
        site = self.site(site_ref)
        with self.db.read() as session:
            return [
                ContentListing(
                    id=c.id,
                    title=c.title,
                    words=c.word_count,
                    status=c.status,
                    published_path=c.published_path,
                )
                for c in session.scalars(
                    select(Content).where(Content.site_id == site.id).order_by(Content.id)
                )
            ]


def _merge(first: KeywordRow, second: KeywordRow) -> KeywordRow:
    return KeywordRow(
        keyword=first.keyword,
        volume=max(first.volume, second.volume),
        difficulty=second.difficulty if second.difficulty is not None else first.difficulty,
        intent=second.intent or first.intent,
    )


def _new_keyword(site_id: int, key: str, row: KeywordRow) -> Keyword:
    return Keyword(
        site_id=site_id,
        text=row.keyword,
        text_norm=key,
        volume=row.volume,
        difficulty=row.difficulty,
        intent=row.intent,
    )
