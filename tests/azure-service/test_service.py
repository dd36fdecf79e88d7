"""The process: command line, ready file, logging, shutdown, admin tool."""
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

import svctest
from svctest import SIM, HERE
from azsvc import b64, client

SERVICE = os.path.join(HERE, 'azure-service')
ADMIN = os.path.join(HERE, 'azure-service-admin')


def run(*args, **kw):
    return subprocess.run([sys.executable] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60, **kw)


class CommandLineTest(unittest.TestCase):
    def test_help(self):
        for tool in (SERVICE, ADMIN):
            p = run(tool, '--help')
            self.assertEqual(p.returncode, 0)
            self.assertIn(b'usage:', p.stdout)
        p = run(SERVICE, '--help')
        for opt in (b'--state', b'--bind', b'--port-attest', b'--port-kv', b'--port-imds',
                    b'--sim-bin', b'--amd-roots', b'--intel-root', b'--print-env', b'--fault'):
            self.assertIn(opt, p.stdout)

    def test_bad_arguments(self):
        with tempfile.TemporaryDirectory() as d:
            for args in (['--port-kv', '70000'], ['--fault', 'explode@kv'],
                         ['--thim-chip-id', 'xyz'], []):
                p = run(SERVICE, '--state', d, *args) if args else run(SERVICE)
                self.assertEqual(p.returncode, 2, args)

    def test_port_in_use(self):
        svctest.need_sim()
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        s.listen(1)
        try:
            with tempfile.TemporaryDirectory() as d:
                p = run(SERVICE, '--state', d, '--port-attest', str(s.getsockname()[1]),
                        '--port-kv', '0', '--port-imds', '0', '--port-admin', '0')
                self.assertEqual(p.returncode, 1)
                self.assertIn(b'Address already in use', p.stderr)
        finally:
            s.close()


class LifecycleTest(unittest.TestCase):
    def test_print_env_ready_file_and_sigterm(self):
        svctest.need_sim()
        with tempfile.TemporaryDirectory() as d:
            proc = subprocess.Popen([sys.executable, SERVICE, '--state', d, '--port-attest', '0',
                                     '--port-kv', '0', '--port-imds', '0', '--port-admin', '0',
                                     '--print-env'], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            try:
                env = {}
                while 'AZSVC_PID' not in env:
                    line = proc.stdout.readline().decode()
                    self.assertTrue(line, 'no environment printed')
                    k, _, v = line.strip().partition('=')
                    env[k] = v
                ready = client.load_ready(d, 10)
                self.assertEqual(env['AZSVC_ATTEST_URL'], ready['attest_url'])
                self.assertEqual(int(env['AZSVC_PID']), proc.pid)
                self.assertTrue(env['AZSVC_GUEST_KV_URL'].startswith('https://10.0.2.2:'))
                with open(os.path.join(d, 'env')) as f:
                    self.assertIn('AZSVC_KV_URL=' + ready['kv_url'], f.read())
                # default bind: loopback only
                for name in ('attest', 'kv', 'imds', 'admin'):
                    self.assertTrue(client.wait_listening('127.0.0.1', ready['ports'][name], 5))
                self.assertEqual(ready['bind'], '127.0.0.1')
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(15), 0)
                self.assertFalse(os.path.exists(os.path.join(d, 'ready.json')))
                for name in ('attest', 'admin'):
                    with self.assertRaises(OSError):
                        socket.create_connection(('127.0.0.1', ready['ports'][name]), 1).close()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                proc.stdout.close()
                proc.stderr.close()

    def test_state_dir_pki(self):
        svc = svctest.Service(fresh_pki=True)
        try:
            pki = os.path.join(svc.state, 'pki')
            for f in ('ca.pem', 'ca-bundle.pem', 'tls.pem', 'maa-signing.pem', 'kv-signing.pem',
                      'vtpm-ca.pem', 'entra-signing.pem'):
                self.assertTrue(os.path.exists(os.path.join(pki, f)), f)
            for f in os.listdir(pki):
                if f.endswith('.key'):
                    self.assertEqual(os.stat(os.path.join(pki, f)).st_mode & 0o077, 0, f)
            ca = svctest.readfile(pki, 'ca.pem')
            self.assertIn(b'TEST ONLY', svctest.readfile(pki, 'ca-bundle.pem'))
            svc.stop()
            svc2 = svctest.Service(state=svc.state)          # the PKI is reused
            try:
                self.assertEqual(svctest.readfile(pki, 'ca.pem'), ca)
            finally:
                svc2.stop()
        finally:
            svc.cleanup()


class LoggingTest(svctest.ServiceTest):
    def test_one_line_per_request(self):
        before = self.svc.log().count(b'\n')
        for _ in range(3):
            client.request(self.ready['attest_url'] + '/certs', ca=self.ready['ca_bundle'])
        client.request(self.ready['imds_url'] + '/nope')
        lines = self.svc.log().splitlines()[before:]
        self.assertEqual(len(lines), 4, lines)
        self.assertRegex(lines[0].decode(), r'^\S+Z attest 127\.0\.0\.1 "GET /certs" 200 \d+B '
                         r'[\d.]+ms fault=-$')
        self.assertRegex(lines[3].decode(), r' imds .* 404 .*error=NotFound$')

    def test_key_material_never_logged(self):
        """Create keys (admin tool and REST), attest, release: neither key
        bytes nor tokens nor wrapped keys ever reach the log."""
        secrets = []
        r, w = os.pipe()
        p = subprocess.run([sys.executable, ADMIN, '--state', self.svc.state, 'create-key',
                            '--name', 'logkey', '--material-fd', str(w)], pass_fds=(w,),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        os.close(w)
        material = os.read(r, 4096)
        os.close(r)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(material), 32)
        self.assertRegex(p.stdout.decode().strip(),
                         r'^https://127\.0\.0\.1:\d+/keys/logkey/[0-9a-f]{32}$')
        secrets.append(material)
        tk = client.new_transfer_key()
        token = self.c.attest('SevSnpVm', client.snp_request(SIM, self.c,
                                                             client.runtime_claims(tk)))
        bearer = self.c.token()
        jws = self.c.release('/keys/logkey', token, token=bearer)
        p = client.release_payload(jws)
        self.assertEqual(client.unwrap_key_hsm(p['response']['key']['key']['key_hsm'], tk),
                         material)
        k2 = os.urandom(32)
        pol = self.policy_bytes([{'claim': 'x-ms-attestation-type', 'equals': 'sevsnpvm'}])
        self.c.import_key('logkey2', {'kty': 'oct', 'k': b64.url_encode(k2)}, pol)
        self.c.release('/keys/logkey2', token)
        secrets.append(k2)
        log = self.svc.log()
        for s in secrets:
            for form in (s, s.hex().encode(), s.hex().upper().encode(), base64.b64encode(s),
                         b64.url_encode(s).encode()):
                self.assertNotIn(form, log)
        for tok in (token, bearer, jws):
            for part in tok.split('.'):
                self.assertNotIn(part[:40].encode(), log)
        self.assertNotIn(p['response']['key']['key']['key_hsm'][:40].encode(), log)
        self.assertGreaterEqual(log.count(b'/release'), 2)


class AdminToolTest(svctest.ServiceTest):
    def admin(self, *args):
        return subprocess.run([sys.executable, ADMIN, '--state', self.svc.state] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)

    def test_wait_env_policy(self):
        self.assertEqual(self.admin('wait').returncode, 0)
        p = self.admin('env')
        self.assertIn(b'AZSVC_ATTEST_URL=' + self.ready['attest_url'].encode(), p.stdout)
        p = self.admin('policy', '--flow', 'guest', '--tee', 'snp', '--guest-url')
        pol = json.loads(p.stdout)
        self.assertEqual(pol['anyOf'][0]['authority'], self.ready['guest']['attest_url'])
        self.assertEqual(pol['anyOf'][0]['allOf'][0]['claim'],
                         'x-ms-isolation-tee.x-ms-attestation-type')

    def test_create_key_variants(self):
        p = self.admin('create-key', '--name', 'adm-rsa', '--rsa-size', '2048')
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.admin('create-key', '--name', 'adm-srv', '--server-side')
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.admin('create-key', '--name', 'adm-guest', '--guest-url', '--flow', 'guest')
        self.assertTrue(p.stdout.startswith(b'https://10.0.2.2:'), p.stdout)
        with tempfile.NamedTemporaryFile('w', suffix='.json') as f:
            f.write('{"anyOf": []}')
            f.flush()
            p = self.admin('create-key', '--name', 'adm-bad', '--policy', f.name)
            self.assertEqual(p.returncode, 2)
            self.assertIn(b'anyOf', p.stderr)

    def test_fault_commands(self):
        p = self.admin('fault', 'add', 'throttle', 'kv.release', '--count', '2',
                       '--retry-after', '3')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)['remaining'], 2)
        p = self.admin('fault', 'add', 'expired', 'kv')
        self.assertEqual(p.returncode, 2)
        self.assertIn(b'does not apply', p.stderr)
        self.assertEqual(len(json.loads(self.admin('fault', 'list').stdout)), 1)
        self.assertEqual(self.admin('fault', 'clear').returncode, 0)
        self.assertEqual(json.loads(self.admin('fault', 'list').stdout), [])

    def test_issue_ak_cert(self):
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        tk = client.new_transfer_key()
        with tempfile.TemporaryDirectory() as d:
            pub = os.path.join(d, 'ak.pem')
            with open(pub, 'wb') as f:
                f.write(tk.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
            out = os.path.join(d, 'ak.der')
            p = self.admin('issue-ak-cert', '--ak-pub', pub, '--vmid', 'ABCD', '-o', out)
            self.assertEqual(p.returncode, 0, p.stderr)
            cert = x509.load_der_x509_certificate(svctest.readfile(out))
            self.assertIn('abcd.TrustedVM.Azure.Microsoft', cert.subject.rfc4514_string())

