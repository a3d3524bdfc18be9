// Package edgecheck tests the nginx edge configuration in deploy/nginx:
// `nginx -t` on it, and a real nginx run with it in front of an upstream
// (TLS, HTTP/2, redirect, SSE without buffering, upload limit from the
// plans, auth rate limit). It has no code besides its tests.
package edgecheck
