"""Fault switches.  Every fault is bounded: a count of requests (default 1,
at most 1000), an expiry in seconds (at most 3600), or both; latency is at
most 30 s per request.  So a forgotten switch cannot hang a test.

kinds
  latency         delay the response by ms               any endpoint
  status          answer with HTTP `status` (5xx)        any endpoint
  throttle        429 with Retry-After: retry_after s    any endpoint
  reset           close the TCP connection with a RST    any endpoint
  truncate        send half of the body, then close (FIN) any endpoint
  bad-signature   a token/JWS whose signature fails      attest.*, imds.token, kv.release
  expired         a token that expired an hour ago       attest.*, imds.token
  wrong-issuer    a token whose iss is another service   attest.*, imds.token
  policy-mismatch release refused as if the policy failed kv.release

targets: an endpoint name (attest.SevSnpVm, kv.release, imds.token, ...),
a service (attest, kv, imds: all of its endpoints) or * (everything).
"""
import itertools
import threading
import time

ENDPOINTS = (
    'attest.SevSnpVm', 'attest.TdxVm', 'attest.AzureGuest', 'attest.certs', 'attest.openid',
    'kv.create', 'kv.import', 'kv.get', 'kv.list', 'kv.delete', 'kv.release',
    'imds.token', 'imds.thim', 'imds.tdquote',
)
TOKEN_ENDPOINTS = ('attest.SevSnpVm', 'attest.TdxVm', 'attest.AzureGuest', 'imds.token')
KINDS = {
    'latency': None,
    'status': None,
    'throttle': None,
    'reset': None,
    'truncate': None,
    'bad-signature': TOKEN_ENDPOINTS + ('kv.release',),
    'expired': TOKEN_ENDPOINTS,
    'wrong-issuer': TOKEN_ENDPOINTS,
    'policy-mismatch': ('kv.release',),
}
MAX_COUNT = 1000
MAX_SECONDS = 3600
MAX_LATENCY_MS = 30000


class FaultError(ValueError):
    pass


def endpoints_of(target):
    if target == '*':
        return list(ENDPOINTS)
    if target in ENDPOINTS:
        return [target]
    eps = [e for e in ENDPOINTS if e.split('.')[0] == target]
    if not eps:
        raise FaultError('unknown target %r (an endpoint, attest, kv, imds or *)' % target)
    return eps


def _int(spec, key, lo, hi, default=None):
    v = spec.get(key, default)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise FaultError('%s must be a number' % key)
    try:
        v = int(v)
    except ValueError:
        raise FaultError('%s must be a number' % key) from None
    if not lo <= v <= hi:
        raise FaultError('%s must be between %d and %d' % (key, lo, hi))
    return v


class Fault:
    _ids = itertools.count(1)

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise FaultError('a fault is a JSON object')
        unknown = set(spec) - {'target', 'kind', 'count', 'seconds', 'ms', 'status',
                               'retry_after'}
        if unknown:
            raise FaultError('unknown fault field(s): %s' % ', '.join(sorted(unknown)))
        self.kind = spec.get('kind')
        if self.kind not in KINDS:
            raise FaultError('kind must be one of %s' % ', '.join(KINDS))
        self.target = spec.get('target', '*')
        if not isinstance(self.target, str):
            raise FaultError('target must be a string')
        eps = endpoints_of(self.target)
        allowed = KINDS[self.kind]
        if allowed is not None:
            eps = [e for e in eps if e in allowed]
            if not eps:
                raise FaultError('%s does not apply to %s (only %s)'
                                 % (self.kind, self.target, ', '.join(allowed)))
        self.endpoints = set(eps)
        self.seconds = _int(spec, 'seconds', 1, MAX_SECONDS)
        self.count = _int(spec, 'count', 1, MAX_COUNT, None if self.seconds else 1)
        self.until = time.monotonic() + self.seconds if self.seconds else None
        self.ms = _int(spec, 'ms', 1, MAX_LATENCY_MS, 1000 if self.kind == 'latency' else None)
        self.status = _int(spec, 'status', 500, 599, 503 if self.kind == 'status' else None)
        self.retry_after = _int(spec, 'retry_after', 0, MAX_SECONDS,
                                1 if self.kind == 'throttle' else None)
        for key, kinds in (('ms', ('latency',)), ('status', ('status',)),
                           ('retry_after', ('throttle',))):
            if key in spec and self.kind not in kinds:
                raise FaultError('%s only applies to %s' % (key, '/'.join(kinds)))
        self.id = next(self._ids)
        self.hits = 0

    def active(self, now):
        if self.until is not None and now >= self.until:
            return False
        return self.count is None or self.count > 0

    def describe(self):
        d = {'id': self.id, 'target': self.target, 'kind': self.kind, 'hits': self.hits}
        if self.count is not None:
            d['remaining'] = self.count
        if self.until is not None:
            d['seconds_left'] = max(0, round(self.until - time.monotonic(), 1))
        for k in ('ms', 'status', 'retry_after'):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        return d


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.faults = []

    def add(self, spec):
        f = Fault(spec)
        with self.lock:
            self.faults.append(f)
        return f

    def clear(self, fid=None):
        with self.lock:
            before = len(self.faults)
            self.faults = [f for f in self.faults if fid is not None and f.id != fid]
            return before - len(self.faults)

    def list(self):
        now = time.monotonic()
        with self.lock:
            self.faults = [f for f in self.faults if f.active(now)]
            return [f.describe() for f in self.faults]

    def take(self, endpoint):
        """Consume the faults that apply to one request: (latency fault,
        other fault); each consumes one unit of its count."""
        now = time.monotonic()
        latency = other = None
        with self.lock:
            for f in self.faults:
                if endpoint not in f.endpoints or not f.active(now):
                    continue
                if f.kind == 'latency':
                    if latency is None:
                        latency = f
                elif other is None:
                    other = f
            for f in (latency, other):
                if f is not None:
                    f.hits += 1
                    if f.count is not None:
                        f.count -= 1
            self.faults = [f for f in self.faults if f.active(now)]
        return latency, other


def parse_spec(text):
    """CLI form: KIND@TARGET[,key=value...], e.g. throttle@kv.release,count=2,retry_after=1"""
    head, _, rest = text.partition(',')
    kind, _, target = head.partition('@')
    spec = {'kind': kind, 'target': target or '*'}
    for item in filter(None, rest.split(',')):
        k, sep, v = item.partition('=')
        if not sep:
            raise FaultError('bad fault option %r (key=value expected)' % item)
        spec[k.strip()] = v.strip()
    return spec
