"""Wallets: Arweave RSA keys that sign commitments (RSA-PSS with SHA-512).

An Arweave wallet is a 4096-bit RSA key (public exponent 65537), saved as a
JWK JSON file.  Its **address** is the SHA-256 of the public modulus ``n``,
base64url (43 characters); its **keyid** in signatures is ``n`` itself,
base64url.  Signatures are RSA-PSS over SHA-512 with a 64-byte salt, as
HyperBEAM's ``ar_wallet:sign/3`` makes them (so they are randomised: two
signatures of the same bytes differ, both verify).

>>> import aolab
>>> wallet = aolab.wallet.load(aolab.wallet.test_wallet_path("alice"))
>>> wallet.address
'Xgjo4N97QjT4tbaOHvxXvIDgTzmC9ELWCeZhzTsTop8'
>>> wallet.verify(b"hello", wallet.sign(b"hello"))
True

Reference: HyperBEAM ``src/ar_wallet.erl``, ``src/rsa_pss.erl`` at b2743e4a.
"""
from __future__ import annotations

import json
import pathlib

from .codecs.base64url import b64url, b64url_decode  # noqa: F401 - public here too
from .errors import CommitmentError
from .ids import address_of  # noqa: F401 - public here too

PUBLIC_EXPONENT = 65537
KEY_BITS = 4096
SALT_LENGTH = 64  # the SHA-512 digest length, as rsa_pss:sign/3 uses
DATA_WALLETS = pathlib.Path(__file__).resolve().parent.parent / "data" / "wallets"


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


class Wallet:
    """An RSA key pair (or a public key only, which can verify but not sign)."""

    def __init__(self, private_key=None, public_key=None):
        if private_key is None and public_key is None:
            raise CommitmentError("a wallet needs a private or a public key")
        self._private = private_key
        self._public = public_key if public_key is not None else private_key.public_key()
        numbers = self._public.public_numbers()
        if numbers.e != PUBLIC_EXPONENT:
            raise CommitmentError(f"Arweave wallets use the public exponent 65537, not {numbers.e}")
        self.modulus = _int_bytes(numbers.n)

    def __repr__(self) -> str:
        kind = "wallet" if self._private is not None else "public key"
        return f"<{kind} {self.address}>"

    @property
    def address(self) -> str:
        """SHA-256 of the modulus, base64url: the committer named in commitments."""
        return address_of(self.modulus)

    @property
    def keyid(self) -> str:
        """The modulus, base64url: the ``keyid`` of httpsig signatures."""
        return b64url(self.modulus)

    @property
    def can_sign(self) -> bool:
        """Whether this wallet holds a private key (a public-only wallet verifies only)."""
        return self._private is not None

    def sign(self, data: bytes) -> bytes:
        """RSA-PSS-SHA512 signature of *data*."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        if self._private is None:
            raise CommitmentError(f"{self!r} holds no private key: it can verify, not sign")
        return self._private.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA512()),
                                                    salt_length=SALT_LENGTH), hashes.SHA512())

    def verify(self, data: bytes, signature: bytes) -> bool:
        """True when *signature* is this key's RSA-PSS-SHA512 signature of *data*."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            self._public.verify(signature, data, padding.PSS(mgf=padding.MGF1(hashes.SHA512()),
                                                             salt_length=padding.PSS.AUTO),
                                hashes.SHA512())
            return True
        except (InvalidSignature, ValueError):
            return False

    def sign_pss_sha256(self, data: bytes) -> bytes:
        """RSA-PSS-SHA256 signature of *data* (32-byte salt): how ANS-104 data items are signed."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        if self._private is None:
            raise CommitmentError(f"{self!r} holds no private key: it can verify, not sign")
        return self._private.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                    salt_length=32), hashes.SHA256())

    def verify_pss_sha256(self, data: bytes, signature: bytes) -> bool:
        """True when *signature* is this key's RSA-PSS-SHA256 signature of *data* (any salt)."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            self._public.verify(signature, data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                             salt_length=padding.PSS.AUTO),
                                hashes.SHA256())
            return True
        except (InvalidSignature, ValueError):
            return False

    def public(self) -> "Wallet":
        """The same key without its private part."""
        return Wallet(public_key=self._public)

    # -- JWK ---------------------------------------------------------------
    def to_jwk(self) -> dict:
        """Arweave's JWK form (``kty, e, n`` and, with the private key, ``d, p, q, dp, dq, qi``)."""
        numbers = self._public.public_numbers()
        jwk = {"kty": "RSA", "e": b64url(_int_bytes(numbers.e)), "n": b64url(_int_bytes(numbers.n))}
        if self._private is not None:
            private = self._private.private_numbers()
            jwk.update({"d": private.d, "p": private.p, "q": private.q, "dp": private.dmp1,
                        "dq": private.dmq1, "qi": private.iqmp})
            jwk.update({k: b64url(_int_bytes(v)) for k, v in jwk.items() if isinstance(v, int)})
        return jwk

    def save(self, path) -> pathlib.Path:
        """Write the JWK JSON file (keys sorted, so the file is reproducible)."""
        path = pathlib.Path(path)
        path.write_text(json.dumps(self.to_jwk(), indent=1, sort_keys=True) + "\n")
        return path


def generate(bits: int = KEY_BITS) -> Wallet:
    """A new random wallet (4096-bit RSA, as Arweave's; about a second to make)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return Wallet(rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=bits))


def from_jwk(jwk: dict) -> Wallet:
    """A wallet from Arweave's JWK JSON (a dict)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
        raise CommitmentError("not an RSA JWK (expected a JSON object with kty: RSA)")
    try:
        n = int.from_bytes(b64url_decode(jwk["n"]), "big")
        e = int.from_bytes(b64url_decode(jwk["e"]), "big")
    except KeyError as exc:
        raise CommitmentError(f"JWK has no {exc.args[0]!r}") from None
    public = rsa.RSAPublicNumbers(e, n)
    if "d" not in jwk:
        return Wallet(public_key=public.public_key())
    values = {k: int.from_bytes(b64url_decode(jwk[k]), "big") for k in ("d", "p", "q")}
    p, q, d = values["p"], values["q"], values["d"]
    private = rsa.RSAPrivateNumbers(
        p, q, d,
        _jwk_int(jwk, "dp", d % (p - 1)), _jwk_int(jwk, "dq", d % (q - 1)),
        _jwk_int(jwk, "qi", pow(q, -1, p)), public)
    return Wallet(private.private_key())


def _jwk_int(jwk: dict, key: str, default: int) -> int:
    return int.from_bytes(b64url_decode(jwk[key]), "big") if key in jwk else default


def load(path) -> Wallet:
    """A wallet from a JWK JSON file."""
    try:
        jwk = json.loads(pathlib.Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise CommitmentError(f"cannot read wallet file {path}: {exc}") from None
    return from_jwk(jwk)


def from_keyid(keyid: str) -> Wallet:
    """The public key named by a signature's ``keyid`` (the modulus, base64url)."""
    return from_jwk({"kty": "RSA", "e": "AQAB", "n": keyid})


def test_wallet_path(name: str) -> pathlib.Path:
    """One of the committed demo wallets (``alice``, ``bob``, ``carol``, ``mallory``).

    They make notebooks reproducible; their private keys are public, so never
    use them for anything of value.
    """
    path = DATA_WALLETS / f"{name}.json"
    if not path.exists():
        raise CommitmentError(f"no demo wallet {name!r} in {DATA_WALLETS}")
    return path
