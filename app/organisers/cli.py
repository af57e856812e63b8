"""`flask organisers create|list`: accounts made on the command line, with a set-password link."""

import click
from email_validator import EmailNotValidError
from sqlalchemy import select

from app.core.urls import absolute_url
from app.extensions import db
from app.organisers.accounts.links import SET_PASSWORD, reset_token
from app.organisers.accounts.lookup import normalise_email
from app.organisers.accounts.provisioning import AccountExists, create_organiser
from app.organisers.models import Organiser

organisers_cli = click.Group("organisers", help="Create and list organiser accounts.")


@organisers_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Make the account a site admin.")
def create_command(email, admin):
    """Create a confirmed account for EMAIL and print a link to set its password.

    An existing account is left alone (exit status 1).
    """
    try:
        organiser = create_organiser(email, admin=admin)
    except EmailNotValidError as error:
        click.echo(f"Not a valid email address: {error}", err=True)
        raise SystemExit(2) from None
    except AccountExists:
        click.echo(f"An account for {normalise_email(email)} exists already.", err=True)
        raise SystemExit(1) from None
    token = reset_token(organiser, SET_PASSWORD)
    link = absolute_url("accounts.reset_password", token=token)
    kind = "site admin" if admin else "organiser"
    click.echo(f"Created {kind} {organiser.email}. Send them this link to set a password:")
    click.echo(link)


@organisers_cli.command("list")
def list_command():
    """Print every account: address, admin, confirmed, two-step login."""
    organisers = db.session.execute(select(Organiser).order_by(Organiser.email)).scalars()
    click.echo(f"{'email':40} {'admin':5} {'confirmed':9} two-step")
    for o in organisers:
        click.echo(
            f"{o.email:40} {'yes' if o.is_admin else 'no':5} "
            f"{'yes' if o.email_confirmed else 'no':9} {'on' if o.two_factor_enabled else 'off'}"
        )
