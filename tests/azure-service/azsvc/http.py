"""A small HTTP/1.1 server on the standard library: one listener per
service (attestation, Key Vault, IMDS, admin), TLS handshakes done in the
request thread so a slow client cannot stall accept(), one log line per
request, and the fault switches applied before a handler runs."""
import http.server
import json
import re
import socket
import socketserver
import ssl
import struct
import threading
import time
import urllib.parse

MAX_BODY = 8 << 20


class ApiError(Exception):
    """An error answered in the service's own JSON shape."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class Request:
    def __init__(self, handler, method, body):
        self.handler = handler
        self.method = method
        raw_path, _, qs = handler.path.partition('?')
        self.raw_target = handler.path
        self.path = urllib.parse.unquote(raw_path)
        self.query = urllib.parse.parse_qs(qs, keep_blank_values=True)
        self.headers = handler.headers
        self.body = body
        self.client = handler.client_address[0]
        self.fault = None          # a token-level fault for the handler
        self.params = {}

    def q(self, name):
        """A query parameter given at most once (None if absent)."""
        v = self.query.get(name)
        if v is None:
            return None
        if len(v) != 1:
            raise ApiError(400, 'BadParameter', 'query parameter %s given %d times'
                           % (name, len(v)))
        return v[0]

    def header(self, name):
        return self.headers.get(name)

    def host(self):
        return self.headers.get('Host')

    def json(self, what='request body'):
        ctype = (self.headers.get('Content-Type') or '').split(';')[0].strip().lower()
        if ctype != 'application/json':
            raise ApiError(415, 'UnsupportedMediaType',
                           'Content-Type must be application/json, got %r'
                           % self.headers.get('Content-Type'))
        try:
            obj = json.loads(self.body.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(400, 'BadParameter', '%s is not valid JSON: %s' % (what, e)) from None
        if not isinstance(obj, dict):
            raise ApiError(400, 'BadParameter', '%s must be a JSON object' % what)
        return obj


class Response:
    def __init__(self, status=200, body=None, headers=None, ctype='application/json'):
        self.status = status
        self.headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.body = body or b''
        if body is not None:
            self.headers.setdefault('Content-Type', ctype)


class App:
    """Routes of one listener.  error_body(status, code, message) shapes
    errors as that service does."""

    def __init__(self, name, service, error_body, check_host=False):
        self.check_host = check_host
        self.name = name
        self.service = service
        self.error_body = error_body
        self.routes = []

    def route(self, method, pattern, endpoint, handler, flags=0):
        self.routes.append((method, re.compile('^' + pattern + '$', flags), endpoint, handler))

    def match(self, method, path):
        allowed = False
        for m, rx, endpoint, handler in self.routes:
            mo = rx.match(path)
            if mo:
                if m == method:
                    return endpoint, handler, mo.groupdict()
                allowed = True
        return None, None, allowed


def rst_close(sock):
    """Close with a TCP RST (SO_LINGER 0): the 'connection reset' fault."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'cvmattest-azure-service'
    sys_version = ''

    def version_string(self):
        return self.server_version
    timeout = 30

    def log_message(self, fmt, *args):   # quiet: we log one line per request ourselves
        pass

    def _read_body(self):
        te = (self.headers.get('Transfer-Encoding') or '').lower()
        if te:
            if te != 'chunked':
                raise ApiError(501, 'NotImplemented', 'Transfer-Encoding %s' % te)
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b';')[0].strip(), 16)
                except ValueError:
                    raise ApiError(400, 'BadParameter', 'bad chunked encoding') from None
                if size == 0:
                    while self.rfile.readline(1024) not in (b'\r\n', b'\n', b''):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ApiError(413, 'RequestEntityTooLarge', 'request body too large')
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b''.join(chunks)
        length = self.headers.get('Content-Length')
        if length is None:
            return b''
        try:
            n = int(length)
        except ValueError:
            raise ApiError(400, 'BadParameter', 'bad Content-Length') from None
        if n < 0 or n > MAX_BODY:
            raise ApiError(413, 'RequestEntityTooLarge', 'request body too large')
        body = self.rfile.read(n)
        if len(body) != n:
            raise ApiError(400, 'BadParameter', 'request body shorter than Content-Length')
        return body

    def _handle(self, method):
        """Dispatch, log, then answer: the log line is written before the
        client can see the response, so a client that got an answer finds
        its line in the log."""
        app = self.server.app
        svc = app.service
        start = time.monotonic()
        endpoint, faults, action, code = '-', [], 'send', None
        try:
            body = self._read_body()
            req = Request(self, method, body)
            endpoint, handler, params = app.match(method, req.path)
            if handler is None:
                endpoint = '-'
                if params:
                    raise ApiError(405, 'MethodNotAllowed',
                                   '%s is not allowed on %s' % (method, req.path))
                raise ApiError(404, 'NotFound', 'no such resource: %s' % req.path)
            req.params = params
            if app.check_host:
                svc.instance_url(req)     # 400 for a Host that is not one of ours
            latency, other = svc.faults.take(endpoint) if svc.faults else (None, None)
            if latency is not None:
                faults.append('latency=%dms' % latency.ms)
                time.sleep(latency.ms / 1000.0)
            if other is not None:
                faults.append(other.kind)
                if other.kind == 'status':
                    raise ApiError(other.status, 'ServiceUnavailable' if other.status == 503
                                   else 'InternalServerError',
                                   'injected fault: HTTP %d' % other.status)
                if other.kind == 'throttle':
                    raise ApiError(429, 'Throttled', 'Too many requests, retry after %d s'
                                   % other.retry_after, {'Retry-After': str(other.retry_after)})
                if other.kind in ('reset', 'truncate'):
                    action = other.kind
                else:
                    req.fault = other.kind
            resp = Response(200) if action == 'reset' else handler(req)
        except ApiError as e:
            resp = Response(e.status, app.error_body(e.status, e.code, e.message), e.headers)
            code = e.code
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
            self._log(svc, app, method, 'ABORT', 0, start, faults, None, endpoint)
            return
        except Exception as e:  # noqa: BLE001 - a bug must not kill the listener
            svc.log_error(app.name, e)
            resp = Response(500, app.error_body(500, 'InternalServerError',
                                                'internal error in the local service'))
            code = 'InternalServerError'
        if action == 'reset':
            self._log(svc, app, method, 'RST', 0, start, faults, None, endpoint)
            self.close_connection = True
            rst_close(self.connection)
            return
        sent = len(resp.body) // 2 if action == 'truncate' else len(resp.body)
        status = '%d(truncated)' % resp.status if action == 'truncate' else resp.status
        self._log(svc, app, method, status, sent, start, faults, code, endpoint)
        try:
            self._send(resp, truncate=action == 'truncate')
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
            self.close_connection = True

    def _log(self, svc, app, method, status, sent, start, faults, code, endpoint):
        svc.log_request(app.name, self.client_address[0], method, getattr(self, 'path', '?'),
                        status, sent, (time.monotonic() - start) * 1000,
                        '+'.join(faults) or '-', code, endpoint)

    def _send(self, resp, truncate=False):
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(resp.body)))
        if truncate:
            self.send_header('Connection', 'close')
        self.end_headers()
        if truncate:
            self.wfile.write(resp.body[:len(resp.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:            # a plain FIN (no TLS close_notify): the body just ends early
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(resp.body)

    def do_GET(self):
        self._handle('GET')

    def do_POST(self):
        self._handle('POST')

    def do_PUT(self):
        self._handle('PUT')

    def do_DELETE(self):
        self._handle('DELETE')

    def do_PATCH(self):
        self._handle('PATCH')


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, app, ssl_ctx=None):
        self.app = app
        self.ssl_ctx = ssl_ctx
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        if self.ssl_ctx is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        request.settimeout(10)
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.app.service.log_tls_failure(self.app.name, client_address[0], e)
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


def serve(server):
    t = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.2},
                         name='serve-' + server.app.name, daemon=True)
    t.start()
    return t
