"""Site admins keep the block and allow lists for signing from a page (the CLI does it too)."""

import re

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.signatures.models import SigningListEntry
from tests.factories import form_as_shown, log_in_as, make_organiser


def entries() -> list[tuple]:
    db.session.expire_all()
    rows = db.session.execute(
        select(
            SigningListEntry.list_name,
            SigningListEntry.kind,
            SigningListEntry.pattern,
            SigningListEntry.action,
        )  # fmt: skip
    )
    return [tuple(row) for row in rows]


def test_an_admin_adds_and_removes_entries(client):
    admin = make_organiser(email="admin@example.org", admin=True)
    log_in_as(client, admin)
    form = form_as_shown(client.get("/admin/signing-lists").get_data(as_text=True))
    added = client.post(
        "/admin/signing-lists",
        data={
            **form,
            "list_name": "block",
            "kind": "network",
            "pattern": "203.0.113.9/24",
            "action": "refuse",
            "note": "a botnet",
        },  # fmt: skip
    )
    assert added.status_code == 303
    assert entries() == [("block", "network", "203.0.113.0/24", "refuse")]
    page = client.get("/admin/signing-lists").get_data(as_text=True)
    assert "203.0.113.0/24" in page and "a botnet" in page

    refused = client.post(
        "/admin/signing-lists",
        data={**form, "list_name": "block", "kind": "network", "pattern": "not an address"},
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert re.search(r'id="pattern-error">.*This cannot match', text, re.S)
    assert len(entries()) == 1

    entry_id = db.session.scalar(select(SigningListEntry.id))
    removed = client.post(
        f"/admin/signing-lists/{entry_id}/remove", data={"csrf_token": form["csrf_token"]}
    )
    assert removed.status_code == 303 and entries() == []
    missing = client.post(
        f"/admin/signing-lists/{entry_id}/remove", data={"csrf_token": form["csrf_token"]}
    )
    assert missing.status_code == 404
    actions = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id).where(
            AuditEvent.subject_type == "signing_list_entry"
        )
    ).all()
    assert [tuple(a) for a in actions] == [
        ("signing_list.block_added", admin.id),
        ("signing_list.block_removed", admin.id),
    ]


def test_removing_needs_the_csrf_token(client):
    admin = make_organiser(email="admin@example.org", admin=True)
    log_in_as(client, admin)
    db.session.add(SigningListEntry(list_name="block", kind="domain", pattern="*.x.example"))
    db.session.commit()
    entry_id = db.session.scalar(select(SigningListEntry.id))
    assert client.post(f"/admin/signing-lists/{entry_id}/remove").status_code == 400
    assert len(entries()) == 1
