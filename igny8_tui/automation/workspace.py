"""The operator's workspace: the account and its credits, sites, keyword import, listings."""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib.resources import as_file, files
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from igny8_tui.automation import credits
from igny8_tui.automation.keyword_csv import KeywordRow, merge_duplicates, read_keyword_csv
from igny8_tui.automation.retry import image_failure, publish_failure
from igny8_tui.automation.stages.publishing import alt_text
from igny8_tui.constants import MAX_BALANCE_MILLI, MAX_GRANT_CREDITS
from igny8_tui.db.engine import Database
from igny8_tui.db.models import (
    Account,
    AutomationConfig,
    Cluster,
    Content,
    ContentIdea,
    Image,
    Keyword,
    Site,
    Task,
)
from igny8_tui.errors import InvalidInputError, NotFoundError, first_validation_error
from igny8_tui.publish.markdown import markdown_body
from igny8_tui.publish.target import ArticleImage
from igny8_tui.schemas import (
    ArticleDetail,
    ArticleImageDetail,
    ClusterListing,
    ContentListing,
    CreditsReport,
    ImportReport,
    KeywordListing,
    NewSite,
    SiteInfo,
)
from igny8_tui.slugs import slugify

DEFAULT_ACCOUNT = "default"
DEMO_KEYWORDS = "demo_keywords.csv"
DEFAULT_IMAGES_PER_ARTICLE = 5


class Workspace:
    """Sites, keywords and credits: everything around the automation itself."""

    def __init__(self, db: Database, images_per_article: int = DEFAULT_IMAGES_PER_ARTICLE) -> None:
        self.db = db
        # What stage 5 makes per article (the settings' image_prompts_per_content).
        self.images_per_article = images_per_article

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
        """Grant credits; refused, storing nothing, when the amount is no sensible grant or the
        balance would outgrow its column."""
        milli = _grant_milli(amount)
        with self.db.write() as session:
            account = self._account(session)
            after = account.balance_milli + milli
            if after > MAX_BALANCE_MILLI:
                raise InvalidInputError(
                    f"--add: the balance would be {credits.shown(after)} credits; "
                    f"it holds at most {credits.shown(MAX_BALANCE_MILLI)}"
                )
            credits.grant(session, account.id, milli, note)
        return self.credits()

    # ----- sites -----

    def add_site(self, name: str, domain: str | None = None) -> SiteInfo:
        new = _new_site(name, domain)
        slug = slugify(new.name, fallback="site")
        try:
            with self.db.write() as session:
                account = self._account(session)
                site = Site(account_id=account.id, name=new.name, slug=slug, domain=new.domain)
                session.add(site)
                session.flush()
                session.add(AutomationConfig(account_id=account.id, site_id=site.id))
                return SiteInfo(id=site.id, name=site.name, slug=site.slug, domain=site.domain)
        except IntegrityError:
            raise InvalidInputError(
                f"site {new.name!r} already exists, or another site has its slug {slug!r}"
            ) from None

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

    def seed_demo(self, name: str, domain: str, grant: float) -> SiteInfo:
        """The demo site with the bundled gardening keywords and a credit grant, made once."""
        if name not in {s.name for s in self.list_sites()}:
            self.add_site(name, domain=domain)
            with as_file(files("igny8_tui") / "data" / DEMO_KEYWORDS) as path:
                self.import_keywords(name, path)
            if grant:
                self.add_credits(grant, note="demo grant")
        return self.site(name)

    # ----- keywords -----

    def import_keywords(self, site_ref: str | int, path: Path) -> ImportReport:
        """Import a CSV all or nothing; duplicates (by normalised text) are merged."""
        site = self.site(site_ref)
        rows = read_keyword_csv(path)
        merged_rows = merge_duplicates(rows)
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

    def content(
        self, site_ref: str | int, status: str | None = None, text: str | None = None
    ) -> list[ContentListing]:
        """The site's articles (draft, review, published), then its failed tasks (status
        failed, kind task: no article was written); optionally of one status, or with `text`
        in the title (case-insensitive)."""
        site = self.site(site_ref)
        with self.db.read() as session:
            listing: list[ContentListing] = []
            if status != "failed":
                listing += self._articles(session, site.id, status, text)
            if status in (None, "failed"):
                listing += _failed_tasks(session, site.id, text)
            return listing

    def article(self, site_ref: str | int, content_id: int) -> ArticleDetail:
        """One article with its images, failures and body as Markdown (NotFoundError if the
        site has no such article)."""
        site = self.site(site_ref)
        with self.db.read() as session:
            content = session.get(Content, content_id)
            if content is None or content.site_id != site.id:
                raise NotFoundError(
                    f"site {site.name} has no article {content_id}; "
                    f"`igny8 content list --site {site.name}` lists them"
                )
            return _article_detail(session, content)

    def _articles(
        self, session: Session, site_id: int, status: str | None, text: str | None
    ) -> list[ContentListing]:
        images = (
            select(
                Image.content_id,
                func.count().label("rows"),
                func.sum(case((Image.status == "generated", 1), else_=0)).label("made"),
            )
            .where(Image.site_id == site_id)
            .group_by(Image.content_id)
            .subquery()
        )
        query = (
            select(Content, Cluster.name, images.c.rows, images.c.made)
            .join(Task, Task.id == Content.task_id)
            .join(ContentIdea, ContentIdea.id == Task.idea_id)
            .outerjoin(Cluster, Cluster.id == ContentIdea.cluster_id)
            .outerjoin(images, images.c.content_id == Content.id)
            .where(Content.site_id == site_id)
            .order_by(Content.id)
        )
        if status is not None:
            query = query.where(Content.status == status)
        if text:
            query = query.where(Content.title.icontains(text, autoescape=True))
        return [
            ContentListing(
                id=c.id,
                title=c.title,
                words=c.word_count,
                status=c.status,
                published_path=c.published_path,
                cluster=cluster,
                images_made=made or 0,
                images_expected=self._images_expected(c, rows or 0),
                location=article_location(c),
            )
            for c, cluster, rows, made in session.execute(query)
        ]

    def _images_expected(self, content: Content, rows: int) -> int:
        """Its image rows once stage 5 made its prompts; before, as many as stage 5 will make
        (none for an article that went on without prompts)."""
        if content.has_image_prompts or content.status != "draft":
            return rows
        return self.images_per_article


def _article_detail(session: Session, content: Content) -> ArticleDetail:
    row = session.execute(
        select(ContentIdea.target_keywords, Cluster.name)
        .select_from(Task)
        .join(ContentIdea, ContentIdea.id == Task.idea_id)
        .outerjoin(Cluster, Cluster.id == ContentIdea.cluster_id)
        .where(Task.id == content.task_id)
    ).first()
    keywords, cluster = row if row is not None else ([], None)
    images = session.scalars(
        select(Image).where(Image.content_id == content.id).order_by(Image.position)
    ).all()
    failures = [f for f in map(image_failure, images) if f is not None]
    published = publish_failure(session, content)
    if published is not None:
        failures.append(published)
    return ArticleDetail(
        id=content.id,
        site_id=content.site_id,
        title=content.title,
        slug=content.slug,
        status=content.status,
        cluster=cluster,
        keywords=[str(k) for k in keywords],
        words=content.word_count,
        meta_title=content.meta_title,
        meta_description=content.meta_description,
        location=article_location(content),
        published_at=content.published_at,
        images=[
            ArticleImageDetail(
                id=i.id,
                kind=i.kind,
                position=i.position,
                status=i.status,
                prompt=i.prompt,
                file_path=i.file_path,
                remote_url=i.remote_url,
                error=i.error,
            )
            for i in images
        ],
        failures=failures,
        markdown=markdown_body(content.html, _in_article(images)),
    )


def _in_article(images: Sequence[Image]) -> list[ArticleImage]:
    """The generated in-article images, as the folder target places them in the body."""
    return [
        ArticleImage(
            kind="in_article",
            position=i.position,
            path=Path(i.file_path or ""),
            alt=alt_text(i.prompt),
            image_id=i.id,
        )
        for i in images
        if i.kind == "in_article" and i.status == "generated"
    ]


def article_location(content: Content) -> str | None:
    """Where the article is: its post's URL on a remote target, else its published file."""
    return content.remote_url or content.published_path


def _failed_tasks(session: Session, site_id: int, text: str | None) -> list[ContentListing]:
    query = (
        select(Task, Cluster.name)
        .join(ContentIdea, ContentIdea.id == Task.idea_id)
        .outerjoin(Cluster, Cluster.id == ContentIdea.cluster_id)
        .where(Task.site_id == site_id, Task.status == "failed")
        .order_by(Task.id)
    )
    if text:
        query = query.where(Task.title.icontains(text, autoescape=True))
    return [
        ContentListing(
            id=task.id,
            title=task.title,
            words=0,
            status="failed",
            published_path=None,
            cluster=cluster,
            kind="task",
        )
        for task, cluster in session.execute(query)
    ]


def _new_site(name: str, domain: str | None) -> NewSite:
    try:
        return NewSite(name=name, domain=domain)
    except ValidationError as exc:
        field, message = first_validation_error(exc)
        raise InvalidInputError(f"site {field}: {message}") from None


def _grant_milli(amount: float) -> int:
    """The grant in milli-credits, or InvalidInputError saying why it is none."""
    if not math.isfinite(amount):
        raise InvalidInputError(f"--add: must be a finite number of credits, got {amount:g}")
    if amount <= 0:
        raise InvalidInputError(f"--add: must be a positive number of credits, got {amount:g}")
    if amount > MAX_GRANT_CREDITS:
        raise InvalidInputError(
            f"--add: at most {MAX_GRANT_CREDITS:,} credits in one grant, got {amount:g}"
        )
    milli = credits.to_milli(amount)
    if milli == 0:
        raise InvalidInputError(
            f"--add: {amount:g} credits rounds to 0 (the ledger counts {credits.shown(1)} credits)"
        )
    return milli


def _new_keyword(site_id: int, key: str, row: KeywordRow) -> Keyword:
    return Keyword(
        site_id=site_id,
        text=row.keyword,
        text_norm=key,
        volume=row.volume,
        difficulty=row.difficulty,
        intent=row.intent,
    )
