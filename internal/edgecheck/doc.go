// Package edgecheck tests the nginx edge configuration in deploy/nginx:
// `nginx -t` on it, and a real nginx run with it in front of a small
// upstream (TLS, HTTP/2, redirect, SSE without buffering, upload limit
// from the plans, auth rate limit) and in front of the real API
// (registration, upload, the job event stream, the API's and the edge's
// 413). It has no code besides its tests.
package edgecheck
