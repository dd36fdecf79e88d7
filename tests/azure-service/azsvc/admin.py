"""azure-service-admin: keys with release policies, fault switches, AK
certificates and the service's addresses, for tests and `make demo`."""
import argparse
import json
import os
import sys
import time
import urllib.parse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from . import b64, client, faults, jose, policy, tpm

TEE_TYPES = {'snp': ['sevsnpvm'], 'tdx': ['tdxvm'], 'any': ['sevsnpvm', 'tdxvm']}


def cvm_policy(authorities, flow='platform', tee='any', allow_debug=False):
    """The Azure CVM release policy shape (reference §4.2): the TEE type and
    azure-compliant-cvm, under x-ms-isolation-tee for AzureGuest tokens."""
    prefix = 'x-ms-isolation-tee.' if flow == 'guest' else ''
    types = TEE_TYPES[tee]
    type_cond = ({'claim': prefix + 'x-ms-attestation-type', 'equals': types[0]}
                 if len(types) == 1 else
                 {'anyOf': [{'claim': prefix + 'x-ms-attestation-type', 'equals': t}
                            for t in types]})
    conds = [type_cond]
    if not allow_debug:
        conds.append({'claim': prefix + 'x-ms-compliance-status',
                      'equals': 'azure-compliant-cvm'})
    return {'version': '1.0.0',
            'anyOf': [{'authority': a, 'allOf': conds} for a in authorities]}


def _ready(args):
    return client.load_ready(args.state, args.wait)


def _material(args):
    """(JWK with the private part, material bytes as Key Vault releases it)."""
    if args.rsa_size:
        key = rsa.generate_private_key(public_exponent=65537, key_size=args.rsa_size)
        n = key.private_numbers()
        u = lambda i: b64.url_encode(i.to_bytes((i.bit_length() + 7) // 8, 'big'))  # noqa
        jwk = {'kty': 'RSA', 'n': u(n.public_numbers.n), 'e': u(n.public_numbers.e),
               'd': u(n.d), 'p': u(n.p), 'q': u(n.q), 'dp': u(n.dmp1), 'dq': u(n.dmq1),
               'qi': u(n.iqmp)}
    elif args.ec_curve:
        from .keyvault import CURVES
        key = ec.generate_private_key(CURVES[args.ec_curve]())
        pn = key.public_key().public_numbers()
        size = (key.curve.key_size + 7) // 8
        jwk = {'kty': 'EC', 'crv': args.ec_curve,
               'x': b64.url_encode(pn.x.to_bytes(size, 'big')),
               'y': b64.url_encode(pn.y.to_bytes(size, 'big')),
               'd': b64.url_encode(key.private_numbers().private_value.to_bytes(size, 'big'))}
    else:
        raw = os.urandom(args.oct_size // 8)
        return {'kty': 'oct', 'k': b64.url_encode(raw)}, raw
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return jwk, der


def cmd_create_key(args):
    ready = _ready(args)
    c = client.Client(ready)
    if args.policy:
        with open(args.policy, 'rb') as f:
            pol_bytes = f.read()
    else:
        auths = args.authority or [ready['guest']['attest_url'] if args.guest_url
                                   else ready['attest_url']]
        pol_bytes = json.dumps(cvm_policy(auths, args.flow, args.tee, args.allow_debug),
                               indent=1).encode()
    try:
        policy.parse(pol_bytes)
    except policy.PolicyError as e:
        sys.stderr.write('azure-service-admin: %s\n' % e)
        return 2
    out = None
    if args.material_fd is not None:
        try:
            out = os.fdopen(args.material_fd, 'wb', closefd=False)
        except OSError as e:
            sys.stderr.write('azure-service-admin: --material-fd %d: %s\n' % (args.material_fd, e))
            return 2
    if args.server_side:
        if out is not None:
            sys.stderr.write('azure-service-admin: --server-side keys never leave the service; '
                             'no --material-fd\n')
            return 2
        kty = 'RSA-HSM' if args.rsa_size else 'EC-HSM' if args.ec_curve else 'oct-HSM'
        body = {'kty': kty, 'attributes': {'exportable': True},
                'release_policy': {'contentType': 'application/json; charset=utf-8',
                                   'data': b64.url_encode(pol_bytes), 'immutable': False}}
        if args.rsa_size:
            body['key_size'] = args.rsa_size
        elif args.ec_curve:
            body['crv'] = args.ec_curve
        else:
            body['key_size'] = args.oct_size
        bundle = c.kv('/keys/%s/create' % args.name, 'POST', body)
    else:
        jwk, material = _material(args)
        bundle = c.import_key(args.name, jwk, pol_bytes)
        if out is not None:
            out.write(material)
            out.flush()
        del material, jwk
    kid = bundle['key']['kid']
    if args.guest_url:
        u = urllib.parse.urlsplit(kid)
        kid = urllib.parse.urlunsplit(urllib.parse.urlsplit(ready['guest']['kv_url'])[:2]
                                      + u[2:])
    print(kid)
    return 0


def cmd_policy(args):
    auths = args.authority
    if not auths:
        ready = _ready(args)
        auths = [ready['guest']['attest_url'] if args.guest_url else ready['attest_url']]
    print(json.dumps(cvm_policy(auths, args.flow, args.tee, args.allow_debug), indent=1))
    return 0


def cmd_fault(args):
    ready = _ready(args)
    url = ready['admin_url'] + '/faults'
    if args.action == 'list':
        print(json.dumps(client.call(url)['faults'], indent=1))
    elif args.action == 'clear':
        client.call(url + ('/%d' % args.id if args.id else ''), 'DELETE')
    else:
        spec = {'kind': args.kind, 'target': args.target}
        for k in ('count', 'seconds', 'ms', 'status', 'retry_after'):
            if getattr(args, k) is not None:
                spec[k] = getattr(args, k)
        try:
            print(json.dumps(client.call(url, 'POST', spec, ok=(201,))))
        except client.HttpError as e:
            sys.stderr.write('azure-service-admin: %s\n'
                             % ((e.json or {}).get('error', {}).get('message') or e))
            return 2
    return 0


def cmd_ak_cert(args):
    ready = _ready(args)
    with open(args.ak_pub, 'rb') as f:
        data = f.read()
    if data.startswith(b'-----BEGIN'):
        pub = serialization.load_pem_public_key(data)
    else:
        pub = tpm.RsaPublic(data, args.ak_pub).public_key()
    r = client.call(ready['admin_url'] + '/ak-cert', 'POST',
                    {'jwk': jose.rsa_public_jwk(pub), 'vmid': args.vmid})
    der = b64.std_decode(r['cert'])
    with open(args.output, 'wb') as f:
        f.write(der)
    return 0


def cmd_env(args):
    ready = _ready(args)
    with open(os.path.join(args.state, 'env')) as f:
        sys.stdout.write(f.read())
    return 0 if ready else 1


def cmd_wait(args):
    deadline = time.monotonic() + args.wait
    while True:
        try:
            ready = client.load_ready(args.state)
            if client.wait_listening('127.0.0.1', ready['ports']['admin'], 1):
                client.call(ready['admin_url'] + '/status')
                return 0
        except (OSError, ValueError, client.HttpError):
            pass
        if time.monotonic() >= deadline:
            sys.stderr.write('azure-service-admin: the service in %s is not ready\n' % args.state)
            return 1
        time.sleep(0.1)


def cmd_stop(args):
    ready = _ready(args)
    client.call(ready['admin_url'] + '/shutdown', 'POST', ok=(202,))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog='azure-service-admin',
                                description='Admin helper of the local Azure-compatible '
                                            'service (TEST ONLY).')
    p.add_argument('--state', required=True, metavar='DIR', help='the service\'s state dir')
    p.add_argument('--wait', type=float, default=10, metavar='S',
                   help='wait up to S seconds for the service (default 10)')
    sub = p.add_subparsers(dest='cmd', required=True)

    def policy_opts(sp):
        sp.add_argument('--authority', action='append', metavar='URL',
                        help='attestation authority (repeatable; default: the service\'s '
                             'attestation URL)')
        sp.add_argument('--flow', choices=('platform', 'guest'), default='platform',
                        help='claims of SevSnpVm/TdxVm tokens (platform) or of AzureGuest '
                             'tokens, under x-ms-isolation-tee (guest)')
        sp.add_argument('--tee', choices=tuple(TEE_TYPES), default='any')
        sp.add_argument('--allow-debug', action='store_true',
                        help='do not require azure-compliant-cvm (debug guests pass)')
        sp.add_argument('--guest-url', action='store_true',
                        help='use the addresses a QEMU guest sees (10.0.2.2)')

    ck = sub.add_parser('create-key', help='create an exportable key with a release policy; '
                        'print its URL')
    ck.add_argument('--name', required=True)
    ck.add_argument('--policy', metavar='FILE', help='release policy JSON (default: the CVM '
                    'policy built from --authority/--flow/--tee)')
    policy_opts(ck)
    g = ck.add_mutually_exclusive_group()
    g.add_argument('--oct-size', type=int, choices=(128, 192, 256), default=256)
    g.add_argument('--rsa-size', type=int, choices=(2048, 3072, 4096))
    g.add_argument('--ec-curve', choices=('P-256', 'P-384', 'P-521'))
    ck.add_argument('--material-fd', type=int, metavar='N',
                    help='write the key material (raw for oct, PKCS#8 DER otherwise) to this '
                         'open file descriptor, for tests to compare')
    ck.add_argument('--server-side', action='store_true',
                    help='let the service generate the key (POST create); material unknown')
    ck.set_defaults(func=cmd_create_key)

    pp = sub.add_parser('policy', help='print a CVM release policy')
    policy_opts(pp)
    pp.set_defaults(func=cmd_policy)

    fp = sub.add_parser('fault', help='fault switches')
    fsub = fp.add_subparsers(dest='action', required=True)
    fa = fsub.add_parser('add', help='add a fault: KIND TARGET')
    fa.add_argument('kind', choices=tuple(faults.KINDS))
    fa.add_argument('target', nargs='?', default='*')
    fa.add_argument('--count', type=int)
    fa.add_argument('--seconds', type=int)
    fa.add_argument('--ms', type=int)
    fa.add_argument('--status', type=int)
    fa.add_argument('--retry-after', type=int)
    fsub.add_parser('list')
    fc = fsub.add_parser('clear')
    fc.add_argument('id', nargs='?', type=int)
    fp.set_defaults(func=cmd_fault)

    ap = sub.add_parser('issue-ak-cert', help='certify a vTPM AK with the TEST vTPM CA')
    ap.add_argument('--ak-pub', required=True, metavar='FILE',
                    help='TPM2B_PUBLIC (tpm2_readpublic -f tss) or PEM public key')
    ap.add_argument('--vmid', required=True)
    ap.add_argument('-o', '--output', required=True, metavar='FILE', help='DER certificate')
    ap.set_defaults(func=cmd_ak_cert)

    sub.add_parser('env', help='print the AZSVC_* variables').set_defaults(func=cmd_env)
    sub.add_parser('wait', help='wait until the service answers').set_defaults(func=cmd_wait)
    sub.add_parser('stop', help='stop the service').set_defaults(func=cmd_stop)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except client.HttpError as e:
        msg = (e.json or {}).get('error')
        sys.stderr.write('azure-service-admin: %s\n'
                         % (msg.get('message') if isinstance(msg, dict) else e))
        return 1
    except (OSError, ValueError) as e:
        sys.stderr.write('azure-service-admin: %s\n' % e)
        return 1
