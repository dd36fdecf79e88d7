"""POST /attest/AzureGuest with a simulated Azure vTPM (swtpm + tpm2-tools)
and the simulated SNP/TDX platform as the HCL's hardware: the request is
built like Microsoft's client builds it, the sealed response is opened in
the TPM, and the token drives a secure key release that is unwrapped with
the TPM-resident ephemeral key."""
import copy
import hashlib
import json
import os
import unittest

from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding

import svctest
from svctest import SIM
from azsvc import b64, client, jose, pki, tpm, vtpm

VMID = '5E3C0F71-8C1B-4E0C-9F0A-2D1B3C4D5E6F'


@unittest.skipUnless(vtpm.tools_available(), 'swtpm and tpm2-tools are not installed '
                     '(apt-get install swtpm swtpm-tools tpm2-tools)')
class AzureGuestTest(svctest.ServiceTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.v = vtpm.Vtpm().start()
        try:
            cls.v.provision()
            r = client.call(cls.ready['admin_url'] + '/ak-cert', 'POST',
                            {'jwk': cls.v.ak_jwk(), 'vmid': VMID})
            cls.ak_cert = b64.std_decode(r['cert'])
            cls.runtime = cls.v.hcl_runtime_claims(VMID)
        except Exception:
            cls.v.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.v.stop()
        super().tearDownClass()

    def snp_isolation(self, runtime=None, *opts):
        runtime = runtime or self.runtime
        report, _ = SIM.snp_report(hashlib.sha256(runtime).digest(), *opts)
        t = self.c.thim()
        return vtpm.snp_isolation(report, (t['vcekCert'] + t['certificateChain']).encode(),
                                  runtime)

    def tdx_isolation(self):
        quote = self.c.tdquote(SIM.tdx_report(hashlib.sha256(self.runtime).digest()))
        return vtpm.tdx_isolation(quote, self.runtime)

    def info(self, isolation, ak_cert=None, **kw):
        info = vtpm.attestation_info(self.v.tpm_info(ak_cert or self.ak_cert), isolation,
                                     {'nonce': 'nonce-1'}, **kw)
        info['TcgLogs'] = b64.std_encode(self.v.tcg_log)
        return info

    def attest(self, info, key='AttestationInfo', api='2020-10-01'):
        return self.c.attest('AzureGuest', {key: b64.url_encode(json.dumps(info).encode())},
                             api)

    # ---- happy paths -------------------------------------------------------------
    def test_snp_guest(self):
        sealed = self.attest(self.info(self.snp_isolation()))
        outer = json.loads(b64.url_decode(sealed))
        self.assertEqual(outer['EncryptionParams']['BlockMode'], 'ChainingModeGCM')
        self.assertEqual(len(b64.std_decode(outer['EncryptedInnerKey'])), 256)
        claims = self.c.verify_token(self.v.unseal(sealed))
        self.assertEqual(claims['x-ms-attestation-type'], 'azurevm')
        self.assertIs(claims['secureboot'], True)
        self.assertEqual(claims['x-ms-azurevm-attested-pcrs'], list(range(8)))
        self.assertEqual(claims['x-ms-azurevm-ostype'], 'Linux')
        self.assertEqual(claims['x-ms-azurevm-vmid'], VMID)
        self.assertEqual(claims['x-ms-runtime']['client-payload'],
                         {'nonce': b64.std_encode(b'nonce-1')})
        ek = claims['x-ms-runtime']['keys'][0]
        self.assertEqual((ek['kid'], ek['key_ops']), ('TpmEphemeralEncryptionKey', ['encrypt']))
        self.assertEqual(jose.rsa_public_from_jwk(ek).public_numbers().n,
                         tpm.RsaPublic(self.v.read('ek.pub')).n)
        tee = claims['x-ms-isolation-tee']
        self.assertEqual(tee['x-ms-attestation-type'], 'sevsnpvm')
        self.assertEqual(tee['x-ms-compliance-status'], 'azure-compliant-cvm')
        self.assertEqual(tee['x-ms-runtime'], json.loads(self.runtime))
        self.assertIs(tee['x-ms-sevsnpvm-is-debuggable'], False)
        self.assertNotIn('x-ms-compliance-status', claims)

    def test_tdx_guest(self):
        claims = self.c.verify_token(self.v.unseal(self.attest(self.info(self.tdx_isolation()),
                                                               key='attestationInfo',
                                                               api='2025-06-01')))
        self.assertEqual(claims['x-ms-isolation-tee']['x-ms-attestation-type'], 'tdxvm')
        self.assertIn('tdx_mrtd', claims['x-ms-isolation-tee'])

    def test_cvm_attestation_tools_shape(self):
        """Azure/cvm-attestation-tools sends OSVersionMajor as a string and
        ClientPayload as base64 of an empty string."""
        info = self.info(self.snp_isolation())
        info['OSVersionMajor'], info['OSVersionMinor'] = '12', '0'
        info['ClientPayload'] = b64.std_encode(b'')
        claims = self.c.verify_token(self.v.unseal(self.attest(info)))
        self.assertEqual(claims['x-ms-azurevm-osversion-major'], 12)
        self.assertNotIn('client-payload', claims['x-ms-runtime'])

    def test_trusted_launch(self):
        claims = self.c.verify_token(self.v.unseal(self.attest(self.info({'Type':
                                                                          'TrustedLaunch'}))))
        self.assertNotIn('x-ms-isolation-tee', claims)

    def test_secure_key_release_to_the_tpm(self):
        """The Microsoft CVM flow end to end: AzureGuest token -> release
        (RSA_AES_KEY_WRAP_256) -> RSA-OAEP decrypt in the vTPM -> AES-KWP."""
        token = self.v.unseal(self.attest(self.info(self.snp_isolation())))
        pol = json.dumps({'version': '1.0.0', 'anyOf': [{'authority': self.ready['attest_url'],
                          'allOf': [{'claim': 'x-ms-isolation-tee.x-ms-attestation-type',
                                     'equals': 'sevsnpvm'},
                                    {'claim': 'x-ms-isolation-tee.x-ms-compliance-status',
                                     'equals': 'azure-compliant-cvm'}]}]}).encode()
        material = os.urandom(32)
        self.c.import_key('guestdisk', {'kty': 'oct', 'k': b64.url_encode(material)}, pol)
        p = client.release_payload(self.c.release('/keys/guestdisk', token,
                                                  enc='RSA_AES_KEY_WRAP_256'), self.ca_cert())
        blob = json.loads(b64.url_decode(p['response']['key']['key']['key_hsm']))
        self.assertEqual(blob['header']['kid'], 'TpmEphemeralEncryptionKey')
        ct = b64.url_decode(blob['ciphertext'])
        aes = self.v.decrypt_oaep(ct[:256], 'sha256')
        self.assertEqual(aes_key_unwrap_with_padding(aes, ct[256:]), material)

    # ---- refusals --------------------------------------------------------------------
    def refused(self, info, text=None):
        e = self.assertHttpError(400, self.attest, info)
        if text:
            self.assertIn(text, self.error_message(e))
        return e

    def test_ak_certificate_from_another_ca(self):
        other_key = pki.new_rsa()
        other = pki.build_cert(pki._name('Rogue vTPM CA'), pki._name('Rogue vTPM CA'),
                               other_key.public_key(), other_key, ca=True, path_len=0)
        cert = pki.issue_ak_cert(other_key, other, self.v.ak.public_key(), VMID)
        from azsvc import x509util
        self.refused(self.info(self.snp_isolation(), ak_cert=x509util.der_of(cert)),
                     'AK certificate')

    def test_ak_certificate_of_another_key(self):
        cert = b64.std_decode(client.call(self.ready['admin_url'] + '/ak-cert', 'POST', {
            'jwk': jose.rsa_public_jwk(client.new_transfer_key().public_key())})['cert'])
        self.refused(self.info(self.snp_isolation(), ak_cert=cert), 'does not certify')

    def test_hcl_runtime_claims_with_another_ak(self):
        other = json.loads(self.runtime)
        other['keys'][0] = jose.rsa_public_jwk(client.new_transfer_key().public_key(),
                                               kid='HCLAkPub', key_ops=['sign'])
        runtime = json.dumps(other).encode()
        self.refused(self.info(self.snp_isolation(runtime)), 'HCLAkPub')

    def test_runtime_claims_not_bound_to_report(self):
        iso = self.snp_isolation()
        iso['Evidence']['RunTimeData'] = b64.url_encode(self.runtime + b' ')
        self.refused(self.info(iso), 'not bound')

    def test_tampered_tpm_evidence(self):
        good = self.info(self.snp_isolation())
        for field in ('PcrSignature', 'PcrQuote', 'EncKeyCertifyInfoSignature'):
            with self.subTest(field):
                info = copy.deepcopy(good)
                raw = bytearray(b64.std_decode(info['TpmInfo'][field]))
                raw[-1] ^= 1
                info['TpmInfo'][field] = b64.std_encode(bytes(raw))
                self.refused(info)
        info = copy.deepcopy(good)
        info['TpmInfo']['PCRs'][3]['Digest'] = b64.std_encode(b'\x01' * 32)
        self.refused(info, 'do not match')
        info = copy.deepcopy(good)     # an ephemeral key the AK did not certify
        fresh = client.new_transfer_key().public_key().public_numbers().n.to_bytes(256, 'big')
        pub = bytearray(b64.std_decode(info['TpmInfo']['EncKeyPub']))
        pub[-256:] = fresh
        info['TpmInfo']['EncKeyPub'] = b64.std_encode(bytes(pub))
        self.refused(info, 'does not certify EncKeyPub')

    def test_log_does_not_replay(self):
        info = self.info(self.snp_isolation())
        info['TcgLogs'] = b64.std_encode(self.v.tcg_log[:-50])
        self.refused(info)
        log = tpm.build_spec_id_event()
        info['TcgLogs'] = b64.std_encode(log)
        self.refused(info, 'TCG log replay')

    def test_request_shape(self):
        good = self.info(self.snp_isolation())
        cases = {
            'protocol 1.0': dict(good, AttestationProtocolVersion='1.0'),
            'no TpmInfo': {k: v for k, v in good.items() if k != 'TpmInfo'},
            'unknown member': dict(good, Extra=1),
            'isolation type': dict(good, IsolationInfo={'Type': 'Sgx'}),
            'PcrSet mismatch': dict(good, TpmInfo=dict(good['TpmInfo'], PcrSet=[0, 1, 2])),
        }
        for name, info in cases.items():
            with self.subTest(name):
                self.refused(info)
        self.assertHttpError(400, self.c.attest, 'AzureGuest', {}, '2020-10-01')
        self.assertHttpError(400, self.c.attest, 'AzureGuest', {'AttestationInfo': '***'},
                             '2020-10-01')


if __name__ == '__main__':
    unittest.main()
