"""Compact JWS/JWT (RS256 only: what MAA, Entra ID and Key Vault sign with)
and JWK conversions."""
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import b64


class JoseError(ValueError):
    pass


def _json(obj):
    return json.dumps(obj, separators=(',', ':'), sort_keys=True).encode()


def sign_rs256(header, payload, key, corrupt=False):
    """Compact JWS.  corrupt=True flips a bit of the signature (fault
    injection: a well-formed token that does not verify)."""
    if isinstance(payload, (dict, list)):
        payload = _json(payload)
    signing_input = (b64.url_encode(_json(header)) + '.' + b64.url_encode(payload)).encode()
    sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    if corrupt:
        sig = bytes([sig[0] ^ 0x01]) + sig[1:]
    return signing_input.decode() + '.' + b64.url_encode(sig)


def split(token, what='token'):
    """Parse without verifying: (header, payload dict, signing input, sig)."""
    if not isinstance(token, str):
        raise JoseError('%s is not a string' % what)
    parts = token.split('.')
    if len(parts) != 3:
        raise JoseError('%s is not a compact JWS (3 dot-separated parts)' % what)
    try:
        header = json.loads(b64.url_decode(parts[0], what + ' header'))
        payload = json.loads(b64.url_decode(parts[1], what + ' payload'))
        sig = b64.url_decode(parts[2], what + ' signature')
    except (b64.DecodeError, ValueError) as e:
        raise JoseError('%s does not parse: %s' % (what, e)) from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JoseError('%s header and payload must be JSON objects' % what)
    return header, payload, (parts[0] + '.' + parts[1]).encode(), sig


def verify_rs256(token, keys, what='token'):
    """keys: {kid: RSAPublicKey}.  Returns (header, payload)."""
    header, payload, signing_input, sig = split(token, what)
    if header.get('alg') != 'RS256':
        raise JoseError('%s alg %r is not RS256' % (what, header.get('alg')))
    kid = header.get('kid')
    if not isinstance(kid, str) or kid not in keys:
        raise JoseError('%s kid %r is not one of the issuer\'s signing keys' % (what, kid))
    try:
        keys[kid].verify(sig, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise JoseError('%s signature does not verify' % what) from None
    return header, payload


def rsa_public_jwk(pub, **extra):
    n = pub.public_numbers()
    jwk = {'kty': 'RSA',
           'n': b64.url_encode(n.n.to_bytes((n.n.bit_length() + 7) // 8, 'big')),
           'e': b64.url_encode(n.e.to_bytes((n.e.bit_length() + 7) // 8, 'big'))}
    jwk.update(extra)
    return jwk


def rsa_public_from_jwk(jwk, what='key'):
    if not isinstance(jwk, dict) or jwk.get('kty') not in ('RSA', 'RSA-HSM'):
        raise JoseError('%s is not an RSA JWK' % what)
    try:
        n = int.from_bytes(b64.url_decode(jwk.get('n'), what + '.n'), 'big')
        e = int.from_bytes(b64.url_decode(jwk.get('e'), what + '.e'), 'big')
        return rsa.RSAPublicNumbers(e, n).public_key()
    except (b64.DecodeError, ValueError) as err:
        raise JoseError('%s: %s' % (what, err)) from None


def thumbprint_sha256_std(der):
    """MAA's kid: standard base64 of the SHA-256 of the certificate."""
    return b64.std_encode(hashlib.sha256(der).digest())
