#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A stand-in for Intel PCS (or a PCCS) on loopback: HTTPS, the file DIR/PATH for
each GET (the query is ignored but logged), and for PATH.headers, a file of
"Name: FILE" lines, each header sent with FILE's text URL-encoded as PCS sends its
issuer chains. Every request line is appended to DIR/requests.log.
usage: pcs-server.py DIR CERT KEY PORTFILE"""
import http.server, os, ssl, sys, urllib.parse

root, cert, key, portfile = sys.argv[1:5]


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(os.path.join(root, 'requests.log'), 'a') as f:
            f.write(self.path + '\n')
        path = os.path.normpath(urllib.parse.urlsplit(self.path).path).lstrip('/')
        file = os.path.join(root, path)
        if '..' in path or not os.path.isfile(file):
            self.send_error(404)
            return
        with open(file, 'rb') as f:
            body = f.read()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        if os.path.isfile(file + '.headers'):
            with open(file + '.headers') as h:
                for line in h:
                    name, _, src = line.strip().partition(': ')
                    with open(os.path.join(root, src)) as s:
                        self.send_header(name, urllib.parse.quote(s.read(), safe=''))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = http.server.HTTPServer(('127.0.0.1', 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + '.tmp', 'w') as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + '.tmp', portfile)
srv.serve_forever()
