#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

A configuration that cannot work (ecommerce.config) stops any command, the
worker (rqworker) and the scheduler (rqcron) included, with one line per
problem on stderr and exit code 2.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecommerce.settings")
    from ecommerce import config

    with config.exit_on_error():
        # Before Django: it would turn a bad settings module into a traceback or,
        # for `help`, into a note and exit 0.
        config.load()
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
