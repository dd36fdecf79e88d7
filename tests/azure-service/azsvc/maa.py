"""Microsoft Azure Attestation: /attest/SevSnpVm, /attest/TdxVm,
/attest/AzureGuest, /certs, /.well-known/openid-configuration.

Request and token formats: shared/reference/azure-attestation-and-key-release.md
§2 and the REST spec (Azure/azure-rest-api-specs, attestation 2025-06-01 and
its examples).  The instance URL, and so the token's iss and jku, is the
https://<Host header> the client used, as for a real MAA instance reached by
its name; Host must be one of the names the service was told it has."""
import hashlib
import json
import os
import re
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import b64, evidence, jose, tpm, verify_snp, verify_tdx, x509util
from .evidence import EvidenceError
from .http import ApiError, Response

# api-versions MAA accepts, per attestation type (reference §2.1: versions
# seen working in Microsoft's and others' clients, plus the REST spec).
API_VERSIONS = {
    'SevSnpVm': ('2020-10-01', '2022-08-01', '2022-09-01-preview', '2023-04-01-preview',
                 '2025-06-01'),
    'TdxVm': ('2023-04-01-preview', '2025-06-01'),
    'AzureGuest': ('2020-10-01', '2022-08-01', '2022-09-01-preview', '2023-04-01-preview',
                   '2025-06-01'),
}
META_API_VERSIONS = ('2020-10-01', '2022-08-01', '2022-09-01-preview', '2023-04-01-preview',
                     '2025-06-01')
TOKEN_LIFETIME = 8 * 3600          # "valid for 8 hours" (DOC-SKRVM)
WRONG_ISSUER = 'https://wrong-issuer.attest.invalid'
# The attestation policy this local instance applies ("permit, issue the
# standard claims"); x-ms-policy-hash is computed from it as MAA does:
# BASE64URL(SHA256(UTF8(BASE64URL(UTF8(policy text))))).
DEFAULT_POLICY = ('version=1.0; authorizationrules {c:[type=="x-ms-attestation-type"] => '
                  'permit();}; issuancerules {};')
POLICY_HASH = b64.url_encode(hashlib.sha256(
    b64.url_encode(DEFAULT_POLICY.encode()).encode()).digest())
PCR_TEE_CLAIM_TYPES = {'SevSnp': 'sevsnpvm', 'Tdx': 'tdxvm'}


def error_body(status, code, message):
    return {'error': {'code': code, 'message': message}}


def bad(message, code='InvalidParameter'):
    return ApiError(400, code, message)


def _hex(b):
    return bytes(b).hex()


class Maa:
    def __init__(self, svc):
        self.svc = svc

    # ---- plumbing ------------------------------------------------------
    def instance(self, req):
        return self.svc.instance_url(req)

    def check_api_version(self, req, kind):
        v = req.q('api-version')
        if v is None:
            raise ApiError(400, 'ApiVersionUnspecified',
                           'An API version is required, but was not specified.')
        if v not in API_VERSIONS[kind]:
            raise ApiError(400, 'UnsupportedApiVersion',
                           "The HTTP resource that matches the request URI does not support the "
                           "API version '%s' (%s accepts %s)." % (v, kind,
                                                                  ', '.join(API_VERSIONS[kind])))

    def signing_keys(self):
        pki = self.svc.pki
        return {self.kid(): pki.maa_cert.public_key()}

    def kid(self):
        return jose.thumbprint_sha256_std(x509util.der_of(self.svc.pki.maa_cert))

    def issue(self, req, claims):
        """Sign the token; apply a token fault if one was injected."""
        iss = self.instance(req)
        now = int(time.time())
        payload = {'iat': now, 'nbf': now, 'exp': now + TOKEN_LIFETIME, 'iss': iss,
                   'jti': os.urandom(32).hex(), 'x-ms-ver': '1.0',
                   'x-ms-policy-hash': POLICY_HASH}
        payload.update(claims)
        if req.fault == 'expired':
            payload['iat'] = payload['nbf'] = now - 2 * 3600
            payload['exp'] = now - 3600
        if req.fault == 'wrong-issuer':
            payload['iss'] = WRONG_ISSUER
        header = {'alg': 'RS256', 'jku': iss + '/certs', 'kid': self.kid(), 'typ': 'JWT'}
        return jose.sign_rs256(header, payload, self.svc.pki.maa_key,
                               corrupt=req.fault == 'bad-signature')

    def not_implemented(self, req):
        raise bad('attestation type %s is not implemented by this local service'
                  % req.params['other'])

    # ---- metadata ------------------------------------------------------
    def _meta_version(self, req):
        v = req.q('api-version')
        if v is not None and v not in META_API_VERSIONS:
            raise ApiError(400, 'UnsupportedApiVersion',
                           "API version '%s' is not supported" % v)

    def certs(self, req):
        self._meta_version(req)
        cert = self.svc.pki.maa_cert
        jwk = jose.rsa_public_jwk(cert.public_key(), alg='RS256', kid=self.kid(), use='sig',
                                  x5c=[b64.std_encode(x509util.der_of(cert))])
        return Response(200, {'keys': [jwk]}, ctype='application/jwk+json')

    def openid(self, req):
        self._meta_version(req)
        inst = self.instance(req)
        return Response(200, {
            'claims_supported': sorted(set(self.svc.claims_supported)),
            'id_token_signing_alg_values_supported': ['RS256'],
            'issuer': inst,
            'jwks_uri': inst + '/certs',
            'response_types_supported': ['token', 'none'],
            'revocation_endpoint': inst + '/revoke',
        })

    # ---- request parsing -----------------------------------------------
    @staticmethod
    def _fields(body, allowed, what='request'):
        unknown = set(body) - set(allowed)
        if unknown:
            raise bad('%s has unknown field(s) %s (the fields are %s)'
                      % (what, ', '.join(sorted(unknown)), ', '.join(allowed)))

    def _runtime(self, body, key='runtimeData'):
        """(raw bytes, parsed JSON object) of runtimeData/initTimeData."""
        rd = body.get(key)
        if rd is None:
            return None, None
        if not isinstance(rd, dict):
            raise bad('%s must be an object {data, dataType}' % key)
        self._fields(rd, ('data', 'dataType'), key)
        dtype = rd.get('dataType')
        if dtype not in ('JSON', 'Binary'):
            raise bad('%s.dataType must be "JSON" or "Binary"' % key)
        if dtype == 'Binary':
            raise bad('%s.dataType "Binary" is not accepted for this attestation type; send '
                      'the runtime claims as "JSON"' % key)
        try:
            raw = b64.url_decode(rd.get('data'), key + '.data')
        except b64.DecodeError as e:
            raise bad(str(e)) from None
        try:
            obj = json.loads(raw.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as e:
            raise bad('%s.data is not UTF-8 JSON: %s' % (key, e)) from None
        if not isinstance(obj, dict):
            raise bad('%s.data must be a JSON object' % key)
        return raw, obj

    def _nonce(self, body, claims):
        if 'nonce' in body:
            if not isinstance(body['nonce'], str):
                raise bad('nonce must be a string')
            claims['nonce'] = body['nonce']

    # ---- SEV-SNP -------------------------------------------------------
    def snp_claims(self, rep):
        p = rep.policy
        tcb = rep.tcb(evidence.SNP_R_REPORTED_TCB, self._turin(rep))
        c = {
            'x-ms-sevsnpvm-authorkeydigest': _hex(rep.author_key_digest),
            'x-ms-sevsnpvm-bootloader-svn': tcb.bl,
            'x-ms-sevsnpvm-familyId': _hex(rep.family_id),
            'x-ms-sevsnpvm-guestsvn': rep.guest_svn,
            'x-ms-sevsnpvm-hostdata': _hex(rep.host_data),
            'x-ms-sevsnpvm-idkeydigest': _hex(rep.id_key_digest),
            'x-ms-sevsnpvm-imageId': _hex(rep.image_id),
            'x-ms-sevsnpvm-is-debuggable': bool(p & evidence.SNP_POLICY_DEBUG),
            'x-ms-sevsnpvm-launchmeasurement': _hex(rep.measurement),
            'x-ms-sevsnpvm-microcode-svn': tcb.ucode,
            'x-ms-sevsnpvm-migration-allowed': bool(p & evidence.SNP_POLICY_MIGRATE_MA),
            'x-ms-sevsnpvm-reportdata': _hex(rep.report_data),
            'x-ms-sevsnpvm-reportid': _hex(rep.report_id),
            'x-ms-sevsnpvm-smt-allowed': bool(p & evidence.SNP_POLICY_SMT),
            'x-ms-sevsnpvm-snpfw-svn': tcb.snp,
            'x-ms-sevsnpvm-tee-svn': tcb.tee,
            'x-ms-sevsnpvm-vmpl': rep.vmpl,
        }
        c.update(self._compliance(not rep.debug))
        return c

    @staticmethod
    def _turin(rep):
        return getattr(rep, 'product', None) == 'turin'

    @staticmethod
    def _compliance(ok):
        # Azure's verdict that this is a healthy CVM platform; a debuggable
        # guest is not one (the claim is then absent, so a policy requiring
        # azure-compliant-cvm fails).
        return {'x-ms-compliance-status': 'azure-compliant-cvm'} if ok else {}

    def verify_snp_proof(self, report_b, chain_pem):
        try:
            rep, product = verify_snp.verify(report_b, chain_pem, self.svc.amd_roots)
        except EvidenceError as e:
            raise bad('SEV-SNP evidence rejected: %s' % e, 'InvalidEvidence') from None
        rep.product = product
        return rep

    def _snp_report_json(self, s, what):
        try:
            obj = json.loads(s.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as e:
            raise bad('%s is not JSON {SnpReport, VcekCertChain}: %s' % (what, e)) from None
        if not isinstance(obj, dict):
            raise bad('%s must be a JSON object' % what)
        self._fields(obj, ('SnpReport', 'VcekCertChain', 'Endorsements'), what)
        if 'Endorsements' in obj:
            raise bad('%s.Endorsements (ACI UVM endorsements) are not supported here' % what)
        try:
            report_b = b64.url_decode(obj.get('SnpReport'), what + '.SnpReport')
            chain = b64.url_decode(obj.get('VcekCertChain'), what + '.VcekCertChain')
        except b64.DecodeError as e:
            raise bad(str(e)) from None
        return report_b, chain

    def attest_snp(self, req):
        self.check_api_version(req, 'SevSnpVm')
        body = req.json()
        self._fields(body, ('report', 'runtimeData', 'initTimeData', 'draftPolicyForAttestation',
                            'nonce'))
        if 'draftPolicyForAttestation' in body:
            raise bad('draftPolicyForAttestation is not supported by this local service')
        if not isinstance(body.get('report'), str):
            raise bad('report is required: base64url(JSON{SnpReport, VcekCertChain})')
        try:
            outer = b64.url_decode(body['report'], 'report')
        except b64.DecodeError as e:
            raise bad(str(e)) from None
        report_b, chain = self._snp_report_json(outer, 'report')
        rep = self.verify_snp_proof(report_b, chain)
        raw, obj = self._runtime(body)
        claims = {'x-ms-attestation-type': 'sevsnpvm'}
        if raw is not None:
            if not verify_snp.report_data_binds(rep.report_data, raw):
                raise bad('runtimeData is not bound to the report: REPORT_DATA[0:32] != '
                          'SHA-256(runtimeData.data)', 'InvalidEvidence')
            claims['x-ms-runtime'] = obj
        iraw, iobj = self._runtime(body, 'initTimeData')
        if iraw is not None:
            if hashlib.sha256(iraw).digest() != rep.host_data:
                raise bad('initTimeData is not bound to the report: HOST_DATA != '
                          'SHA-256(initTimeData.data)', 'InvalidEvidence')
            claims['x-ms-inittime'] = iobj
        claims.update(self.snp_claims(rep))
        self._nonce(body, claims)
        return Response(200, {'token': self.issue(req, claims)})

    # ---- TDX -------------------------------------------------------------
    def tdx_claims(self, q):
        attrs = q.td_attributes_u64
        debug = bool(attrs & evidence.TDX_TD_ATTR_DEBUG)
        c = {
            'attester_tcb_status': 'UpToDate',
            'dbgstat': 'enabled' if debug else 'disabled-since-boot',
            'eat_profile': 'https://aka.ms/maa-eat-profile-tdxvm',
            'intuse': 'generic',
            'tdx_mrconfigid': _hex(q.mrconfigid),
            'tdx_mrowner': _hex(q.mrowner),
            'tdx_mrownerconfig': _hex(q.mrownerconfig),
            'tdx_mrseam': _hex(q.mrseam),
            'tdx_mrsignerseam': _hex(q.mrsignerseam),
            'tdx_mrtd': _hex(q.mrtd),
            'tdx_report_data': _hex(q.report_data),
            'tdx_seam_attributes': _hex(q.seam_attributes),
            'tdx_seamsvn': q.tee_tcb_svn[0],
            'tdx_td_attributes': _hex(q.td_attributes),
            'tdx_td_attributes_debug': debug,
            'tdx_td_attributes_key_locker': bool(attrs & evidence.TDX_TD_ATTR_KL),
            'tdx_td_attributes_perfmon': bool(attrs & evidence.TDX_TD_ATTR_PERFMON),
            'tdx_td_attributes_protection_keys': bool(attrs & evidence.TDX_TD_ATTR_PKS),
            'tdx_td_attributes_septve_disable': bool(attrs & evidence.TDX_TD_ATTR_SEPT_VE_DISABLE),
            'tdx_tee_tcb_svn': _hex(q.tee_tcb_svn),
            'tdx_xfam': _hex(q.xfam),
        }
        for i in range(4):
            c['tdx_rtmr%d' % i] = _hex(q.rtmr[i])
        c.update(self._compliance(not debug))
        return c

    def verify_tdx_proof(self, quote_b):
        try:
            return verify_tdx.verify(quote_b, self.svc.intel_roots)
        except EvidenceError as e:
            raise bad('TDX evidence rejected: %s' % e, 'InvalidEvidence') from None

    def attest_tdx(self, req):
        self.check_api_version(req, 'TdxVm')
        body = req.json()
        self._fields(body, ('quote', 'runtimeData', 'initTimeData', 'nonce'))
        try:
            quote_b = b64.url_decode(body.get('quote'), 'quote')
        except b64.DecodeError as e:
            raise bad(str(e) + ' (quote is required: base64url of the TD quote)') from None
        q = self.verify_tdx_proof(quote_b)
        raw, obj = self._runtime(body)
        claims = {'x-ms-attestation-type': 'tdxvm'}
        if raw is not None:
            if q.report_data[:32] != hashlib.sha256(raw).digest():
                raise bad('runtimeData is not bound to the quote: REPORTDATA[0:32] != '
                          'SHA-256(runtimeData.data)', 'InvalidEvidence')
            claims['x-ms-runtime'] = obj
        iraw, iobj = self._runtime(body, 'initTimeData')
        if iraw is not None:
            if q.mrconfigid[:32] != hashlib.sha256(iraw).digest():
                raise bad('initTimeData is not bound to the quote: MRCONFIGID[0:32] != '
                          'SHA-256(initTimeData.data)', 'InvalidEvidence')
            claims['x-ms-inittime'] = iobj
        claims.update(self.tdx_claims(q))
        self._nonce(body, claims)
        return Response(200, {'token': self.issue(req, claims)})

    # ---- AzureGuest (vTPM) ------------------------------------------------
    def attest_guest(self, req):
        self.check_api_version(req, 'AzureGuest')
        body = req.json()
        keys = [k for k in ('attestationInfo', 'AttestationInfo') if k in body]
        self._fields(body, ('attestationInfo', 'AttestationInfo'))
        if len(keys) != 1 or not isinstance(body[keys[0]], str):
            raise bad('attestationInfo is required: base64url(JSON attestation info)')
        try:
            info = json.loads(b64.url_decode(body[keys[0]], 'attestationInfo').decode('utf-8'))
        except (b64.DecodeError, UnicodeDecodeError, ValueError) as e:
            raise bad('attestationInfo does not decode to JSON: %s' % e) from None
        if not isinstance(info, dict):
            raise bad('attestationInfo must be a JSON object')
        g = GuestEvidence(self, info)
        claims = g.verify()
        inner = self.issue(req, claims)
        return Response(200, {'token': g.seal(inner)})


def _dec(v, field):
    try:
        return b64.any_decode(v, field)
    except b64.DecodeError as e:
        raise bad(str(e)) from None


class GuestEvidence:
    """The AzureGuest attestation info (reference §2.4; the shape Microsoft's
    client library and cvm-attestation-tools send)."""

    FIELDS = ('AttestationProtocolVersion', 'OSType', 'OSDistro', 'OSVersionMajor',
              'OSVersionMinor', 'OSBuild', 'TcgLogs', 'ClientPayload', 'TpmInfo',
              'IsolationInfo')
    TPM_FIELDS = ('AikCert', 'AikPub', 'PcrQuote', 'PcrSignature', 'PcrSet', 'PCRs',
                  'EncKeyPub', 'EncKeyCertifyInfo', 'EncKeyCertifyInfoSignature')

    def __init__(self, maa, info):
        self.maa = maa
        self.info = info
        Maa._fields(info, self.FIELDS, 'attestationInfo')
        missing = [f for f in self.FIELDS if f not in info and f != 'ClientPayload']
        if missing:
            raise bad('attestationInfo lacks %s' % ', '.join(missing))
        if info['AttestationProtocolVersion'] != '2.0':
            raise bad('AttestationProtocolVersion %r is not supported ("2.0")'
                      % info['AttestationProtocolVersion'])

    def _str(self, field):
        v = self.info.get(field)
        if not isinstance(v, str):
            raise bad('%s must be a base64 string' % field)
        return _dec(v, field).decode('utf-8', 'replace')

    @staticmethod
    def _int(v, field):
        if isinstance(v, bool):
            raise bad('%s must be a number' % field)
        if isinstance(v, int):
            return v
        if isinstance(v, str) and v.isdigit():
            return int(v)
        raise bad('%s must be a number' % field)

    def _client_payload(self):
        cp = self.info.get('ClientPayload')
        if cp is None:
            return None
        if isinstance(cp, str):
            if not cp:
                return None
            raw = _dec(cp, 'ClientPayload')
            if not raw:
                return None
            try:
                cp = json.loads(raw.decode('utf-8'))
            except (UnicodeDecodeError, ValueError):
                raise bad('ClientPayload must be a JSON object of base64 strings') from None
        if not isinstance(cp, dict) or not all(isinstance(v, str) for v in cp.values()):
            raise bad('ClientPayload must be a JSON object of base64 strings')
        return dict(cp)

    def verify(self):
        ti = self.info['TpmInfo']
        if not isinstance(ti, dict):
            raise bad('TpmInfo must be an object')
        Maa._fields(ti, self.TPM_FIELDS, 'TpmInfo')
        missing = [f for f in self.TPM_FIELDS if f not in ti]
        if missing:
            raise bad('TpmInfo lacks %s' % ', '.join(missing))
        aik_cert_der = _dec(ti['AikCert'], 'TpmInfo.AikCert')
        try:
            aik_cert = x509.load_der_x509_certificate(aik_cert_der)
        except ValueError as e:
            raise bad('TpmInfo.AikCert is not a DER certificate: %s' % e) from None
        try:
            x509util.verify_chain([aik_cert], self.maa.svc.vtpm_roots, 'vTPM AK certificate')
        except x509util.ChainError as e:
            raise bad('AK certificate rejected: %s' % e, 'InvalidEvidence') from None
        try:
            aik = tpm.RsaPublic(_dec(ti['AikPub'], 'TpmInfo.AikPub'), 'TpmInfo.AikPub')
            enc = tpm.RsaPublic(_dec(ti['EncKeyPub'], 'TpmInfo.EncKeyPub'), 'TpmInfo.EncKeyPub')
        except tpm.TpmError as e:
            raise bad(str(e)) from None
        cert_key = aik_cert.public_key()
        if not isinstance(cert_key, rsa.RSAPublicKey) or \
                cert_key.public_numbers() != aik.public_key().public_numbers():
            raise bad('TpmInfo.AikCert does not certify TpmInfo.AikPub', 'InvalidEvidence')
        need = tpm.FIXED_TPM | tpm.FIXED_PARENT | tpm.SENSITIVE_DATA_ORIGIN | tpm.RESTRICTED \
            | tpm.SIGN
        if not aik.has(need) or aik.attributes & tpm.DECRYPT:
            raise bad('TpmInfo.AikPub is not a restricted, fixed signing key', 'InvalidEvidence')
        # PCR quote by the AK
        quote_b = _dec(ti['PcrQuote'], 'TpmInfo.PcrQuote')
        self._verify_tpm_sig(aik, quote_b, _dec(ti['PcrSignature'], 'TpmInfo.PcrSignature'),
                             'PCR quote')
        try:
            quote = tpm.Attest(quote_b, 'TpmInfo.PcrQuote')
        except tpm.TpmError as e:
            raise bad(str(e)) from None
        if quote.type != tpm.TPM_ST_ATTEST_QUOTE:
            raise bad('TpmInfo.PcrQuote is not a quote')
        pcr_set = ti['PcrSet']
        if not isinstance(pcr_set, list) or not pcr_set or \
                not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < 24
                        for i in pcr_set) or len(set(pcr_set)) != len(pcr_set):
            raise bad('TpmInfo.PcrSet must be a list of distinct PCR indexes')
        banks = quote.pcr_select.banks
        if len(banks) != 1 or banks[0][0] != tpm.TPM_ALG_SHA256:
            raise bad('the PCR quote must select the SHA-256 bank only')
        if sorted(banks[0][1]) != sorted(pcr_set):
            raise bad('the PCR quote selects PCRs %s, PcrSet says %s'
                      % (banks[0][1], sorted(pcr_set)), 'InvalidEvidence')
        pcrs = {}
        if not isinstance(ti['PCRs'], list):
            raise bad('TpmInfo.PCRs must be a list of {Index, Digest}')
        for p in ti['PCRs']:
            if not isinstance(p, dict) or set(p) != {'Index', 'Digest'}:
                raise bad('TpmInfo.PCRs entries are {Index, Digest}')
            idx = self._int(p['Index'], 'TpmInfo.PCRs.Index')
            pcrs[idx] = _dec(p['Digest'], 'TpmInfo.PCRs.Digest')
            if len(pcrs[idx]) != 32:
                raise bad('TpmInfo.PCRs[%d] is not a SHA-256 digest' % idx)
        if sorted(pcrs) != sorted(pcr_set):
            raise bad('TpmInfo.PCRs does not hold exactly the PCRs of PcrSet')
        ordered = b''.join(pcrs[i] for i in sorted(pcr_set))
        if hashlib.sha256(ordered).digest() != quote.pcr_digest:
            raise bad('TpmInfo.PCRs do not match the digest in the signed PCR quote',
                      'InvalidEvidence')
        # TCG log replay
        try:
            log = tpm.EventLog(_dec(self.info['TcgLogs'], 'TcgLogs'))
        except tpm.TpmError as e:
            raise bad(str(e)) from None
        for i in sorted(pcr_set):
            if log.pcr(i) != pcrs[i]:
                raise bad('TCG log replay does not give the quoted PCR %d' % i, 'InvalidEvidence')
        # ephemeral key certified by the AK, bound to these PCRs
        cert_b = _dec(ti['EncKeyCertifyInfo'], 'TpmInfo.EncKeyCertifyInfo')
        self._verify_tpm_sig(aik, cert_b, _dec(ti['EncKeyCertifyInfoSignature'],
                                               'TpmInfo.EncKeyCertifyInfoSignature'),
                             'EncKeyCertifyInfo')
        try:
            certify = tpm.Attest(cert_b, 'TpmInfo.EncKeyCertifyInfo')
        except tpm.TpmError as e:
            raise bad(str(e)) from None
        if certify.type != tpm.TPM_ST_ATTEST_CERTIFY or certify.name != enc.name():
            raise bad('EncKeyCertifyInfo does not certify EncKeyPub', 'InvalidEvidence')
        need = tpm.FIXED_TPM | tpm.FIXED_PARENT | tpm.SENSITIVE_DATA_ORIGIN | tpm.DECRYPT
        if not enc.has(need) or enc.attributes & (tpm.SIGN | tpm.RESTRICTED) \
                or enc.key_bits < 2048:
            raise bad('EncKeyPub is not a TPM-resident RSA (>= 2048) decryption key',
                      'InvalidEvidence')
        expect = tpm.policy_pcr_digest(quote.pcr_select.marshal(), quote.pcr_digest)
        if enc.auth_policy != expect:
            raise bad('EncKeyPub authPolicy is not PolicyPCR over the attested PCRs',
                      'InvalidEvidence')
        self.enc = enc
        # claims
        os_type = self._str('OSType')
        claims = {
            'secureboot': bool(log.secure_boot()),
            'x-ms-attestation-type': 'azurevm',
            'x-ms-azurevm-attestation-protocol-ver': '2.0',
            'x-ms-azurevm-attested-pcrs': sorted(pcr_set),
            'x-ms-azurevm-bootdebug-enabled': False,
            'x-ms-azurevm-dbvalidated': bool(log.secure_boot()),
            'x-ms-azurevm-dbxvalidated': bool(log.secure_boot()),
            'x-ms-azurevm-debuggersdisabled': True,
            'x-ms-azurevm-default-securebootkeysvalidated': bool(log.secure_boot()),
            'x-ms-azurevm-elam-enabled': False,
            'x-ms-azurevm-flightsigning-enabled': False,
            'x-ms-azurevm-hvci-policy': 0,
            'x-ms-azurevm-hypervisordebug-enabled': False,
            'x-ms-azurevm-is-windows': os_type.lower() == 'windows',
            'x-ms-azurevm-kerneldebug-enabled': False,
            'x-ms-azurevm-osbuild': self._str('OSBuild'),
            'x-ms-azurevm-osdistro': self._str('OSDistro'),
            'x-ms-azurevm-ostype': os_type,
            'x-ms-azurevm-osversion-major': self._int(self.info['OSVersionMajor'], 'OSVersionMajor'),
            'x-ms-azurevm-osversion-minor': self._int(self.info['OSVersionMinor'], 'OSVersionMinor'),
            'x-ms-azurevm-signingdisabled': True,
            'x-ms-azurevm-testsigning-enabled': False,
        }
        runtime = {'keys': [jose.rsa_public_jwk(enc.public_key(), kid='TpmEphemeralEncryptionKey',
                                                key_ops=['encrypt'])]}
        cp = self._client_payload()
        if cp is not None:
            runtime['client-payload'] = cp
        claims['x-ms-runtime'] = runtime
        tee, vmid = self._isolation(aik)
        if tee is not None:
            claims['x-ms-isolation-tee'] = tee
        if vmid:
            claims['x-ms-azurevm-vmid'] = vmid
        return claims

    @staticmethod
    def _verify_tpm_sig(aik, data, sig, what):
        pub = aik.public_key()
        scheme = aik.scheme
        try:
            if scheme in (tpm.TPM_ALG_RSASSA, tpm.TPM_ALG_NULL):
                pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
            elif scheme == tpm.TPM_ALG_RSAPSS:
                pub.verify(sig, data, padding.PSS(padding.MGF1(hashes.SHA256()),
                                                  padding.PSS.MAX_LENGTH), hashes.SHA256())
            else:
                raise bad('AK signing scheme 0x%04x is not supported' % scheme)
        except InvalidSignature:
            raise bad('%s signature does not verify with the AK' % what, 'InvalidEvidence') \
                from None

    def _isolation(self, aik):
        iso = self.info['IsolationInfo']
        if not isinstance(iso, dict):
            raise bad('IsolationInfo must be an object')
        Maa._fields(iso, ('Type', 'Evidence'), 'IsolationInfo')
        typ = iso.get('Type')
        if typ == 'TrustedLaunch':
            return None, None
        if typ not in PCR_TEE_CLAIM_TYPES:
            raise bad('IsolationInfo.Type %r is not SevSnp, Tdx or TrustedLaunch' % typ)
        ev = iso.get('Evidence')
        if not isinstance(ev, dict):
            raise bad('IsolationInfo.Evidence must be an object {Proof, RunTimeData}')
        Maa._fields(ev, ('Proof', 'RunTimeData'), 'IsolationInfo.Evidence')
        runtime_b = _dec(ev.get('RunTimeData'), 'IsolationInfo.Evidence.RunTimeData')
        proof = _dec(ev.get('Proof'), 'IsolationInfo.Evidence.Proof')
        try:
            runtime = json.loads(runtime_b.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as e:
            raise bad('RunTimeData is not the HCL runtime claims JSON: %s' % e) from None
        if not isinstance(runtime, dict):
            raise bad('RunTimeData must be a JSON object')
        if typ == 'SevSnp':
            report_b, chain = self.maa._snp_report_json(proof, 'IsolationInfo.Evidence.Proof')
            rep = self.maa.verify_snp_proof(report_b, chain)
            report_data = rep.report_data
            tee = {'x-ms-attestation-type': 'sevsnpvm'}
            tee.update(self.maa.snp_claims(rep))
        else:
            q = self.maa.verify_tdx_proof(proof)
            report_data = q.report_data
            tee = {'x-ms-attestation-type': 'tdxvm'}
            tee.update(self.maa.tdx_claims(q))
        if report_data[:32] != hashlib.sha256(runtime_b).digest():
            raise bad('HCL runtime claims are not bound to the hardware report '
                      '(REPORT_DATA[0:32] != SHA-256(RunTimeData))', 'InvalidEvidence')
        akpub = [k for k in runtime.get('keys', []) if isinstance(k, dict)
                 and k.get('kid') == 'HCLAkPub']
        if len(akpub) != 1:
            raise bad('HCL runtime claims have no HCLAkPub key', 'InvalidEvidence')
        try:
            hcl_ak = jose.rsa_public_from_jwk(akpub[0], 'HCLAkPub')
        except jose.JoseError as e:
            raise bad(str(e)) from None
        if hcl_ak.public_numbers().n != aik.n or hcl_ak.public_numbers().e != aik.exponent:
            raise bad('HCLAkPub in the hardware-bound runtime claims is not the AK that signed '
                      'the PCR quote', 'InvalidEvidence')
        tee['x-ms-runtime'] = runtime
        vm = runtime.get('vm-configuration')
        vmid = vm.get('vmUniqueId') if isinstance(vm, dict) else None
        return tee, vmid if isinstance(vmid, str) else None

    def seal(self, jwt):
        """The SealedAttestationResponse: the JWT under AES-256-GCM (AAD
        "Transport Key"), its key RSAES-PKCS1-v1_5-encrypted to EncKeyPub."""
        key = AESGCM.generate_key(bit_length=256)
        iv = os.urandom(12)
        ct = AESGCM(key).encrypt(iv, jwt.encode(), b'Transport Key')
        wrapped = self.enc.public_key().encrypt(key, padding.PKCS1v15())
        sealed = {
            'AuthenticationData': b64.std_encode(ct[-16:]),
            'EncryptedInnerKey': b64.std_encode(wrapped),
            'EncryptionParams': {'BlockMode': 'ChainingModeGCM', 'BlockPadding': 'PKCS7',
                                 'Cipher': 'AES', 'Iv': b64.std_encode(iv),
                                 'KeySizeInBits': 256},
            'Jwt': b64.std_encode(ct[:-16]),
        }
        return b64.url_encode(json.dumps(sealed).encode())


def routes(app, maa):
    app.route('GET', r'/certs', 'attest.certs', maa.certs)
    app.route('GET', r'/\.well-known/openid-configuration', 'attest.openid', maa.openid)
    # MAA routes case-insensitively (confidential-sidecar-containers posts to
    # /attest/SevSnpVM).
    app.route('POST', r'/attest/sevsnpvm', 'attest.SevSnpVm', maa.attest_snp, re.I)
    app.route('POST', r'/attest/tdxvm', 'attest.TdxVm', maa.attest_tdx, re.I)
    app.route('POST', r'/attest/azureguest', 'attest.AzureGuest', maa.attest_guest, re.I)
    app.route('POST', r'/attest/(?P<other>sgxenclave|openenclave|tpm)', 'attest.other',
              maa.not_implemented, re.I)
