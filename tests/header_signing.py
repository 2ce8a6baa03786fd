"""Header fields signed as RFC 9421 clients sign them (aoconnect, hbsig): the test helper
shared by the codec's and the HTTP node's tests of a header-sent ``data``."""
from __future__ import annotations

import base64

from aolab.codecs import httpsig


def header_signed(wallet, fields: dict) -> dict:
    """*fields* with a signature by *wallet* over every one of them, each value as sent,
    whatever httpsig@1.0 would make of the message."""
    names = sorted(fields)
    params = b';alg="rsa-pss-sha512";keyid="' + wallet.keyid.encode() + b'"'
    signature = wallet.sign(httpsig.signature_base_for(fields, names, params))
    name = httpsig.signature_name(wallet.address).encode()
    return {**fields, "signature": name + b"=:" + base64.b64encode(signature) + b":",
            "signature-input": name + b"=" + httpsig.signature_params(names, params)}
