"""`flask signing-lists add|list|remove` and `flask signatures forget-pending`."""

import click

from app.signatures.fraud.lists import (
    BadListEntry,
    add_signing_list_entry,
    remove_signing_list_entry,
    signing_list_entries,
)
from app.signatures.retention import forget_stale_pending_signatures

signatures_cli = click.Group("signatures", help="Signatures kept no longer than needed.")


@signatures_cli.command("forget-pending")
def forget_pending_command():
    """Delete pending signatures older than PENDING_RETENTION_DAYS (a worker does it hourly)."""
    forgotten = forget_stale_pending_signatures()
    click.echo(f"Forgot {forgotten} pending signature(s) never confirmed.")


signing_lists_cli = click.Group(
    "signing-lists", help="Block or allow email domains, IP ranges and addresses when signing."
)


@signing_lists_cli.command("add")
@click.argument("list_name", type=click.Choice(["block", "allow"]))
@click.argument("kind", type=click.Choice(["domain", "network", "email"]))
@click.argument("pattern")
@click.option(
    "--action",
    type=click.Choice(["hold", "refuse"]),
    default="hold",
    show_default=True,
    help="For a block entry: hold for review, or refuse (nothing stored, the same answer).",
)
@click.option("--note", default="", help="Why, for the next person who reads the list.")
def add_command(list_name, kind, pattern, action, note):
    """Add PATTERN to a list: a domain (*.example.com), a network (CIDR) or an address."""
    try:
        entry = add_signing_list_entry(list_name, kind, pattern, action, note)
    except BadListEntry as error:
        click.echo(f"Not added: {error}.", err=True)
        raise SystemExit(2) from None
    click.echo(f"Added #{entry.id}: {list_name} {kind} {entry.pattern} ({entry.action}).")


@signing_lists_cli.command("list")
def list_command():
    """Print every entry: id, list, kind, pattern, action, note."""
    for e in signing_list_entries():
        click.echo(f"#{e.id:<5} {e.list_name:5} {e.kind:7} {e.pattern:40} {e.action:6} {e.note}")


@signing_lists_cli.command("remove")
@click.argument("entry_id", type=int)
def remove_command(entry_id):
    """Remove the entry with this id."""
    if not remove_signing_list_entry(entry_id):
        click.echo(f"There is no entry #{entry_id}.", err=True)
        raise SystemExit(1)
    click.echo(f"Removed #{entry_id}.")
