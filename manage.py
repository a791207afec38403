#!/usr/bin/env python
"""Django's command-line utility; `truce` wraps it with the mission's own commands."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truce.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
