#!/usr/bin/env python3
"""secantusd-py, plus a lowercase ``collstats`` command alias.

Why this exists: the benchmark compares photophone's Mongo reader with Apache
Beam's own connector (``apache_beam.io.mongodbio.ReadFromMongoDB``) against
the same SecantusDB server. Beam sizes its source with
``db.command("collstats", coll)`` (lowercase, which mongod accepts as an alias),
but SecantusDB only implements ``collStats``, so Beam fails with
``no such command: 'collstats'``. This launcher registers the alias and then
runs the stock ``secantusd-py`` entry point (``secantus.cli:main``) unchanged,
so it takes exactly the same flags (--host, --port, --storage-path, --config,
--log-level, --auth, --standalone, --cache-size, ...). ``splitVector`` is still
missing; use ``ReadFromMongoDB(..., bucket_auto=True)``.

It touches SecantusDB internals, hence the hard version pin below.

    python bench/secantusd_beam_compat.py --host 127.0.0.1 --port P --storage-path DIR
"""

import sys
from importlib.metadata import PackageNotFoundError, version

REQUIRED = "0.7.0b3"  # the version whose internals were read for this hook

try:
    _installed = version("secantusdb")
except PackageNotFoundError:
    _installed = None
if _installed != REQUIRED:
    print(
        f"secantusd_beam_compat: needs secantusdb=={REQUIRED} (uses its internal API), "
        f"found {_installed or 'none'}",
        file=sys.stderr,
    )
    sys.exit(2)

from secantus import cli, commands  # noqa: E402  (only after the version check)


def _collstats_alias(doc, ctx):
    # The handler reads its collection name from doc["collStats"], so rename
    # the command key (keeping it first and the other fields as they are).
    renamed = {("collStats" if k == "collstats" else k): v for k, v in doc.items()}
    return commands._coll_stats(renamed, ctx)


def install_collstats_alias() -> None:
    # commands.dispatch() looks the first key of the command up in
    # commands._HANDLERS; anything missing there is "no such command".
    commands._HANDLERS.setdefault("collstats", _collstats_alias)
    # The RBAC table (used only with --auth) silently lets through commands
    # it does not list, so give the alias collStats's privilege requirement.
    commands._COMMAND_ACTIONS.setdefault("collstats", commands._COMMAND_ACTIONS["collStats"])


if __name__ == "__main__":
    install_collstats_alias()
    sys.exit(cli.main())
