"""The process: configuration, state directory, listeners, logging, the
admin (fault switch) port, ready file and SIGTERM shutdown."""
import argparse
import datetime
import hashlib
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
import urllib.request
import uuid

from . import b64, faults, http, imds, jose, keyvault, maa, pki, policy, sim, x509util
from .http import ApiError, Response

DEFAULT_PORTS = {'attest': 8443, 'kv': 8444, 'imds': 8480, 'admin': 8490}
GUEST_HOST = '10.0.2.2'   # QEMU user networking: the host's loopback, seen from the guest
CLOCK_SKEW = 300


def _uuid(seed):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, 'cvmattest-azure-service:' + seed))


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog='azure-service',
        description='Local Azure-compatible service for cvmattest TESTS: Microsoft Azure '
                    'Attestation, Key Vault / Managed HSM secure key release and IMDS. '
                    'Everything it signs uses TEST keys from its state directory.')
    p.add_argument('--state', required=True, metavar='DIR',
                   help='state directory: TEST PKI, keys, log, ready file (created if missing)')
    p.add_argument('--bind', default='127.0.0.1', metavar='ADDR',
                   help='address to listen on (default 127.0.0.1; a QEMU guest with user '
                        'networking reaches it as 10.0.2.2)')
    for name, port in DEFAULT_PORTS.items():
        p.add_argument('--port-' + name, type=int, default=port, metavar='N',
                       help='%s port (default %d; 0 picks a free one)' % (name, port))
    p.add_argument('--name', action='append', default=[], metavar='HOST', dest='names',
                   help='another host name or address clients use (TLS SAN, accepted Host); '
                        'always included: localhost, 127.0.0.1, 10.0.2.2 and --bind')
    p.add_argument('--kv-flavor', choices=('mhsm', 'vault'), default='mhsm',
                   help='Managed HSM (default: oct-HSM keys, audience managedhsm.azure.net) or '
                        'Key Vault Premium (no symmetric keys, audience vault.azure.net)')
    p.add_argument('--sim-bin', metavar='DIR', help='directory of cvmattest-sim '
                   '(default: build/sim of this tree, or $CVMATTEST_SIM_BIN)')
    p.add_argument('--sim-keys', metavar='DIR', help='key directory passed to cvmattest-sim')
    p.add_argument('--amd-roots', action='append', default=[], metavar='PEM',
                   help='trusted AMD ARK/ASK PEM file (repeatable; default: the simulated '
                        'platform\'s TEST roots for milan, genoa and turin)')
    p.add_argument('--intel-root', action='append', default=[], metavar='PEM',
                   help='trusted Intel SGX root (default: the simulated platform\'s TEST root)')
    p.add_argument('--vtpm-ca', action='append', default=[], metavar='PEM',
                   help='extra trusted vTPM AK CA (the state dir\'s TEST vTPM CA is always '
                        'trusted)')
    p.add_argument('--thim-product', choices=sim.PRODUCTS, default='milan',
                   help='product of the chip THIM certifies (default milan)')
    p.add_argument('--thim-chip-id', metavar='HEX', help='CHIP_ID THIM certifies (default: '
                   'the simulated platform\'s default chip)')
    p.add_argument('--thim-tcb', metavar='HEX', help='REPORTED_TCB (u64, hex) of that VCEK')
    p.add_argument('--tenant-id', default=_uuid('tenant'))
    p.add_argument('--mi-client-id', default=_uuid('mi-client'))
    p.add_argument('--mi-object-id', default=_uuid('mi-object'))
    p.add_argument('--mi-res-id', default='/subscriptions/%s/resourcegroups/cvmattest/providers/'
                   'Microsoft.ManagedIdentity/userAssignedIdentities/cvmattest-test'
                   % _uuid('subscription'))
    p.add_argument('--kv-allow-oid', action='append', default=[], metavar='OID',
                   help='object ids allowed to use Key Vault (default: the managed identity)')
    p.add_argument('--trusted-authority', action='append', default=[], metavar='URL',
                   help='another attestation service whose tokens Key Vault accepts (its keys '
                        'are fetched by OpenID discovery, TLS checked against --authority-ca)')
    p.add_argument('--authority-ca', metavar='PEM', help='CA bundle for --trusted-authority')
    p.add_argument('--fault', action='append', default=[], metavar='SPEC',
                   help='fault switch active from start: KIND@TARGET[,count=N][,seconds=S]'
                        '[,ms=N][,status=N][,retry_after=S] (see README)')
    p.add_argument('--ready-file', metavar='FILE',
                   help='where to write the ready JSON (default STATE/ready.json); STATE/env '
                        'gets the same as shell variables')
    p.add_argument('--print-env', action='store_true',
                   help='print the AZSVC_* variables on stdout once listening')
    p.add_argument('--log', metavar='FILE', help='request log (default STATE/service.log); '
                   '"-" for stderr')
    a = p.parse_args(argv)
    for n in DEFAULT_PORTS:
        port = getattr(a, 'port_' + n)
        if not 0 <= port <= 65535:
            p.error('--port-%s: %d is not a port' % (n, port))
    if a.thim_chip_id is not None:
        try:
            a.thim_chip_id = bytes.fromhex(a.thim_chip_id).ljust(64, b'\0')[:64]
        except ValueError:
            p.error('--thim-chip-id is not hex')
    if a.thim_tcb is not None:
        try:
            a.thim_tcb = int(a.thim_tcb, 16)
        except ValueError:
            p.error('--thim-tcb is not hex')
    a.kv_allowed_oids = set(a.kv_allow_oid or [a.mi_object_id])
    try:
        a.faults = [faults.parse_spec(s) for s in a.fault]
        for spec in a.faults:
            faults.Fault(spec)
    except faults.FaultError as e:
        p.error('--fault: %s' % e)
    return a


class Service:
    def __init__(self, cfg):
        self.cfg = cfg
        self.state = os.path.abspath(cfg.state)
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        self.log_lock = threading.Lock()
        self.log_file = None
        if cfg.log != '-':
            path = cfg.log or os.path.join(self.state, 'service.log')
            self.log_file = open(path, 'a', buffering=1)
        names = {'localhost', '127.0.0.1', GUEST_HOST, cfg.bind}
        names.update(n.lower() for n in cfg.names)
        names.discard('0.0.0.0')
        names.discard('::')
        self.names = names
        self.pki = pki.Pki(os.path.join(self.state, 'pki'), sorted(names))
        self.sim = sim.Sim(cfg.sim_bin, cfg.sim_keys)
        self.amd_roots = self._amd_roots()
        self.intel_roots = self._intel_roots()
        self.vtpm_roots = [self.pki.vtpm_ca] + [c for f in cfg.vtpm_ca
                                                for c in x509util.load_pem_certs(
                                                    open(f, 'rb').read(), f)]
        self.faults = faults.Faults()
        for spec in cfg.faults:
            self.faults.add(spec)
        self.maa = maa.Maa(self)
        self.kv = keyvault.KeyVault(self, cfg.kv_flavor)
        self.imds = imds.Imds(self)
        self.claims_supported = ['x-ms-attestation-type', 'x-ms-runtime', 'x-ms-ver',
                                 'x-ms-policy-hash', 'x-ms-compliance-status', 'nonce',
                                 'x-ms-isolation-tee', 'x-ms-sevsnpvm-is-debuggable',
                                 'x-ms-sevsnpvm-launchmeasurement', 'tdx_mrtd']
        self.stats = {}
        self.authority_cache = {}
        self.servers = {}
        self.stop = threading.Event()

    # ---- trust anchors -------------------------------------------------
    def _amd_roots(self):
        """{product: ARK}.  Files given: every self-signed cert in them is an
        ARK, the product taken from its CN (ARK-Milan ...)."""
        roots = {}
        if self.cfg.amd_roots:
            for f in self.cfg.amd_roots:
                for c in x509util.load_pem_certs(open(f, 'rb').read(), f):
                    if c.issuer == c.subject:
                        cn = c.subject.rfc4514_string()
                        for prod in sim.PRODUCTS:
                            if 'ARK-%s' % prod.capitalize() in cn:
                                roots[prod] = c
            if not roots:
                raise SystemExit('azure-service: no ARK-<Product> root in --amd-roots')
            return roots
        for prod in sim.PRODUCTS:
            roots[prod] = x509util.load_pem_certs(self.sim.roots(prod))[-1]
        return roots

    def _intel_roots(self):
        if self.cfg.intel_root:
            return [c for f in self.cfg.intel_root
                    for c in x509util.load_pem_certs(open(f, 'rb').read(), f)]
        return x509util.load_pem_certs(self.sim.intel_root())

    # ---- names and identities --------------------------------------------
    def instance_url(self, req):
        """https://<Host> (MAA instance / vault URL as the client named it)."""
        host = (req.host() or '').strip()
        try:
            u = urllib.parse.urlsplit('//' + host)
            hostname = (u.hostname or '').lower()
            port = u.port
        except ValueError:
            hostname, port = '', None
        if not hostname or hostname not in self.names:
            raise ApiError(400, 'InvalidHostName', 'Host %r is not a name of this service '
                           '(%s); add it with --name' % (host, ', '.join(sorted(self.names))))
        if ':' in hostname:
            hostname = '[%s]' % hostname
        return 'https://%s%s' % (hostname, '' if port in (None, 443) else ':%d' % port)

    def entra_issuer(self):
        return 'https://sts.windows.net/%s/' % self.cfg.tenant_id

    def entra_kid(self):
        return b64.url_encode(hashlib.sha1(x509util.der_of(self.pki.entra_cert)).digest())

    def entra_keys(self):
        return {self.entra_kid(): self.pki.entra_cert.public_key()}

    def is_local_authority(self, url):
        try:
            u = urllib.parse.urlsplit(url)
        except ValueError:
            return False
        return u.scheme == 'https' and (u.hostname or '').lower() in self.names and \
            u.path in ('', '/')

    def authority_keys(self, authority):
        """Signing keys of an attestation authority, as Key Vault gets them:
        the local MAA's directly, others by OpenID discovery (allow-listed)."""
        if self.is_local_authority(authority):
            return self.maa.signing_keys()
        norm = policy.normalize_authority(authority)
        if norm not in {policy.normalize_authority(a) for a in self.cfg.trusted_authority}:
            raise ApiError(403, 'Forbidden', 'Attestation authority %s is not trusted by this '
                           'local service (see --trusted-authority)' % authority)
        cached = self.authority_cache.get(norm)
        if cached and cached[0] > time.time():
            return cached[1]
        ctx = ssl.create_default_context(cafile=self.cfg.authority_ca)
        try:
            with urllib.request.urlopen(norm + '/.well-known/openid-configuration',
                                        timeout=10, context=ctx) as r:
                jwks_uri = json.load(r)['jwks_uri']
            with urllib.request.urlopen(jwks_uri, timeout=10, context=ctx) as r:
                jwks = json.load(r)
            keys = {k['kid']: jose.rsa_public_from_jwk(k) for k in jwks['keys']
                    if k.get('kty') == 'RSA' and 'kid' in k}
        except Exception as e:  # noqa: BLE001
            raise ApiError(403, 'Forbidden', 'Cannot fetch the signing keys of %s: %s'
                           % (authority, e)) from None
        self.authority_cache[norm] = (time.time() + 300, keys)
        return keys

    def verify_attestation_token(self, token, pol):
        """What Key Vault does with `target`: only an authority named by the
        key's policy is trusted; its keys verify the token; then exp/nbf."""
        try:
            _, payload, _, _ = jose.split(token, 'target')
        except jose.JoseError as e:
            raise keyvault.bad('target is not an attestation token: %s' % e) from None
        iss = payload.get('iss')
        if not isinstance(iss, str):
            raise keyvault.bad('target token has no iss')
        auths = [a['authority'] for a in pol['anyOf']
                 if policy.normalize_authority(a['authority']) == policy.normalize_authority(iss)]
        if not auths:
            raise ApiError(403, 'Forbidden', 'Target environment attestation statement does not '
                           'satisfy the key release policy: the token issuer %s matches no '
                           'authority of the policy (%s)'
                           % (iss, ', '.join(a['authority'] for a in pol['anyOf'])))
        try:
            _, payload = jose.verify_rs256(token, self.authority_keys(auths[0]), 'target')
        except jose.JoseError as e:
            raise keyvault.bad('target attestation token rejected: %s' % e) from None
        now = time.time()
        exp, nbf = payload.get('exp'), payload.get('nbf')
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            raise keyvault.bad('target attestation token has no exp')
        if now > exp + CLOCK_SKEW:
            raise keyvault.bad('target attestation token expired at %s'
                               % datetime.datetime.fromtimestamp(
                                   exp, datetime.timezone.utc).isoformat())
        if isinstance(nbf, (int, float)) and now + CLOCK_SKEW < nbf:
            raise keyvault.bad('target attestation token is not valid yet')
        return payload

    # ---- logging ---------------------------------------------------------
    def _write_log(self, line):
        with self.log_lock:
            out = self.log_file or sys.stderr
            out.write(line + '\n')
            out.flush()

    def log_request(self, service, client, method, path, status, sent, ms, fault, code, endpoint):
        """One line per request.  Never bodies, never headers: key material
        and tokens only ever travel in those."""
        ts = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
        with self.log_lock:
            self.stats[endpoint] = self.stats.get(endpoint, 0) + 1
        self._write_log('%s %s %s "%s %s" %s %dB %.1fms fault=%s%s'
                        % (ts, service, client, method, path[:300], status, sent, ms, fault,
                           ' error=%s' % code if code else ''))

    def log_error(self, service, exc):
        tb = traceback.extract_tb(exc.__traceback__)
        where = '%s:%d' % (os.path.basename(tb[-1].filename), tb[-1].lineno) if tb else '?'
        self._write_log('%s %s internal-error %s at %s'
                        % (datetime.datetime.now(datetime.timezone.utc).isoformat(), service,
                           type(exc).__name__, where))

    def log_tls_failure(self, service, client, exc):
        self._write_log('%s %s %s tls-handshake-failed %s'
                        % (datetime.datetime.now(datetime.timezone.utc).isoformat(), service,
                           client, type(exc).__name__))

    # ---- admin port ------------------------------------------------------
    def admin_routes(self, app):
        def list_(req):
            return Response(200, {'faults': self.faults.list()})

        def add(req):
            try:
                f = self.faults.add(req.json())
            except faults.FaultError as e:
                raise ApiError(400, 'BadFault', str(e)) from None
            return Response(201, f.describe())

        def clear(req):
            fid = req.params.get('id')
            return Response(200, {'cleared': self.faults.clear(int(fid) if fid else None)})

        def status(req):
            return Response(200, dict(self.ready_info(), requests=self.stats))

        def shutdown(req):
            threading.Timer(0.1, self.stop.set).start()
            return Response(202, {'stopping': True})

        def ak_cert(req):
            body = req.json()
            try:
                pub = jose.rsa_public_from_jwk(body.get('jwk'), 'jwk')
            except jose.JoseError as e:
                raise ApiError(400, 'BadParameter', str(e)) from None
            vmid = body.get('vmid') or str(uuid.uuid4())
            cert = self.pki.issue_ak_cert(pub, vmid)
            return Response(200, {'cert': b64.std_encode(x509util.der_of(cert))})

        app.route('GET', r'/faults', 'admin', list_)
        app.route('POST', r'/faults', 'admin', add)
        app.route('DELETE', r'/faults(?:/(?P<id>[0-9]+))?', 'admin', clear)
        app.route('GET', r'/status', 'admin', status)
        app.route('POST', r'/shutdown', 'admin', shutdown)
        app.route('POST', r'/ak-cert', 'admin', ak_cert)

    # ---- lifecycle -------------------------------------------------------
    def url(self, name, host=None):
        host = host or self.cfg.bind
        if ':' in host:
            host = '[%s]' % host
        scheme = 'https' if name in ('attest', 'kv') else 'http'
        return '%s://%s:%d' % (scheme, host, self.servers[name].server_address[1])

    def ready_info(self):
        bind = self.cfg.bind if self.cfg.bind not in ('0.0.0.0', '::') else '127.0.0.1'
        return {
            'pid': os.getpid(),
            'bind': self.cfg.bind,
            'ports': {n: s.server_address[1] for n, s in self.servers.items()},
            'attest_url': self.url('attest', bind),
            'kv_url': self.url('kv', bind),
            'imds_url': self.url('imds', bind),
            'admin_url': self.url('admin', '::1' if ':' in self.cfg.bind else '127.0.0.1'),
            'guest': {'attest_url': self.url('attest', GUEST_HOST),
                      'kv_url': self.url('kv', GUEST_HOST),
                      'imds_url': self.url('imds', GUEST_HOST)},
            'ca_bundle': self.pki.path('ca-bundle.pem'),
            'kv_flavor': self.cfg.kv_flavor,
            'kv_resource': self.kv.resource,
            'tenant_id': self.cfg.tenant_id,
            'mi_client_id': self.cfg.mi_client_id,
            'mi_object_id': self.cfg.mi_object_id,
            'state': self.state,
        }

    def env_lines(self):
        r = self.ready_info()
        env = {'AZSVC_ATTEST_URL': r['attest_url'], 'AZSVC_KV_URL': r['kv_url'],
               'AZSVC_IMDS_URL': r['imds_url'], 'AZSVC_ADMIN_URL': r['admin_url'],
               'AZSVC_CA_BUNDLE': r['ca_bundle'], 'AZSVC_KV_RESOURCE': r['kv_resource'],
               'AZSVC_GUEST_ATTEST_URL': r['guest']['attest_url'],
               'AZSVC_GUEST_KV_URL': r['guest']['kv_url'],
               'AZSVC_GUEST_IMDS_URL': r['guest']['imds_url'],
               'AZSVC_STATE': r['state'], 'AZSVC_PID': str(r['pid'])}
        return ['%s=%s' % (k, v) for k, v in env.items()]

    def start(self):
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(self.pki.path('tls.pem'), self.pki.path('tls.key'))
        apps = {
            'attest': (http.App('attest', self, maa.error_body, check_host=True), tls),
            'kv': (http.App('kv', self, keyvault.error_body, check_host=True), tls),
            'imds': (http.App('imds', self, imds.error_body), None),
            'admin': (http.App('admin', self, maa.error_body), None),
        }
        maa.routes(apps['attest'][0], self.maa)
        keyvault.routes(apps['kv'][0], self.kv)
        imds.routes(apps['imds'][0], self.imds)
        self.admin_routes(apps['admin'][0])
        v6 = ':' in self.cfg.bind
        for name, (app, ctx) in apps.items():
            # the fault switches are never exposed beyond loopback
            addr = ('::1' if v6 else '127.0.0.1') if name == 'admin' else self.cfg.bind
            cls = http.Server
            if v6:
                cls = type('Server6', (http.Server,), {'address_family': socket.AF_INET6})
            self.servers[name] = cls((addr, getattr(self.cfg, 'port_' + name)), app, ctx)
        for s in self.servers.values():
            http.serve(s)
        self._write_ready()

    def _write_ready(self):
        info = json.dumps(self.ready_info(), indent=1).encode()
        path = self.cfg.ready_file or os.path.join(self.state, 'ready.json')
        for p, data in ((os.path.join(self.state, 'env'),
                         ('\n'.join(self.env_lines()) + '\n').encode()), (path, info)):
            tmp = p + '.tmp'
            with open(tmp, 'wb') as f:
                f.write(data)
            os.replace(tmp, p)
        self._write_log('%s service ready %s' % (
            datetime.datetime.now(datetime.timezone.utc).isoformat(),
            ' '.join('%s=%d' % (n, s.server_address[1]) for n, s in self.servers.items())))
        if self.cfg.print_env:
            sys.stdout.write('\n'.join(self.env_lines()) + '\n')
            sys.stdout.flush()

    def shutdown(self):
        for s in self.servers.values():
            s.shutdown()
            s.server_close()
        for p in (self.cfg.ready_file or os.path.join(self.state, 'ready.json'),
                  os.path.join(self.state, 'env')):
            try:
                os.unlink(p)
            except OSError:
                pass
        self._write_log('%s service stopped' % datetime.datetime.now(
            datetime.timezone.utc).isoformat())


def main(argv=None):
    cfg = parse_args(sys.argv[1:] if argv is None else argv)
    stop = threading.Event()
    # Handlers first: whoever reads the ready file may signal at once.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        svc = Service(cfg)
        svc.stop = stop
        svc.start()
    except (OSError, sim.SimError, x509util.ChainError) as e:
        sys.stderr.write('azure-service: %s\n' % e)
        return 1
    while not svc.stop.wait(1):
        pass
    svc.shutdown()
    return 0
