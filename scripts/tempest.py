#!/usr/bin/env python3
"""Run upstream Tempest 47.0.0 (and its plugins) against pocketstack.

One command from a fresh clone::

    python3 scripts/tempest.py --service identity
    python3 scripts/tempest.py --list ../shared/conformance/tempest47-identity.txt
    python3 scripts/tempest.py --regex 'tempest\\.api\\.identity'
    python3 scripts/tempest.py --baseline
    python3 scripts/tempest.py --url http://127.0.0.1:5000 --admin-password PW --service image

What it does:

1. creates (or reuses) a virtualenv with Tempest and the plugins at
   ~/.cache/pocketstack/tempest-47.0.0;
2. starts ``pocketstack serve`` on a free port with a fresh data directory
   (or uses ``--url``) and waits for ``/healthcheck``;
3. writes ``tempest.conf`` from what the running cloud shows (catalog, version
   documents, images, flavors, networks, extensions);
4. runs the selection with ``tempest run``;
5. reads the subunit stream, prints a table per service, writes ``--json`` and
   ``--write-passing``; with ``--baseline`` exits 1 when a baseline test did
   not pass;
6. stops the server it started (SIGTERM to its PID) and removes the temporary
   files, also on Ctrl-C.

Only the standard library is needed (PyYAML is not required). The code is in
``scripts/tempestkit/``: venv, server, conf (tempest.conf), results, cli.
"""

import sys

from tempestkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
