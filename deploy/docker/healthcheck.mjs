// The image's HEALTHCHECK: exit 0 when this node's /readyz answers 200 within 2 s, else 1.
// Plain JavaScript with no dependencies, so that it runs from the image as it is. It asks the
// HTTP listener the node itself uses (FLOE_HTTP_LISTEN), on loopback when that is a wildcard.
const listen = process.env.FLOE_HTTP_LISTEN || '127.0.0.1:8080';
const at = listen.lastIndexOf(':');
let host = listen.slice(0, at);
const port = listen.slice(at + 1);
if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
if (host === '[::]') host = '[::1]';
try {
  const res = await fetch(`http://${host}:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
