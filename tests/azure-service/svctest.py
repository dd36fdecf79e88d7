"""Test support: start the service on free ports in a temporary state
directory, the simulated platform, shared helpers."""
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from azsvc import client, sim  # noqa: E402

SIM = sim.Sim()


def need_sim():
    if not SIM.available():
        raise unittest.SkipTest('%s is missing: run "make -C tests/sim" (run-tests does)'
                                % SIM.tool)


_PKI_TEMPLATE = None


class Service:
    """A running azure-service (our child process).  Fresh state directories
    start from a copy of the first one's TEST PKI (key generation is the
    slow part of a start); fresh_pki=True generates a new one."""

    def __init__(self, *args, state=None, fresh_pki=False):
        global _PKI_TEMPLATE
        need_sim()
        self.own_state = state is None
        self.state = state or tempfile.mkdtemp(prefix='azsvc-test-')
        if self.own_state and _PKI_TEMPLATE and not fresh_pki:
            shutil.copytree(_PKI_TEMPLATE, os.path.join(self.state, 'pki'))
        cmd = [sys.executable, os.path.join(HERE, 'azure-service'), '--state', self.state,
               '--port-attest', '0', '--port-kv', '0', '--port-imds', '0', '--port-admin', '0']
        cmd += list(args)
        ready = os.path.join(self.state, 'ready.json')
        if os.path.exists(ready):
            os.unlink(ready)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self.ready = client.load_ready(self.state, timeout=60)
        except (OSError, ValueError):
            self.stop()
            raise RuntimeError('azure-service did not start: %s'
                               % self.proc.stderr.read().decode(errors='replace'))
        self.client = client.Client(self.ready)
        if _PKI_TEMPLATE is None and self.own_state and not args:
            _PKI_TEMPLATE = tempfile.mkdtemp(prefix='azsvc-test-pki-')
            os.rmdir(_PKI_TEMPLATE)
            shutil.copytree(os.path.join(self.state, 'pki'), _PKI_TEMPLATE)
            atexit.register(shutil.rmtree, _PKI_TEMPLATE, True)

    @property
    def log_path(self):
        return os.path.join(self.state, 'service.log')

    def log(self):
        with open(self.log_path, 'rb') as f:
            return f.read()

    def stop(self):
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        else:
            rc = self.proc.returncode
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()
        return rc

    def cleanup(self):
        self.stop()
        if self.own_state:
            shutil.rmtree(self.state, ignore_errors=True)


class ServiceTest(unittest.TestCase):
    """One service per test class."""
    service_args = ()

    @classmethod
    def setUpClass(cls):
        cls.svc = Service(*cls.service_args)
        cls.c = cls.svc.client
        cls.ready = cls.svc.ready

    @classmethod
    def tearDownClass(cls):
        cls.svc.cleanup()

    def tearDown(self):
        self.c.clear_faults()

    def assertHttpError(self, status, fn, *a, **kw):
        with self.assertRaises(client.HttpError) as cm:
            fn(*a, **kw)
        self.assertEqual(cm.exception.status, status, cm.exception.body[:500])
        return cm.exception

    def error_message(self, e):
        j = e.json or {}
        err = j.get('error')
        if isinstance(err, dict):
            return err.get('message', '')
        return j.get('error_description', '')

    def ca_cert(self):
        from cryptography import x509
        with open(self.ready['ca_bundle'], 'rb') as f:
            return x509.load_pem_x509_certificate(f.read())

    def policy_bytes(self, conds, authority=None):
        return json.dumps({'version': '1.0.0', 'anyOf': [
            {'authority': authority or self.ready['attest_url'], 'allOf': conds}]}).encode()


def readfile(*parts):
    with open(os.path.join(*parts), 'rb') as f:
        return f.read()


TESTDATA = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'shared', 'testdata'))
