"""``manage.py normalize_emails [--dry-run]``: every stored address in its normal form.

Migration accounts.0002 ran this once. Accounts it left alone (two addresses
normalising to one, or an address with no normal form) are listed; once an
operator has resolved them in /admin/, this finishes the job.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.services import user_emails_normalize


class Command(BaseCommand):
    help = "Rewrite stored e-mail addresses to their normal form; list collisions, never merge."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only report what would change.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = user_emails_normalize(apply=not options["dry_run"])
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing written.")
        for user_id, old, new in report.changed:
            self.stdout.write(f"  {user_id}: {old!a} -> {new}")
        for line in report.lines():
            self.stdout.write(line)
