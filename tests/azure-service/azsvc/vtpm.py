"""A simulated Azure vTPM guest for the AzureGuest flow (TEST client):
swtpm + tpm2-tools play the paravisor's vTPM (AK at 0x81000003, PCR-bound
ephemeral key under the NULL hierarchy), the simulated SNP/TDX platform
supplies the HCL's hardware report over the runtime claims that carry
HCLAkPub.  It builds the attestationInfo exactly as Microsoft's client does
(reference §2.4) and unseals the response in the TPM."""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import b64, jose, tpm

AK_HANDLE = '0x81000003'
PCRS = list(range(8))
PCR_LIST = 'sha256:' + ','.join(str(i) for i in PCRS)
EV_POST_CODE = 0x00000001
EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003


class VtpmError(RuntimeError):
    pass


def tools_available():
    return all(shutil.which(t) for t in ('swtpm', 'tpm2_quote', 'tpm2_createprimary',
                                         'tpm2_certify', 'tpm2_rsadecrypt'))


def _free_port_pair():
    for _ in range(50):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        p = s.getsockname()[1]
        s.close()
        if p >= 65535:
            continue
        t = socket.socket()
        try:
            t.bind(('127.0.0.1', p + 1))
        except OSError:
            continue
        finally:
            t.close()
        return p
    raise VtpmError('no free port pair for swtpm')


class Vtpm:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='azsvc-vtpm-')
        self.proc = None
        self.env = None

    def start(self):
        os.makedirs(os.path.join(self.dir, 'state'))
        for _ in range(5):
            port = _free_port_pair()
            log = open(os.path.join(self.dir, 'swtpm.log'), 'wb')
            self.proc = subprocess.Popen(
                ['swtpm', 'socket', '--tpm2',
                 '--server', 'type=tcp,port=%d,bindaddr=127.0.0.1' % port,
                 '--ctrl', 'type=tcp,port=%d,bindaddr=127.0.0.1' % (port + 1),
                 '--tpmstate', 'dir=' + os.path.join(self.dir, 'state'),
                 '--flags', 'not-need-init,startup-clear'],
                stdout=log, stderr=log)
            log.close()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.05)
            if self.proc.poll() is None:
                self.env = dict(os.environ, TPM2TOOLS_TCTI='swtpm:host=127.0.0.1,port=%d' % port)
                return self
        raise VtpmError('swtpm did not start: %s' % open(os.path.join(self.dir, 'swtpm.log'))
                        .read())

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def tool(self, *args, stdin=None):
        """Run one tpm2-tools command, then flush transient objects and
        sessions (no resource manager in front of swtpm)."""
        p = subprocess.run(list(args), env=self.env, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30, check=False)
        for flag in ('-t', '-l', '-s'):
            subprocess.run(['tpm2_flushcontext', flag], env=self.env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30, check=False)
        if p.returncode:
            raise VtpmError('%s failed: %s' % (args[0], p.stderr.decode(errors='replace')))
        return p.stdout

    def read(self, name):
        with open(self.path(name), 'rb') as f:
            return f.read()

    # ---- provisioning (the paravisor's part) ------------------------------------
    def provision(self, secure_boot=True):
        self.tool('tpm2_createprimary', '-C', 'o', '-G', 'rsa2048:rsassa-sha256:null', '-a',
                  'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign',
                  '-c', self.path('ak.ctx'))
        self.tool('tpm2_evictcontrol', '-C', 'o', '-c', self.path('ak.ctx'), AK_HANDLE)
        self.tool('tpm2_readpublic', '-c', AK_HANDLE, '-f', 'tss', '-o', self.path('ak.pub'))
        self.ak_pub = self.read('ak.pub')
        self.ak = tpm.RsaPublic(self.ak_pub)
        # A boot: firmware measurements into PCRs 0-7, logged.
        log = tpm.build_spec_id_event()
        for pcr in PCRS:
            data = ('cvmattest test firmware PCR%d' % pcr).encode()
            log += self._extend(pcr, EV_POST_CODE, data)
            if pcr == 7:
                log += self._extend(7, tpm.EV_EFI_VARIABLE_DRIVER_CONFIG,
                                    tpm.secure_boot_variable_event(secure_boot))
            log += self._extend(pcr, tpm.EV_SEPARATOR, b'\0\0\0\0')
        self.tcg_log = log
        return self

    def _extend(self, pcr, etype, data):
        digest = hashlib.sha256(data).digest()
        self.tool('tpm2_pcrextend', '%d:sha256=%s' % (pcr, digest.hex()))
        return tpm.build_event(pcr, etype, data, digest)

    def extend_unlogged(self, pcr, data=b'tamper'):
        """Change a PCR without logging it (the log no longer replays)."""
        self.tool('tpm2_pcrextend', '%d:sha256=%s' % (pcr, hashlib.sha256(data).hexdigest()))

    def ak_jwk(self):
        return jose.rsa_public_jwk(self.ak.public_key())

    # ---- the guest's part ---------------------------------------------------------
    def hcl_runtime_claims(self, vmid, user_data=b'\0' * 64):
        jwk = jose.rsa_public_jwk(self.ak.public_key(), kid='HCLAkPub', key_ops=['sign'])
        claims = {'keys': [jwk],
                  'vm-configuration': {'console-enabled': True, 'secure-boot': True,
                                       'tpm-enabled': True, 'tpm-persisted': True,
                                       'vmUniqueId': vmid},
                  'user-data': user_data.hex().upper()}
        return json.dumps(claims, separators=(',', ':')).encode()

    def tpm_info(self, ak_cert_der):
        self.tool('tpm2_quote', '-c', AK_HANDLE, '-l', PCR_LIST, '-g', 'sha256',
                  '-m', self.path('quote.msg'), '-s', self.path('quote.sig'), '-f', 'plain')
        self.tool('tpm2_pcrread', PCR_LIST, '-o', self.path('pcrs.bin'))
        pcrs = self.read('pcrs.bin')
        self.tool('tpm2_createpolicy', '--policy-pcr', '-l', PCR_LIST, '-L',
                  self.path('pcr.policy'))
        self.tool('tpm2_createprimary', '-C', 'n', '-G', 'rsa2048:null:null', '-a',
                  'decrypt|fixedtpm|fixedparent|sensitivedataorigin|noda', '-L',
                  self.path('pcr.policy'), '-c', self.path('ek.ctx'))
        self.tool('tpm2_certify', '-c', self.path('ek.ctx'), '-C', AK_HANDLE, '-g', 'sha256',
                  '-o', self.path('certify.attest'), '-s', self.path('certify.sig'), '-f', 'plain')
        self.tool('tpm2_readpublic', '-c', self.path('ek.ctx'), '-f', 'tss', '-o',
                  self.path('ek.pub'))
        std = b64.std_encode
        return {
            'AikCert': std(ak_cert_der),
            'AikPub': std(self.ak_pub),
            'PcrQuote': std(self.read('quote.msg')),
            'PcrSignature': std(self.read('quote.sig')),
            'PcrSet': PCRS,
            'PCRs': [{'Index': i, 'Digest': std(pcrs[32 * n:32 * n + 32])}
                     for n, i in enumerate(PCRS)],
            'EncKeyPub': std(self.read('ek.pub')),
            'EncKeyCertifyInfo': std(self.read('certify.attest')),
            'EncKeyCertifyInfoSignature': std(self.read('certify.sig')),
        }

    def unseal(self, sealed_token):
        """Decrypt MAA's sealed response in the TPM; returns the JWT."""
        s = json.loads(b64.url_decode(sealed_token))
        with open(self.path('inner.enc'), 'wb') as f:
            f.write(b64.std_decode(s['EncryptedInnerKey']))
        self._tool_keep('tpm2_startauthsession', '--policy-session', '-S', self.path('s.ctx'))
        try:
            self._tool_keep('tpm2_policypcr', '-S', self.path('s.ctx'), '-l', PCR_LIST)
            self._tool_keep('tpm2_rsadecrypt', '-c', self.path('ek.ctx'), '-s', 'rsaes', '-p',
                            'session:' + self.path('s.ctx'), '-o', self.path('inner.key'),
                            self.path('inner.enc'))
        finally:
            subprocess.run(['tpm2_flushcontext', self.path('s.ctx')], env=self.env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        key = self.read('inner.key')
        os.unlink(self.path('inner.key'))
        p = s['EncryptionParams']
        ct = b64.std_decode(s['Jwt']) + b64.std_decode(s['AuthenticationData'])
        return AESGCM(key).decrypt(b64.std_decode(p['Iv']), ct, b'Transport Key').decode()

    def _tool_keep(self, *args):
        """A tpm2-tools command that must not flush the policy session."""
        p = subprocess.run(list(args), env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30, check=False)
        subprocess.run(['tpm2_flushcontext', '-t'], env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        if p.returncode:
            raise VtpmError('%s failed: %s' % (args[0], p.stderr.decode(errors='replace')))

    def decrypt_oaep(self, ciphertext, hash_alg='sha256'):
        """RSA-OAEP decrypt in the TPM with the ephemeral key (what the guest
        does with key_hsm's first 256 bytes)."""
        with open(self.path('oaep.enc'), 'wb') as f:
            f.write(ciphertext)
        self._tool_keep('tpm2_startauthsession', '--policy-session', '-S', self.path('s.ctx'))
        try:
            self._tool_keep('tpm2_policypcr', '-S', self.path('s.ctx'), '-l', PCR_LIST)
            self._tool_keep('tpm2_rsadecrypt', '-c', self.path('ek.ctx'), '-s',
                            'oaep-%s' % hash_alg, '-p', 'session:' + self.path('s.ctx'),
                            '-o', self.path('oaep.dec'), self.path('oaep.enc'))
        finally:
            subprocess.run(['tpm2_flushcontext', self.path('s.ctx')], env=self.env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        out = self.read('oaep.dec')
        os.unlink(self.path('oaep.dec'))
        return out


def attestation_info(tpm_info, isolation, client_payload=None, os_major=12, os_minor=0):
    """The AttestationInfo JSON (Microsoft's client library field names)."""
    std = lambda s: b64.std_encode(s.encode())  # noqa: E731
    info = {
        'AttestationProtocolVersion': '2.0',
        'OSType': std('Linux'),
        'OSDistro': std('Debian'),
        'OSVersionMajor': os_major,
        'OSVersionMinor': os_minor,
        'OSBuild': std('NotApplication'),
        'TcgLogs': None,
        'ClientPayload': {k: b64.std_encode(v.encode()) for k, v in
                          (client_payload or {}).items()},
        'TpmInfo': tpm_info,
        'IsolationInfo': isolation,
    }
    return info


def snp_isolation(report, vcek_chain_pem, runtime):
    proof = json.dumps({'SnpReport': b64.url_encode(report),
                        'VcekCertChain': b64.url_encode(vcek_chain_pem)}).encode()
    return {'Type': 'SevSnp', 'Evidence': {'Proof': b64.url_encode(proof),
                                           'RunTimeData': b64.url_encode(runtime)}}


def tdx_isolation(quote, runtime):
    return {'Type': 'Tdx', 'Evidence': {'Proof': b64.std_encode(quote),
                                        'RunTimeData': b64.std_encode(runtime)}}
