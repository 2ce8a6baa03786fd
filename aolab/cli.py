"""The ``aolab`` command: ``aolab serve`` runs a node over HTTP.

``aolab serve --port 8734 --wallet data/wallets/alice.json`` serves a node
whose operator is that wallet (it signs every answer) on 127.0.0.1:8734
until interrupted; ``--store DIR`` keeps its messages on disk.
"""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """The ``aolab`` command (``aolab serve ...``); returns the exit status."""
    parser = argparse.ArgumentParser(prog="aolab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a node over HTTP, as HyperBEAM does")
    serve.add_argument("--port", type=int, default=8734, help="TCP port (0: a free one)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--wallet", help="the operator's Arweave JWK file (signs the answers)")
    serve.add_argument("--name", default="node", help="the node's name")
    serve.add_argument("--store", help="a folder for a disk store (default: in memory)")
    serve.add_argument("--max-body", type=int, default=None, help="largest request body, bytes")
    serve.add_argument("--timeout", type=float, default=None, help="longest request, seconds")
    serve.add_argument("--no-record", action="store_true", help="do not record the trace")
    args = parser.parse_args(argv)
    return _serve(args)


def _serve(args) -> int:
    from . import wallet as wallets
    from .errors import AolabError
    from .http_server import Server
    from .node import Node

    try:
        key = wallets.load(args.wallet) if args.wallet else None
    except (OSError, ValueError, AolabError) as exc:
        print(f"aolab serve: cannot read the wallet {args.wallet}: {exc}", file=sys.stderr)
        return 2
    node = Node(name=args.name, operator_key=key, store=args.store, record=not args.no_record)
    limits = {k: v for k, v in (("max_body", args.max_body), ("timeout", args.timeout))
              if v is not None}
    try:
        server = Server(node, args.host, args.port, log_level="info", **limits)
    except OSError as exc:
        print(f"aolab serve: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(f"aolab node {node.name!r} (operator {node.config['operator']}) serving on {server.url}",
          flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
