"""Azure Instance Metadata Service (plain HTTP, like 169.254.169.254):
managed-identity tokens, THIM's AMD VCEK certification, and the TDX quote
endpoint /acc/tdquote (reference §1.7, §3.1, §4.3)."""
import os
import time
import uuid

from . import b64, evidence, jose
from .http import ApiError, Response

TOKEN_API_VERSIONS = ('2018-02-01', '2019-08-01')
RESOURCES = ('https://vault.azure.net', 'https://managedhsm.azure.net',
             'https://attest.azure.net', 'https://management.azure.com',
             'https://storage.azure.com')
TOKEN_LIFETIME = 86399


def error_body(status, code, message):
    # IMDS answers OAuth-style errors: {"error": ..., "error_description": ...}
    return {'error': code, 'error_description': message}


def require_metadata(req):
    if req.header('X-Forwarded-For') is not None:
        raise ApiError(400, 'invalid_request', 'Requests with X-Forwarded-For are refused')
    if (req.header('Metadata') or '').lower() != 'true':
        raise ApiError(400, 'invalid_request', 'Required metadata header not specified')


class Imds:
    def __init__(self, svc):
        self.svc = svc
        self._thim = None

    # ---- managed identity ------------------------------------------------
    def token(self, req):
        require_metadata(req)
        v = req.q('api-version')
        if v is None:
            raise ApiError(400, 'invalid_request', 'Required query variable \'api-version\' '
                           'is missing')
        if v not in TOKEN_API_VERSIONS:
            raise ApiError(400, 'invalid_request', 'Invalid api-version \'%s\' (supported: %s)'
                           % (v, ', '.join(TOKEN_API_VERSIONS)))
        resource = req.q('resource')
        if not resource:
            raise ApiError(400, 'invalid_request', 'Required query variable \'resource\' is '
                           'missing')
        if resource.rstrip('/') not in RESOURCES:
            raise ApiError(400, 'invalid_resource', 'AADSTS500011: The resource principal named '
                           '%s was not found in the tenant %s.' % (resource, self.svc.cfg.tenant_id))
        cfg = self.svc.cfg
        ids = [(k, req.q(k)) for k in ('client_id', 'object_id', 'msi_res_id')
               if req.q(k) is not None]
        if len(ids) > 1:
            raise ApiError(400, 'invalid_request', 'Only one of client_id, object_id and '
                           'msi_res_id may be given')
        if ids:
            k, val = ids[0]
            want = {'client_id': cfg.mi_client_id, 'object_id': cfg.mi_object_id,
                    'msi_res_id': cfg.mi_res_id}[k]
            if val.lower() != want.lower():
                raise ApiError(400, 'invalid_request', 'Identity not found')
        now = int(time.time())
        exp = now + TOKEN_LIFETIME
        claims = {'aud': resource, 'iss': self.svc.entra_issuer(), 'iat': now, 'nbf': now,
                  'exp': exp, 'appid': cfg.mi_client_id, 'appidacr': '2',
                  'idp': self.svc.entra_issuer(), 'oid': cfg.mi_object_id,
                  'sub': cfg.mi_object_id, 'tid': cfg.tenant_id,
                  'uti': b64.url_encode(os.urandom(16)), 'ver': '1.0',
                  'xms_mirid': cfg.mi_res_id}
        if req.fault == 'expired':
            claims['iat'] = claims['nbf'] = now - 3 * 3600
            claims['exp'] = exp = now - 2 * 3600
        if req.fault == 'wrong-issuer':
            claims['iss'] = 'https://sts.windows.net/%s/' % uuid.UUID(int=0)
        kid = self.svc.entra_kid()
        token = jose.sign_rs256({'typ': 'JWT', 'alg': 'RS256', 'x5t': kid, 'kid': kid}, claims,
                                self.svc.pki.entra_key, corrupt=req.fault == 'bad-signature')
        return Response(200, {
            'access_token': token, 'refresh_token': '', 'client_id': cfg.mi_client_id,
            'expires_in': str(exp - now), 'expires_on': str(exp),
            'ext_expires_in': str(exp - now), 'not_before': str(claims['nbf']),
            'resource': resource, 'token_type': 'Bearer'})

    # ---- THIM ---------------------------------------------------------------
    def thim(self, req):
        require_metadata(req)
        if self._thim is None:
            cfg, sim = self.svc.cfg, self.svc.sim
            product = cfg.thim_product
            chip, tcb = cfg.thim_chip_id, cfg.thim_tcb
            if chip is None or tcb is None:
                dchip, dtcb = sim.default_chip(product)
                chip = dchip if chip is None else chip
                tcb = dtcb if tcb is None else tcb
            if product == 'turin':
                chip = chip[:evidence.SNP_CHIP_ID_LEN_TURIN]
            vcek = sim.vcek_pem(product, chip, tcb).decode()
            chain = sim.roots(product).decode()
            self._thim = {'vcekCert': vcek, 'tcbm': '%016X' % tcb, 'certificateChain': chain}
        return Response(200, self._thim)

    # ---- TDX quote ------------------------------------------------------------
    def tdquote(self, req):
        body = req.json()
        unknown = set(body) - {'report'}
        if unknown:
            raise ApiError(400, 'invalid_request', 'unknown member(s) %s'
                           % ', '.join(sorted(unknown)))
        try:
            report = b64.url_decode(body.get('report'), 'report')
        except b64.DecodeError as e:
            raise ApiError(400, 'invalid_request', str(e)) from None
        if len(report) != evidence.TDX_REPORT_SIZE:
            raise ApiError(400, 'invalid_request', 'report must be a %d-byte TDREPORT, got %d'
                           % (evidence.TDX_REPORT_SIZE, len(report)))
        try:
            quote = self.svc.sim.tdx_quote(report)
        except Exception as e:  # noqa: BLE001 - the QGS refusing the report
            raise ApiError(400, 'invalid_request', 'the quoting enclave refused the TDREPORT: %s'
                           % e) from None
        return Response(200, {'quote': b64.url_encode(quote)})


def routes(app, imds):
    app.route('GET', r'/metadata/identity/oauth2/token', 'imds.token', imds.token)
    app.route('GET', r'/metadata/THIM/amd/certification', 'imds.thim', imds.thim)
    app.route('POST', r'/acc/tdquote', 'imds.tdquote', imds.tdquote)

