#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    from django.core.exceptions import ImproperlyConfigured

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as refused:
        # A setting the environment got wrong (a missing or short secret, a bad number): one line saying why
        # and exit code 1 (api.md "Production settings"), not a traceback. Other refusals keep theirs.
        if not _raised_by_settings(refused):
            raise
        sys.exit(str(refused))


def _raised_by_settings(error: BaseException) -> bool:
    frame = error.__traceback__
    while frame.tb_next is not None:
        frame = frame.tb_next
    return os.path.basename(frame.tb_frame.f_code.co_filename) == "settings.py" and (
        os.path.basename(os.path.dirname(frame.tb_frame.f_code.co_filename)) == "config"
    )


if __name__ == "__main__":
    main()
