"""`workbench keys ...`: publisher keys for signing shared algorithms (wired into workbench/apps/cli.py by the lead).

    workbench keys generate --district D [--force]   make this machine's signing key for district D
    workbench keys list [--json]                      own keys and trusted keys, with key ids
    workbench keys export --district D                print D's PUBLIC key (PEM) to give to other districts
    workbench keys trust FILE --district D            trust a public key (PEM file, or - for stdin) for D's releases
    workbench keys untrust KEY_ID                     stop trusting a key

No command ever prints a private key. User errors raise WorkbenchError (printed by the main CLI, exit 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from workbench.core.i18n import t


def cmd_generate(args: argparse.Namespace) -> int:
    from workbench.features.sharing import keys

    own = keys.generate(args.district, force=args.force)
    print(t("cli.keys.generated", district=own.district, key_id=own.key_id, path=str(own.path)))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from workbench.features.sharing import keys

    own, trusted = keys.own_keys(), keys.trusted_keys()
    if args.json:
        print(json.dumps({"own": [{"district": k.district, "key_id": k.key_id} for k in own],
                          "trusted": [{"district": k.district, "key_id": k.key_id} for k in trusted]}, indent=2))
        return 0
    print(t("cli.keys.own_header"))
    for k in own:
        print(f"  {k.district:<24} {k.key_id}")
    if not own:
        print(f"  {t('cli.keys.none')}")
    print(t("cli.keys.trusted_header"))
    for k in trusted:
        print(f"  {k.district:<24} {k.key_id}")
    if not trusted:
        print(f"  {t('cli.keys.none')}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from workbench.features.sharing import keys

    sys.stdout.write(keys.export_public(args.district))
    return 0


def cmd_trust(args: argparse.Namespace) -> int:
    from workbench.features.sharing import keys

    source = sys.stdin.read() if args.file == "-" else args.file
    key = keys.trust(source, args.district)
    print(t("cli.keys.trusted", district=key.district, key_id=key.key_id))
    return 0


def cmd_untrust(args: argparse.Namespace) -> int:
    from workbench.features.sharing import keys

    for key in keys.untrust(args.key_id):
        print(t("cli.keys.untrusted", district=key.district, key_id=key.key_id))
    return 0


def add_parsers(subparsers: Any) -> argparse.ArgumentParser:
    """Add `keys` with generate, list, export, trust and untrust to the main parser's subparsers."""
    top = subparsers.add_parser("keys", help="publisher keys: sign what you share, trust other districts' keys")
    sub = top.add_subparsers(dest="keys_command", required=True)

    p = sub.add_parser("generate", help="make this machine's signing key for a district (kept private, mode 0600)")
    p.add_argument("--district", required=True, help="district name, e.g. haidian")
    p.add_argument("--force", action="store_true", help="replace an existing key (old releases stay verifiable)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("list", help="own keys and trusted keys with their key ids")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("export", help="print a district's public key (PEM) to give to other districts")
    p.add_argument("--district", required=True)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("trust", help="trust a public key for one district's releases")
    p.add_argument("file", help="PEM file with the public key, or - to read it from stdin")
    p.add_argument("--district", required=True, help="the district whose releases this key may sign")
    p.set_defaults(func=cmd_trust)

    p = sub.add_parser("untrust", help="stop trusting a key")
    p.add_argument("key_id", help="16-hex key id from `workbench keys list`")
    p.set_defaults(func=cmd_untrust)
    return top
