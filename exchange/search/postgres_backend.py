"""The PostgreSQL search backend (``SEARCH_BACKEND=postgres``): for several app servers.

Documents live in the ``search_documents`` table, so every server sees the same index, writes
are transactional and there is no index lock. The terms come from the same analysis module as
the Whoosh backend (:func:`exchange.search.documents.analyse`) and are stored as a
``tsvector`` built from them -- not re-parsed by a text search configuration -- so English
stemming and Korean bigrams behave identically:

* body terms with their positions (weight B) -- words, phrases (``<->``);
* ``t:`` + title terms (weight A) -- ``title:`` and the title boost in ranking;
* ``m:`` + model terms, ``w:`` + surface words (prefixes: ``'w:eval':*``), ``tw:`` + title
  words (suggestions).

Exact values (kind, institute, language, tags, domains) and the ACL tokens are columns (the
arrays with GIN indexes), so field filters, facets (``GROUP BY``) and the need-to-know filter
(``acl && :tokens``) are plain SQL. Snippets use the same highlighter as Whoosh over the
stored text (``ts_headline`` would re-parse text with a configuration that knows no Korean).

Differences from Whoosh, by design: a prefix of four letters or more matches every word it
starts (Whoosh keeps the 48 most frequent; for three letters it too finds them all), and
relevance is ``ts_rank_cd`` rather than BM25F, so the same hits may come in another order.
The contract tests (tests/search/test_backend_contract.py) hold both to the same hits, counts
and facets.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR, insert
from sqlalchemy.types import Text

from exchange.extensions import db
from exchange.search.documents import SearchDocument, analyse, stored_data
from exchange.search.models import SearchDocumentRow, SearchWord
from exchange.search.query import All, Any, Everything, Phrase, Prefix, Value, Words
from exchange.search.whoosh_backend import Filters, Matches

MAX_POSITION = 16383  # PostgreSQL's largest lexeme position

T = SearchDocumentRow.__table__


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(doc: SearchDocument) -> str:
    """The document's terms as a tsvector literal with positions and weights."""
    terms = analyse(doc)
    positions: dict[str, list[int]] = {}
    for pos, term in enumerate(terms.body, start=1):
        positions.setdefault(term, []).append(min(pos, MAX_POSITION))
    parts = []
    for term, where in positions.items():
        unique = sorted(set(where))[:256]  # PostgreSQL keeps at most 256 positions per lexeme
        parts.append(_lexeme(term) + ":" + ",".join(f"{p}B" for p in unique))
    title_positions: dict[str, list[int]] = {}
    for pos, term in enumerate(terms.title, start=1):
        title_positions.setdefault("t:" + term, []).append(pos)
    for term, where in title_positions.items():
        parts.append(_lexeme(term) + ":" + ",".join(f"{p}A" for p in sorted(set(where))[:256]))
    extra = {"m:" + t for t in terms.model}
    extra |= {"w:" + w for w in terms.words}
    extra |= {"tw:" + w for w in terms.title_words}
    parts.extend(_lexeme(term) for term in sorted(extra))
    return " ".join(parts)


def row(doc: SearchDocument) -> dict:
    return {
        "key": doc.key,
        "entity": doc.entity,
        "object_id": doc.object_id,
        "kind": doc.kind,
        "institute": doc.institute.casefold(),
        "lang": doc.language,
        "tags": [t.casefold() for t in doc.tags],
        "domains": list(doc.domains),
        "acl": sorted(doc.acl),
        "date": doc.date.date(),
        "year": doc.date.year,
        "tsv": tsvector_literal(doc),
        "data": stored_data(doc),
    }


def _tsquery(expression: str):
    return cast(literal(expression, Text), TSQUERY)


def _and(terms) -> str:
    return " & ".join(_lexeme(t) for t in terms)


class PostgresIndex:
    """Same interface as :class:`exchange.search.whoosh_backend.WhooshIndex`."""

    def __init__(self, engine_label: str = "postgresql"):
        self.label = engine_label

    # Management

    def current(self) -> str:
        return f"{self.label}:search_documents"

    def is_current_schema(self) -> bool:
        return True  # the table is part of the migrated schema

    def ensure(self) -> bool:
        return False

    def needs_rebuild(self) -> bool:
        from exchange.search.documents import count_all

        has_rows = db.session.scalar(select(T.c.key).limit(1)) is not None
        return not has_rows and count_all() > 0

    def close(self) -> None:
        pass

    def destroy(self) -> None:
        db.session.execute(delete(T))
        db.session.commit()

    #: Writes join the session's transaction (the indexer commits them with the outbox).
    transactional = True

    # Writing

    def _upsert(self, connection, docs: list[SearchDocument]) -> None:
        if not docs:
            return
        rows = [row(doc) for doc in docs]
        statement = insert(T).values(
            [{**r, "tsv": cast(literal(r["tsv"], Text), TSVECTOR)} for r in rows]
        )
        excluded = statement.excluded
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[T.c.key],
                set_={c.name: excluded[c.name] for c in T.columns if c.name != "key"},
            )
        )
        words = sorted({w for doc in docs for w in analyse(doc).words if len(w) <= 64})
        if words:
            connection.execute(
                insert(SearchWord.__table__)
                .values([{"word": w} for w in words])
                .on_conflict_do_nothing()
            )

    def write(self, docs: dict[str, SearchDocument | None], timeout: float = 0) -> None:
        """Apply documents (None: delete) in the session's transaction; the caller commits.

        There is no lock to wait for: the indexer marks its outbox rows done in the same
        transaction, so the documents and the outbox change together.
        """
        connection = db.session.connection()
        gone = [key for key, doc in docs.items() if doc is None]
        present = [doc for doc in docs.values() if doc is not None]
        if gone:
            connection.execute(delete(T).where(T.c.key.in_(gone)))
        for start in range(0, len(present), 200):
            self._upsert(connection, present[start : start + 200])

    def rebuild(self, batches, progress=None) -> int:
        """Replace every document in one transaction: readers see the old set until it commits.

        ``batches`` must not end the session's transaction (see documents.iter_all).
        """
        count = 0
        connection = db.session.connection()
        connection.execute(delete(T))
        for batch in batches:
            self._upsert(connection, batch)
            count += len(batch)
            if progress is not None:
                progress(len(batch))
        db.session.commit()
        return count

    # Reading

    def view(self) -> PostgresView:
        return PostgresView()


@dataclass
class _Compiled:
    condition: object
    rank: str  # a tsquery of the positive text parts, for ts_rank ("" when none)


class PostgresView:
    """Queries over ``search_documents`` for one reader (same methods as SearchView)."""

    def compile(self, tree: All, highlight: tuple[set, set] | None = None) -> _Compiled:
        terms, prefixes = highlight if highlight is not None else (set(), set())
        rank_parts: list[str] = []

        def node(part):
            if isinstance(part, Words):
                flat = [t for group in part.groups for t in group]
                terms.update(flat)
                prefix = {"title": "t:", "model": "m:"}.get(part.field or "", "")
                expression = _and(prefix + t for t in flat)
                if part.field is None:
                    rank_parts.append(expression)
                return T.c.tsv.op("@@")(_tsquery(expression))
            if isinstance(part, Phrase):
                terms.update(part.terms)
                if part.field is not None:
                    prefix = {"title": "t:", "model": "m:"}[part.field]
                    expression = _and(prefix + t for t in part.terms)
                else:
                    expression = " <-> ".join(_lexeme(t) for t in part.terms)
                    rank_parts.append(expression)
                return T.c.tsv.op("@@")(_tsquery(expression))
            if isinstance(part, Prefix):
                prefixes.add(part.prefix)
                return T.c.tsv.op("@@")(_tsquery(_lexeme("w:" + part.prefix) + ":*"))
            if isinstance(part, Value):
                if part.field in ("tag", "domain"):
                    column = T.c.tags if part.field == "tag" else T.c.domains
                    return column.contains(cast([part.value], ARRAY(Text)))
                column = {"kind": T.c.kind, "institute": T.c.institute, "lang": T.c.lang}[
                    part.field
                ]
                return column == part.value
            if isinstance(part, Everything):
                return true()
            if isinstance(part, Any):
                return or_(*(node(p) for p in part.parts))
            raise TypeError(part)

        include = and_(*(node(p) for p in tree.include))
        if tree.exclude:
            include = and_(include, not_(or_(*(node(p) for p in tree.exclude))))
        return _Compiled(include, " | ".join(f"({r})" for r in rank_parts))

    @staticmethod
    def _visible(tokens: frozenset[str], deny: frozenset[str]):
        condition = T.c.acl.op("&&")(cast(sorted(tokens), ARRAY(Text)))
        if deny:
            condition = and_(condition, T.c.key.not_in(sorted(deny)))
        return condition

    def _filters(self, filters: Filters):
        out = []
        for name in ("kind", "institute", "lang"):
            value = getattr(filters, name)
            if value:
                out.append(getattr(T.c, name) == value.casefold())
        if filters.tag:
            out.append(T.c.tags.contains(cast([filters.tag.casefold()], ARRAY(Text))))
        if filters.domain:
            out.append(T.c.domains.contains(cast([filters.domain.casefold()], ARRAY(Text))))
        from datetime import date

        if filters.date_from is not None:
            out.append(T.c.date >= date.fromordinal(filters.date_from))
        if filters.date_to is not None:
            out.append(T.c.date <= date.fromordinal(filters.date_to))
        return out

    def run(
        self,
        tree: All,
        tokens: frozenset[str],
        filters: Filters,
        *,
        sort: str = "relevance",
        offset: int = 0,
        limit: int = 10,
        deny: frozenset[str] = frozenset(),
    ) -> Matches:
        terms: set[str] = set()
        prefixes: set[str] = set()
        compiled = self.compile(tree, (terms, prefixes))
        where = and_(compiled.condition, self._visible(tokens, deny), *self._filters(filters))
        facets, total = self._facets(where)
        hits: list[dict] = []
        if total and offset < total:
            query = select(T.c.data).where(where)
            if sort == "date" or not compiled.rank:
                query = query.order_by(T.c.date.desc(), T.c.key.desc())
            else:
                rank = func.ts_rank_cd(
                    T.c.tsv, _tsquery(compiled.rank), bindparam("norm", 1, type_=Integer)
                )
                query = query.order_by(rank.desc(), T.c.key)
            hits = list(db.session.scalars(query.offset(offset).limit(limit)))
        return Matches(total, hits, facets, frozenset(terms), frozenset(prefixes))

    @staticmethod
    def _facets(where) -> tuple[dict[str, Counter], int]:
        """Counts per facet value and the total, by SQL over the matching rows."""
        m = (
            select(T.c.kind, T.c.institute, T.c.lang, T.c.year, T.c.tags, T.c.domains)
            .where(where)
            .cte("m")
        )
        tag = func.unnest(m.c.tags).table_valued("value").render_derived(name="tag")
        domain = func.unnest(m.c.domains).table_valued("value").render_derived(name="domain")
        parts = [
            select(literal("total"), literal(""), func.count()).select_from(m),
            *(
                select(literal(name), cast(column, Text), func.count())
                .select_from(m)
                .group_by(column)
                for name, column in (
                    ("kind", m.c.kind),
                    ("institute", m.c.institute),
                    ("lang", m.c.lang),
                    ("year", m.c.year),
                )
            ),
            select(literal("tag"), tag.c.value, func.count())
            .select_from(m.join(tag, true()))
            .group_by(tag.c.value),
            select(literal("domain"), domain.c.value, func.count())
            .select_from(m.join(domain, true()))
            .group_by(domain.c.value),
        ]
        facets: dict[str, Counter] = {
            name: Counter() for name in ("kind", "institute", "lang", "year", "domain", "tag")
        }
        total = 0
        for name, value, count in db.session.execute(union_all(*parts)):
            if name == "total":
                total = count
            else:
                facets[name][int(value) if name == "year" else value] = count
        return facets, total

    def count(self, tree: All, tokens: frozenset[str], deny: frozenset[str] = frozenset()) -> int:
        compiled = self.compile(tree)
        return (
            db.session.scalar(
                select(func.count()).where(compiled.condition, self._visible(tokens, deny))
            )
            or 0
        )

    def visible_word(
        self, word: str, tokens: frozenset[str], deny: frozenset[str] = frozenset()
    ) -> bool:
        condition = T.c.tsv.op("@@")(_tsquery(_lexeme("w:" + word)))
        found = db.session.scalar(
            select(T.c.key).where(condition, self._visible(tokens, deny)).limit(1)
        )
        return found is not None

    def spelling_candidates(self, word: str) -> list[str]:
        """Indexed surface words within one or two edits, most frequent first (as Whoosh)."""
        maxdist = 2 if len(word) >= 7 else 1
        rows = db.session.scalars(
            select(SearchWord.word).where(
                SearchWord.word.like(word[0].replace("%", r"\%").replace("_", r"\_") + "%"),
                func.length(SearchWord.word).between(len(word) - maxdist, len(word) + maxdist),
                SearchWord.word != word,
                func.levenshtein_less_equal(SearchWord.word, word, maxdist) <= maxdist,
            )
        ).all()
        if not rows:
            return []
        # Documents per candidate, in one statement (the order Whoosh gives: most frequent).
        counts = dict(
            db.session.execute(
                select(SearchWord.word, func.count(T.c.key))
                .join(
                    T,
                    T.c.tsv.op("@@")(cast(func.quote_literal("w:" + SearchWord.word), TSQUERY)),
                )
                .where(SearchWord.word.in_(rows[:50]))
                .group_by(SearchWord.word)
            ).all()
        )
        return sorted((w for w in counts if counts[w]), key=lambda w: (-counts[w], w))[:8]

    def titles(
        self,
        complete: list[str],
        partial: str,
        tokens: frozenset[str],
        limit: int,
        deny: frozenset[str] = frozenset(),
    ):
        parts = [_lexeme("t:" + t) for t in complete]
        if partial:
            parts.append(_lexeme("tw:" + partial) + ":*")
        if not parts:
            return []
        expression = " & ".join(parts)
        condition = T.c.tsv.op("@@")(_tsquery(expression))
        rank = func.ts_rank_cd(T.c.tsv, _tsquery(expression))
        rows = db.session.scalars(
            select(T.c.data)
            .where(condition, self._visible(tokens, deny))
            .order_by(rank.desc(), T.c.key)
            .limit(limit)
        )
        return list(rows)
