"""A campaign's signatures as CSV, read from the database in batches and written row by row."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from app.exports.csv import write_csv
from app.extensions import db
from app.signatures.models import CONFIRMED, STATES, Signature

# The columns an organiser may pick, in the order they are written.
COLUMNS = (
    "number",
    "name",
    "email",
    "postcode",
    "country",
    "state",
    "signed_at",
    "confirmed_at",
    "public",
    "contact_consent",
    "language",
    # Attribution: the channel and whose link (a signer's or an ally's code) brought it.
    "source",
    "referrer",
    # The answer to an ally's contact question: empty when none was asked. Kept apart from
    # the campaign's own consent, so a team can hand an ally only the people who said yes.
    "ally_contact_consent",
)
DEFAULT_COLUMNS = ("number", "name", "postcode", "country", "confirmed_at")
DEFAULT_STATES = (CONFIRMED,)
BATCH_SIZE = 1000
BOM = "\ufeff"


@dataclass(frozen=True)
class CsvOptions:
    """What goes into the file; built from Export.options (JSON) and back."""

    columns: tuple[str, ...] = DEFAULT_COLUMNS
    states: tuple[str, ...] = DEFAULT_STATES
    confirmed_from: date | None = None
    confirmed_to: date | None = None
    bom: bool = False
    # Owners may export every address; editors only those of signers who agreed to contact.
    all_emails: bool = False

    def to_json(self) -> dict:
        """The options as Export.options stores them."""
        return {
            "columns": list(self.columns),
            "states": list(self.states),
            "confirmed_from": self.confirmed_from.isoformat() if self.confirmed_from else None,
            "confirmed_to": self.confirmed_to.isoformat() if self.confirmed_to else None,
            "bom": self.bom,
            "all_emails": self.all_emails,
        }

    @classmethod
    def from_json(cls, data: dict) -> "CsvOptions":
        """Options read back from Export.options; unknown columns and states are dropped."""

        def day(value):
            return date.fromisoformat(value) if value else None

        return cls(
            columns=tuple(c for c in COLUMNS if c in (data.get("columns") or DEFAULT_COLUMNS)),
            states=tuple(s for s in STATES if s in (data.get("states") or DEFAULT_STATES)),
            confirmed_from=day(data.get("confirmed_from")),
            confirmed_to=day(data.get("confirmed_to")),
            bom=bool(data.get("bom")),
            all_emails=bool(data.get("all_emails")),
        )


def _conditions(campaign_id: int, options: CsvOptions) -> list:
    conditions = [Signature.campaign_id == campaign_id, Signature.state.in_(options.states)]
    if options.confirmed_from:
        start = datetime.combine(options.confirmed_from, time.min, tzinfo=UTC)
        conditions.append(Signature.confirmed_at >= start)
    if options.confirmed_to:
        # The whole last day counts.
        end = datetime.combine(options.confirmed_to + timedelta(days=1), time.min, tzinfo=UTC)
        conditions.append(Signature.confirmed_at < end)
    return conditions


def count_rows(campaign_id: int, options: CsvOptions) -> int:
    """How many signatures the file will have."""
    statement = select(func.count()).select_from(Signature)
    return db.session.execute(statement.where(*_conditions(campaign_id, options))).scalar_one()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return str(value)


def _rows(campaign_id: int, options: CsvOptions, on_progress, total: int) -> Iterator[list]:
    query = (
        select(
            Signature.name,
            Signature.email,
            Signature.postcode,
            Signature.country,
            Signature.state,
            Signature.created_at,
            Signature.confirmed_at,
            Signature.public,
            Signature.contact_consent,
            Signature.language,
            Signature.source,
            Signature.referrer,
            Signature.ally_contact_consent,
        )
        .where(*_conditions(campaign_id, options))
        .order_by(Signature.id)
    )
    # Its own connection, read in batches (a server-side cursor on PostgreSQL), so neither
    # the rows nor the progress commits on the session's connection disturb each other;
    # a plain reader on SQLite, which does not hold the write lock progress updates need.
    with db.engine.connect() as connection:
        connection = connection.execution_options(
            yield_per=BATCH_SIZE, stream_results=True, sqlite_begin="DEFERRED"
        )
        number = 0
        for row in connection.execute(query):
            number += 1
            values = {
                "number": number,
                "name": row.name,
                "email": (row.email if options.all_emails or row.contact_consent else ""),
                "postcode": row.postcode,
                "country": row.country,
                "state": row.state,
                "signed_at": row.created_at,
                "confirmed_at": row.confirmed_at,
                "public": row.public,
                "contact_consent": row.contact_consent,
                "language": row.language,
                "source": row.source,
                "referrer": row.referrer,
                "ally_contact_consent": row.ally_contact_consent,
            }
            yield [_text(values[column]) for column in options.columns]
            if number % BATCH_SIZE == 0:
                on_progress(number, total)
        on_progress(number, total)


def write_signatures_csv(
    stream,
    campaign_id: int,
    options: CsvOptions,
    on_progress: Callable[[int, int], None],
    total: int | None = None,
) -> None:
    """Write the campaign's signatures chosen by `options` to a text stream, as safe CSV."""
    total = count_rows(campaign_id, options) if total is None else total
    if options.bom:
        stream.write(BOM)
    write_csv(stream, options.columns, _rows(campaign_id, options, on_progress, total))
