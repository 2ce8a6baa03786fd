"""Codecs: how a message becomes bytes, and so how its ID is computed.

- :mod:`aolab.codecs.structured` (structured@1.0): typed values <-> TABM with ``ao-types``;
- :mod:`aolab.codecs.httpsig` (httpsig@1.0): TABM -> HTTP fields and body, the
  signature base, hmac-sha256 commitments;
- :mod:`aolab.codecs.ans104` (ans104@1.0): messages <-> ANS-104 data items, the
  form Arweave stores, over :mod:`aolab.codecs.dataitem` (the binary format).
"""

from . import ans104  # noqa: E402,F401  (registers its commitment verifier with httpsig@1.0)
