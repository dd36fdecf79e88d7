"""Key release policies: the version 1.0.0 grammar of Azure Key Vault and
Managed HSM (learn.microsoft.com .../keys/policy-grammar; reference §4.2).

    policy    = {"version": "1.0.0", "anyOf": [authority, ...]}
    authority = {"authority": URL, ("anyOf" | "allOf"): [condition, ...]}
    condition = {"claim": PATH, OP: value}
              | {("anyOf" | "allOf"): [condition, ...]}           (nesting)
              | {"claim": PATH, "condition": "equals", "value": v} (legacy)
    OP        = equals | notEquals | less | lessOrEquals | greater
              | greaterOrEquals | exists

The policy is validated when the key is created or imported (400 there) and
evaluated on release against the attestation token whose issuer matches an
authority.  Decisions where the documentation is silent are in README.md.
"""
import json
import numbers
import urllib.parse

OPERATORS = ('equals', 'notEquals', 'less', 'lessOrEquals', 'greater', 'greaterOrEquals',
             'exists')
MAX_DEPTH = 4


class PolicyError(ValueError):
    pass


def normalize_authority(url):
    """Scheme and host compare case-insensitively, the default port and a
    trailing slash do not matter (policies in the wild carry both forms)."""
    try:
        u = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return url
    scheme = u.scheme.lower()
    host = (u.hostname or '').lower()
    port = u.port
    if port is not None and not ((scheme == 'https' and port == 443)
                                 or (scheme == 'http' and port == 80)):
        host = '%s:%d' % (host, port)
    return '%s://%s%s' % (scheme, host, u.path.rstrip('/'))


def _check_group(node, depth, where):
    keys = [k for k in ('anyOf', 'allOf') if k in node]
    if len(keys) != 1:
        raise PolicyError('%s must have exactly one of anyOf/allOf' % where)
    items = node[keys[0]]
    if not isinstance(items, list) or not items:
        raise PolicyError('%s.%s must be a non-empty array' % (where, keys[0]))
    for i, c in enumerate(items):
        _check_condition(c, depth, '%s.%s[%d]' % (where, keys[0], i))


def _check_condition(c, depth, where):
    if not isinstance(c, dict):
        raise PolicyError('%s must be an object' % where)
    if 'claim' not in c:
        if depth >= MAX_DEPTH:
            raise PolicyError('%s: anyOf/allOf nested deeper than %d' % (where, MAX_DEPTH))
        extra = set(c) - {'anyOf', 'allOf'}
        if extra:
            raise PolicyError('%s has unknown member(s) %s' % (where, ', '.join(sorted(extra))))
        _check_group(c, depth + 1, where)
        return
    if not isinstance(c['claim'], str) or not c['claim'] or \
            any(not part for part in c['claim'].split('.')):
        raise PolicyError('%s.claim must be a dotted claim name' % where)
    if 'condition' in c:                      # legacy form
        if set(c) != {'claim', 'condition', 'value'}:
            raise PolicyError('%s: the legacy form is {claim, condition, value}' % where)
        if c['condition'] not in OPERATORS or c['condition'] == 'exists':
            raise PolicyError('%s.condition %r is not an operator' % (where, c['condition']))
        _check_value(c['condition'], c['value'], where)
        return
    ops = [k for k in c if k != 'claim']
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise PolicyError('%s must have "claim" and exactly one operator of %s'
                          % (where, ', '.join(OPERATORS)))
    _check_value(ops[0], c[ops[0]], where)


def _check_value(op, v, where):
    if op == 'exists':
        if not isinstance(v, bool):
            raise PolicyError('%s: exists takes true or false' % where)
    elif op in ('equals', 'notEquals'):
        if not isinstance(v, (str, bool, numbers.Number)) or v is None:
            raise PolicyError('%s: %s takes a string, number or boolean' % (where, op))
    elif isinstance(v, bool) or not isinstance(v, (numbers.Number, str)):
        raise PolicyError('%s: %s takes a number' % (where, op))
    elif isinstance(v, str):
        try:
            float(v)
        except ValueError:
            raise PolicyError('%s: %s takes a number, got %r' % (where, op, v)) from None


def parse(data):
    """Validate policy bytes (UTF-8 JSON); return the parsed policy."""
    try:
        pol = json.loads(data.decode('utf-8') if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, ValueError) as e:
        raise PolicyError('release policy is not UTF-8 JSON: %s' % e) from None
    if not isinstance(pol, dict):
        raise PolicyError('release policy must be a JSON object')
    extra = set(pol) - {'version', 'anyOf'}
    if extra:
        raise PolicyError('release policy has unknown member(s) %s' % ', '.join(sorted(extra)))
    if 'version' in pol and pol['version'] != '1.0.0':
        raise PolicyError('release policy version %r is not supported ("1.0.0")'
                          % pol['version'])
    auths = pol.get('anyOf')
    if not isinstance(auths, list) or not auths:
        raise PolicyError('release policy needs a non-empty top-level anyOf of authorities')
    for i, a in enumerate(auths):
        where = 'anyOf[%d]' % i
        if not isinstance(a, dict):
            raise PolicyError('%s must be an object' % where)
        if not isinstance(a.get('authority'), str):
            raise PolicyError('%s.authority must be the attestation service URL' % where)
        u = urllib.parse.urlsplit(a['authority'])
        if u.scheme not in ('https', 'http') or not u.hostname:
            raise PolicyError('%s.authority %r is not an http(s) URL' % (where, a['authority']))
        extra = set(a) - {'authority', 'anyOf', 'allOf'}
        if extra:
            raise PolicyError('%s has unknown member(s) %s' % (where, ', '.join(sorted(extra))))
        _check_group(a, 1, where)
    return pol


# ---- evaluation -----------------------------------------------------------

_MISSING = object()


def lookup(claims, path):
    cur = claims
    for part in path.split('.'):
        if not isinstance(cur, dict) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


def _as_number(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, numbers.Number):
        return v
    if isinstance(v, str):
        try:
            return float(v) if any(ch in v for ch in '.eE') else int(v, 10)
        except ValueError:
            return None
    return None


def _equal(token_v, policy_v):
    """Same JSON type: ==.  A boolean and the strings "true"/"false" are equal
    (the Key Vault sample policy writes "false" for a boolean claim); numbers
    and numeric strings compare as numbers.  Strings are case-sensitive."""
    if isinstance(policy_v, bool) or isinstance(token_v, bool):
        tb = token_v if isinstance(token_v, bool) else (
            {'true': True, 'false': False}.get(token_v.lower()) if isinstance(token_v, str)
            else None)
        pb = policy_v if isinstance(policy_v, bool) else (
            {'true': True, 'false': False}.get(policy_v.lower()) if isinstance(policy_v, str)
            else None)
        return tb is not None and tb == pb
    if isinstance(policy_v, str) and isinstance(token_v, str):
        return policy_v == token_v
    a, b = _as_number(token_v), _as_number(policy_v)
    return a is not None and b is not None and a == b


def _show(v):
    return 'absent' if v is _MISSING else json.dumps(v)


def _eval_claim(c, claims):
    if 'condition' in c:
        op, want = c['condition'], c['value']
    else:
        op = [k for k in c if k != 'claim'][0]
        want = c[op]
    got = lookup(claims, c['claim'])
    if op == 'exists':
        ok = (got is not _MISSING) == want
    elif got is _MISSING:
        ok = False
    elif op == 'equals':
        ok = _equal(got, want)
    elif op == 'notEquals':
        ok = not _equal(got, want)
    else:
        a, b = _as_number(got), _as_number(want)
        if a is None or b is None:
            ok = False
        else:
            ok = {'less': a < b, 'lessOrEquals': a <= b, 'greater': a > b,
                  'greaterOrEquals': a >= b}[op]
    if ok:
        return []
    return ['claim %s %s %s (token: %s)' % (c['claim'], op, json.dumps(want), _show(got))]


def _eval_group(node, claims):
    key = 'anyOf' if 'anyOf' in node else 'allOf'
    failures = []
    for c in node[key]:
        f = _eval_group(c, claims) if 'claim' not in c else _eval_claim(c, claims)
        if key == 'anyOf' and not f:
            return []
        failures += f
    if key == 'anyOf':
        return ['none of: [%s]' % '; '.join(failures)] if len(failures) > 1 else failures
    return failures


def evaluate(pol, claims, issuer):
    """[] if the policy grants release to a token from issuer with these
    claims, else the reasons (each names a claim or the authority)."""
    iss = normalize_authority(issuer)
    matched, reasons = False, []
    for a in pol['anyOf']:
        if normalize_authority(a['authority']) != iss:
            continue
        matched = True
        f = _eval_group(a, claims)
        if not f:
            return []
        reasons += f
    if not matched:
        return ['the token issuer %s matches no authority of the policy (%s)'
                % (issuer, ', '.join(a['authority'] for a in pol['anyOf']))]
    return reasons
