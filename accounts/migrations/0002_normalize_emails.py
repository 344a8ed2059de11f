"""Every stored e-mail address in its normal form (accounts.email_address).

Until now register applied NFKC and lower-casing, while profile updates and
login only lower-cased: addresses such as ``bob@<fullwidth s>hop.test`` exist
beside ``bob@shop.test`` and reach the same mailbox. This rewrites each
address to its normal form, except where two accounts would end up with one
address, or an address has no normal form (invisible characters,
mixed-script domain): those rows are left exactly as they are and listed in
migrate's output and the log, for an operator to resolve in /admin/ before
running ``manage.py normalize_emails`` (the same pass). Nothing is merged.

Reverse: nothing to undo. The old spellings were the problem; the previous
release reads normalised addresses as they are (it lower-cases its input, so
only an internationalised domain, now stored as ``xn--`` ASCII, would not
match while both releases run).
"""

import logging

from django.db import migrations

logger = logging.getLogger("accounts.migrations")


def normalize(apps, schema_editor):
    from accounts.services import user_emails_normalize

    report = user_emails_normalize(users=apps.get_model("accounts", "User").objects)
    if not report.changed and not report.collisions and not report.invalid:
        return
    lines = report.lines()
    print("\n" + "\n".join(lines))
    if report.collisions or report.invalid:
        logger.warning("\n".join(lines))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(normalize, migrations.RunPython.noop, elidable=True),
    ]
