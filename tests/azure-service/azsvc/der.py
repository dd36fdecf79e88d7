"""Just enough DER to read what python3-cryptography 38 (Debian 12) does not
expose: RSASSA-PSS parameters of a certificate signature and the values of
AMD's and Intel's private certificate extensions."""


class DerError(ValueError):
    pass


def read_tlv(buf, pos=0):
    """Return (tag, value, next_pos) of the element at pos."""
    if pos + 2 > len(buf):
        raise DerError('truncated DER element')
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or pos + n > len(buf):
            raise DerError('bad DER length')
        length = int.from_bytes(buf[pos:pos + n], 'big')
        pos += n
    if pos + length > len(buf):
        raise DerError('DER element runs past its container')
    return tag, bytes(buf[pos:pos + length]), pos + length


def children(value):
    out, pos = [], 0
    while pos < len(value):
        tag, v, pos = read_tlv(value, pos)
        out.append((tag, v))
    return out


def decode_oid(v):
    if not v:
        raise DerError('empty OID')
    first = v[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    n = 0
    for b in v[1:]:
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(n)
            n = 0
    return '.'.join(str(p) for p in parts)


def decode_integer(v):
    if not v:
        raise DerError('empty INTEGER')
    return int.from_bytes(v, 'big', signed=True)


def ext_integer(raw):
    """A private extension whose value is a DER INTEGER (AMD's SPLs)."""
    tag, v, end = read_tlv(raw)
    if tag != 0x02 or end != len(raw):
        raise DerError('extension is not a single INTEGER')
    return decode_integer(v)


def ext_string(raw):
    """IA5String / UTF8String / PrintableString extension value."""
    tag, v, end = read_tlv(raw)
    if tag not in (0x16, 0x0C, 0x13) or end != len(raw):
        raise DerError('extension is not a string')
    return v.decode('ascii', 'replace')


HASH_OIDS = {
    '1.3.14.3.2.26': 'sha1',
    '2.16.840.1.101.3.4.2.1': 'sha256',
    '2.16.840.1.101.3.4.2.2': 'sha384',
    '2.16.840.1.101.3.4.2.3': 'sha512',
}
OID_RSASSA_PSS = '1.2.840.113549.1.1.10'
OID_MGF1 = '1.2.840.113549.1.1.8'


def certificate_signature_algorithm(cert_der):
    """(oid, parameters DER value or None) of Certificate.signatureAlgorithm."""
    tag, cert, _ = read_tlv(cert_der)
    if tag != 0x30:
        raise DerError('certificate is not a SEQUENCE')
    parts = children(cert)
    if len(parts) != 3 or parts[1][0] != 0x30:
        raise DerError('certificate does not have 3 parts')
    alg = children(parts[1][1])
    if not alg or alg[0][0] != 0x06:
        raise DerError('bad AlgorithmIdentifier')
    oid = decode_oid(alg[0][1])
    params = alg[1] if len(alg) > 1 else None
    return oid, params


def pss_parameters(params):
    """RSASSA-PSS-params -> (hash name, mgf1 hash name, salt length, trailer).
    Defaults per RFC 4055 are SHA-1 / MGF1-SHA-1 / 20 / 1."""
    h, mgf, salt, trailer = 'sha1', 'sha1', 20, 1
    if params is None:
        return h, mgf, salt, trailer
    tag, value = params
    if tag != 0x30:
        raise DerError('PSS parameters are not a SEQUENCE')
    for t, v in children(value):
        inner = children(v)
        if t == 0xA0:
            alg = children(inner[0][1])
            h = HASH_OIDS.get(decode_oid(alg[0][1]), '?')
        elif t == 0xA1:
            alg = children(inner[0][1])
            if decode_oid(alg[0][1]) != OID_MGF1:
                raise DerError('PSS mask generation is not MGF1')
            halg = children(alg[1][1])
            mgf = HASH_OIDS.get(decode_oid(halg[0][1]), '?')
        elif t == 0xA2:
            salt = decode_integer(inner[0][1])
        elif t == 0xA3:
            trailer = decode_integer(inner[0][1])
        else:
            raise DerError('unknown PSS parameter [%d]' % (t & 0x1F))
    return h, mgf, salt, trailer
