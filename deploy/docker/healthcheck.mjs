// The image's HEALTHCHECK: exit 0 when this node's /readyz answers 200 within 2 s, else 1.
// Plain JavaScript with no dependencies, so that it runs from the image as it is. It asks the
// HTTP listener the node itself uses (FLOE_HTTP_LISTEN), on loopback when that is a wildcard,
// over HTTPS when the node serves it (FLOE_HTTP_TLS=on; the certificate is not checked: this is
// the node asking itself, and /readyz needs no credentials).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const listen = process.env.FLOE_HTTP_LISTEN || '127.0.0.1:8080';
const at = listen.lastIndexOf(':');
let host = listen.slice(0, at);
const port = listen.slice(at + 1);
if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
if (host === '[::]') host = '[::1]';
const tls = process.env.FLOE_HTTP_TLS === 'on';
const req = (tls ? httpsRequest : httpRequest)(`${tls ? 'https' : 'http'}://${host}:${port}/readyz`, { timeout: 2000, rejectUnauthorized: false }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => process.exit(1));
req.on('error', () => process.exit(1));
req.end();
