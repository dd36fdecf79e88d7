"""Base64 / base64url helpers.

Azure's REST formats mix the two alphabets (MAA: base64url outside, standard
base64 inside AzureGuest's TpmInfo; Key Vault: base64url without padding;
x5c: standard base64).  Decoders here are strict about the characters and
the length, and say which field was wrong.
"""
import base64
import binascii
import re

_URL_RE = re.compile(r'^[A-Za-z0-9_-]*={0,2}$')
_STD_RE = re.compile(r'^[A-Za-z0-9+/]*={0,2}$')
_ANY_RE = re.compile(r'^[A-Za-z0-9+/_-]*={0,2}$')


class DecodeError(ValueError):
    pass


def _decode(s, field, regex, altchars):
    if not isinstance(s, str):
        raise DecodeError('%s: expected a string' % field)
    if not regex.match(s):
        raise DecodeError('%s: invalid character for this encoding' % field)
    body = s.rstrip('=')
    pad = len(s) - len(body)
    if len(body) % 4 == 1 or (pad and (len(body) + pad) % 4):
        raise DecodeError('%s: invalid length' % field)
    body = body.replace('-', '+').replace('_', '/') if altchars else body
    try:
        return base64.b64decode(body + '=' * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as e:
        raise DecodeError('%s: %s' % (field, e)) from None


def url_decode(s, field='value'):
    """base64url, padding optional (MAA's own example pads runtimeData)."""
    return _decode(s, field, _URL_RE, True)


def std_decode(s, field='value'):
    return _decode(s, field, _STD_RE, False)


def any_decode(s, field='value'):
    """Either alphabet: AzureGuest fields are base64 in Microsoft's client
    and base64url in others, and MAA accepts both."""
    return _decode(s, field, _ANY_RE, True)


def url_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode('ascii')


def std_encode(b):
    return base64.b64encode(b).decode('ascii')
