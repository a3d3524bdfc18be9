package webapp_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/httpapi"
	"github.com/quizflow/quizflow/internal/webapp"
	"github.com/quizflow/quizflow/web"
)

// apiServer is the real API (httpapi.New, as cmd/api and `quizflow dev`
// build it through internal/app) serving the committed build, with no
// services behind it: the requests here never reach one.
func apiServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Log: zerolog.Nop()}).Handler())
	t.Cleanup(srv.Close)
	return srv
}

// answer is one response, its body decoded from gzip when it was sent so.
type answer struct {
	status int
	header http.Header
	body   []byte // as sent
	plain  []byte // decoded
}

// get sends method path with the given header lines (name, value, ...)
// over a real connection; the transport's own gzip handling is off, so
// the test sees what was sent.
func get(t *testing.T, base, method, path string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	res, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	a := answer{status: res.StatusCode, header: res.Header, body: body, plain: body}
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s %s: gzip: %v", method, path, err)
		}
		if a.plain, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s %s: gunzip: %v", method, path, err)
		}
	}
	return a
}

// raw sends a request line byte for byte (a client would clean the
// path) and returns the status and body.
func raw(t *testing.T, base, target string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func readIndex(t *testing.T) []byte {
	t.Helper()
	b, err := fs.ReadFile(web.Dist(), "index.html")
	if err != nil {
		t.Fatalf("the build has no index.html: %v", err)
	}
	return b
}

// wantJSON404 checks an answer is the API's JSON 404.
func wantJSON404(t *testing.T, what string, a answer) {
	t.Helper()
	var body struct {
		Error struct{ Code string }
	}
	if a.status != http.StatusNotFound || json.Unmarshal(a.plain, &body) != nil || body.Error.Code != "not_found" {
		t.Errorf("%s: status %d, %s; want the JSON 404", what, a.status, a.plain)
	}
}

func TestAppPathsServeIndex(t *testing.T) {
	srv := apiServer(t)
	index := readIndex(t)
	for _, p := range []string{"/", "/index.html", "/documents/doc_abc", "/quizzes/quiz_1/edit", "/s/Zm9vYmFy-token",
		"/account?tab=keys", "/sign-in?next=%2Fdocuments", "/verify-email?token=abc", "/reset-password?token=abc",
		"/v1x", "/adminish"} {
		a := get(t, srv.URL, http.MethodGet, p)
		if a.status != http.StatusOK || !bytes.Equal(a.plain, index) {
			t.Errorf("GET %s: %d, %d bytes; want 200 and index.html (%d bytes)", p, a.status, len(a.plain), len(index))
			continue
		}
		h := a.header
		for k, want := range map[string]string{
			"Content-Type":            "text/html; charset=utf-8",
			"Cache-Control":           "no-cache",
			"Content-Security-Policy": webapp.CSP,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer", // the API's own (httpapi's Secure middleware)
			"X-Frame-Options":         "DENY",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("GET %s: %s = %q, want %q", p, k, got, want)
			}
		}
		if len(h.Values("Content-Security-Policy")) != 1 {
			t.Errorf("GET %s: %d CSP headers, want one", p, len(h.Values("Content-Security-Policy")))
		}
		if !strings.HasPrefix(h.Get("ETag"), `"`) {
			t.Errorf("GET %s: ETag %q, want a strong one", p, h.Get("ETag"))
		}
	}
}

func TestCSPIsStrict(t *testing.T) {
	for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
		"connect-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(webapp.CSP+";", d+";") {
			t.Errorf("CSP %q lacks %q", webapp.CSP, d)
		}
	}
	if strings.Contains(webapp.CSP, "unsafe") || strings.Contains(webapp.CSP, "*") {
		t.Errorf("CSP %q allows unsafe sources", webapp.CSP)
	}
	// No inline script in the page, or the CSP would block it.
	index := string(readIndex(t))
	for i := 0; ; {
		j := strings.Index(index[i:], "<script")
		if j < 0 {
			break
		}
		i += j
		tag := index[i : i+strings.Index(index[i:], ">")]
		if !strings.Contains(tag, "src=") {
			t.Errorf("index.html has an inline script (%s...), which the CSP refuses", tag)
		}
		i++
	}
}

func TestAPIPathsKeepTheirJSON404(t *testing.T) {
	srv := apiServer(t)
	for _, p := range []string{"/v1", "/v1/", "/v1/nope", "/v1/documents/doc_1/nope", "/healthz/x", "/readyz/x",
		"/metrics", "/openapi.yaml/x", "/admin", "/admin/queues", "/admin/queues/static/x.js", "/unsubscribe/x",
		"/assets/missing-abc123.js", "/assets/", "/assets"} {
		for _, m := range []string{http.MethodGet} {
			wantJSON404(t, m+" "+p, get(t, srv.URL, m, p))
		}
		if a := get(t, srv.URL, http.MethodHead, p); a.status != http.StatusNotFound || len(a.body) != 0 {
			t.Errorf("HEAD %s: %d with %d bytes, want 404 and no body", p, a.status, len(a.body))
		}
	}
	// Methods other than GET and HEAD never get the app.
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		wantJSON404(t, m+" /documents/abc", get(t, srv.URL, m, "/documents/abc"))
	}
	// A route's wrong method is still its 405, not the app.
	if a := get(t, srv.URL, http.MethodPut, "/v1/me"); a.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT /v1/me: %d, want 405", a.status)
	}
	if a := get(t, srv.URL, http.MethodGet, "/v1/auth/login"); a.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/auth/login: %d, want 405", a.status)
	}
	// The API's routes are untouched.
	if a := get(t, srv.URL, http.MethodGet, "/healthz"); a.status != http.StatusOK || !strings.Contains(string(a.plain), `"ok"`) ||
		a.header.Get("Content-Security-Policy") == webapp.CSP {
		t.Errorf("GET /healthz: %d %s (CSP %q)", a.status, a.plain, a.header.Get("Content-Security-Policy"))
	}
}

func TestIndexRevalidatesByETag(t *testing.T) {
	srv := apiServer(t)
	for _, enc := range []string{"identity", "gzip"} {
		first := get(t, srv.URL, http.MethodGet, "/documents/x", "Accept-Encoding", enc)
		etag := first.header.Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", enc)
		}
		again := get(t, srv.URL, http.MethodGet, "/", "Accept-Encoding", enc, "If-None-Match", etag)
		if again.status != http.StatusNotModified || len(again.body) != 0 {
			t.Errorf("%s: If-None-Match %s: %d with %d bytes, want 304", enc, etag, again.status, len(again.body))
		}
		if got := again.header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s: 304's Cache-Control %q", enc, got)
		}
		other := get(t, srv.URL, http.MethodGet, "/", "Accept-Encoding", enc, "If-None-Match", `"another-build"`)
		if other.status != http.StatusOK {
			t.Errorf("%s: stale If-None-Match: %d, want 200", enc, other.status)
		}
	}
}

func TestHEADMatchesGET(t *testing.T) {
	srv := apiServer(t)
	g := get(t, srv.URL, http.MethodGet, "/s/token")
	h := get(t, srv.URL, http.MethodHead, "/s/token")
	if h.status != http.StatusOK || len(h.body) != 0 {
		t.Fatalf("HEAD: %d with %d bytes, want 200 and no body", h.status, len(h.body))
	}
	for _, k := range []string{"Content-Length", "Content-Type", "ETag", "Cache-Control", "Content-Security-Policy"} {
		if h.header.Get(k) != g.header.Get(k) {
			t.Errorf("HEAD %s = %q, GET's %q", k, h.header.Get(k), g.header.Get(k))
		}
	}
	if g.header.Get("Content-Length") != fmt.Sprint(len(g.body)) {
		t.Errorf("Content-Length %q for %d bytes", g.header.Get("Content-Length"), len(g.body))
	}
}

// TestCommittedBuildServed checks every file of the committed build: at
// its path, with the caching of its kind, gzipped when asked if it is
// text of some size, and the same bytes as the build once decoded.
func TestCommittedBuildServed(t *testing.T) {
	srv := apiServer(t)
	dist := web.Dist()
	n := 0
	err := fs.WalkDir(dist, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		want, err := fs.ReadFile(dist, p)
		if err != nil {
			return err
		}
		n++
		a := get(t, srv.URL, http.MethodGet, "/"+p, "Accept-Encoding", "gzip, br")
		if a.status != http.StatusOK || !bytes.Equal(a.plain, want) {
			t.Errorf("GET /%s: %d, %d bytes; want 200 and the file's %d", p, a.status, len(a.plain), len(want))
			return nil
		}
		wantCache := "no-cache"
		if strings.HasPrefix(p, "assets/") {
			wantCache = webapp.AssetCaching
		}
		if got := a.header.Get("Cache-Control"); got != wantCache {
			t.Errorf("GET /%s: Cache-Control %q, want %q", p, got, wantCache)
		}
		if a.header.Get("Content-Security-Policy") != webapp.CSP {
			t.Errorf("GET /%s: CSP %q", p, a.header.Get("Content-Security-Policy"))
		}
		text := strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".css") || strings.HasSuffix(p, ".html")
		if text && len(want) >= 4096 && a.header.Get("Content-Encoding") != "gzip" {
			t.Errorf("GET /%s (%d bytes of text) with Accept-Encoding gzip: not gzipped", p, len(want))
		}
		if a.header.Get("Content-Encoding") == "gzip" {
			if len(a.body) >= len(want) {
				t.Errorf("GET /%s: gzip %d bytes for %d", p, len(a.body), len(want))
			}
			if !strings.Contains(a.header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("GET /%s: gzipped without Vary: Accept-Encoding", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the build is empty")
	}
}

func TestPathTraversalRefused(t *testing.T) {
	srv := apiServer(t)
	for _, target := range []string{
		"/assets/../../go.mod", "/../../go.mod", "/%2e%2e/%2e%2e/go.mod", "/assets/..%2f..%2fembed.go",
		"/assets/%2e%2e/index.html", "/assets/..\\..\\go.mod", "/./index.html", "/documents/../../web/embed.go",
	} {
		status, body := raw(t, srv.URL, target)
		if status != http.StatusNotFound && status != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 404 (or 400)", target, status)
		}
		if strings.Contains(body, "module github.com") || strings.Contains(body, "go:embed") || strings.Contains(body, "<html") {
			t.Errorf("GET %s: body leaks a file: %.80q", target, body)
		}
	}
}

// testBuild is a build of known files: a large script to compress, a
// small one not worth it, an image that is never compressed.
func testBuild() fstest.MapFS {
	js := []byte(strings.Repeat("export const answer = 42; // a line of script\n", 200))
	return fstest.MapFS{
		"index.html":             {Data: []byte(`<!doctype html><title>T</title><script type="module" src="/assets/app-abc123.js"></script>`)},
		"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"assets/app-abc123.js":   {Data: js},
		"assets/tiny-def456.js":  {Data: []byte("export{}")},
		"assets/logo-123abc.png": {Data: append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 2000)...)},
	}
}

func TestCompressionNegotiated(t *testing.T) {
	build := testBuild()
	app, err := webapp.New(build)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	defer srv.Close()
	js := build["assets/app-abc123.js"].Data
	for _, tc := range []struct {
		accept string
		gzip   bool
	}{
		{"gzip", true},
		{"gzip, deflate, br, zstd", true}, // Chromium's
		{"br;q=1.0, gzip;q=0.5", true},
		{"*", true},
		{"identity", false},
		{"gzip;q=0", false},
		{"*;q=0", false},
		{"gzip;q=0, *", false},
		{"deflate, br", false},
		{"gzip;q=nonsense", false},
	} {
		a := get(t, srv.URL, http.MethodGet, "/assets/app-abc123.js", "Accept-Encoding", tc.accept)
		gz := a.header.Get("Content-Encoding") == "gzip"
		if a.status != http.StatusOK || gz != tc.gzip || !bytes.Equal(a.plain, js) {
			t.Errorf("Accept-Encoding %q: %d, gzip %v (want %v), %d bytes decoded", tc.accept, a.status, gz, tc.gzip, len(a.plain))
		}
		if a.header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary %q", tc.accept, a.header.Get("Vary"))
		}
		if a.header.Get("Cache-Control") != webapp.AssetCaching || a.header.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("Accept-Encoding %q: Cache-Control %q, Content-Type %q", tc.accept, a.header.Get("Cache-Control"), a.header.Get("Content-Type"))
		}
		if gz && (len(a.body) > len(js)/5 || a.header.Get("Content-Length") != fmt.Sprint(len(a.body))) {
			t.Errorf("gzip: %d bytes (Content-Length %s) for %d", len(a.body), a.header.Get("Content-Length"), len(js))
		}
	}
	// The two encodings have their own ETags, and each revalidates.
	plain := get(t, srv.URL, http.MethodGet, "/assets/app-abc123.js").header.Get("ETag")
	zipped := get(t, srv.URL, http.MethodGet, "/assets/app-abc123.js", "Accept-Encoding", "gzip").header.Get("ETag")
	if plain == "" || plain == zipped {
		t.Errorf("ETags: identity %q, gzip %q; want two different ones", plain, zipped)
	}
	if a := get(t, srv.URL, http.MethodGet, "/assets/app-abc123.js", "Accept-Encoding", "gzip", "If-None-Match", zipped); a.status != http.StatusNotModified {
		t.Errorf("If-None-Match of the gzip ETag: %d", a.status)
	}
	// Small files and images are sent as they are, without Vary.
	for _, p := range []string{"/assets/tiny-def456.js", "/assets/logo-123abc.png", "/favicon.svg"} {
		a := get(t, srv.URL, http.MethodGet, p, "Accept-Encoding", "gzip")
		if a.status != http.StatusOK || a.header.Get("Content-Encoding") != "" || a.header.Get("Vary") != "" {
			t.Errorf("GET %s: %d, Content-Encoding %q, Vary %q; want it sent as it is", p, a.status, a.header.Get("Content-Encoding"), a.header.Get("Vary"))
		}
	}
	if ct := get(t, srv.URL, http.MethodGet, "/favicon.svg").header.Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("favicon.svg: Content-Type %q", ct)
	}
}

func TestStandaloneHandler(t *testing.T) {
	app, err := webapp.New(testBuild())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	defer srv.Close()
	if a := get(t, srv.URL, http.MethodGet, "/quizzes/q1"); a.status != 200 || !strings.Contains(string(a.plain), "<title>T</title>") ||
		a.header.Get("Referrer-Policy") != webapp.ReferrerPolicy || a.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("app path: %d %q %v", a.status, a.plain, a.header)
	}
	if a := get(t, srv.URL, http.MethodGet, "/assets/gone-000000.js"); a.status != http.StatusNotFound || strings.Contains(string(a.plain), "<title>") {
		t.Errorf("missing asset: %d %q", a.status, a.plain)
	}
	if a := get(t, srv.URL, http.MethodPost, "/"); a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d, Allow %q", a.status, a.header.Get("Allow"))
	}
	if _, err := webapp.New(fstest.MapFS{"assets/a.js": {Data: []byte("x")}}); err == nil || !strings.Contains(err.Error(), "index.html") {
		t.Errorf("a build without index.html: %v", err)
	}
}

// TestIndexReferencesServed checks that every file index.html loads from
// the build (its scripts, styles, icons) is served: a build committed
// without its assets/ would be a blank page.
func TestIndexReferencesServed(t *testing.T) {
	srv := apiServer(t)
	index := string(readIndex(t))
	refs := 0
	for _, attr := range []string{`src="`, `href="`} {
		for rest := index; ; {
			i := strings.Index(rest, attr)
			if i < 0 {
				break
			}
			rest = rest[i+len(attr):]
			ref, _, _ := strings.Cut(rest, `"`)
			if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
				continue // data: and absolute URLs load nothing of the build
			}
			refs++
			if a := get(t, srv.URL, http.MethodGet, ref); a.status != http.StatusOK || bytes.Equal(a.plain, []byte(index)) {
				t.Errorf("index.html loads %s: %d (%d bytes); the build lacks it (run make web and commit all of web/dist)", ref, a.status, len(a.plain))
			}
		}
	}
	t.Logf("index.html loads %d files of the build", refs)
}
