package httpapi

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/labstack/echo/v4"
)

// Slow request bodies, through a real HTTP server.

// liveBundle is a real HTTP server over the fakes, with small body bounds.
type liveBundle struct {
	srv  *httptest.Server
	fake *fakeServices
}

// Test bounds: a pause of 300 ms ends a body; a JSON body has 1 s in all;
// an upload must average 1 KiB/s after 500 ms.
const (
	testIdle        = 300 * time.Millisecond
	testBodyTimeout = time.Second
)

// setupLive starts the server, after passing it to before (if set).
func setupLive(t *testing.T, before ...func(*httptest.Server)) *liveBundle {
	t.Helper()
	f := newFakeServices(testMaxFile)
	s := newScenarioServer(f, io.Discard, &fakeWatcher{}, func(d *Deps) {
		d.Config.BodyIdleTimeout, d.Config.BodyTimeout = testIdle, testBodyTimeout
		d.Config.UploadGrace, d.Config.UploadMinRate = 500*time.Millisecond, 1<<10
	})
	srv := httptest.NewUnstartedServer(s.Handler())
	for _, f := range before {
		f(srv)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return &liveBundle{srv: srv, fake: f}
}

// trickled is what a trickling client saw.
type trickled struct {
	resp    *http.Response
	body    string
	elapsed time.Duration // until the response
	closed  bool          // the server closed the connection after it
}

// trickle sends head (request line and headers) and prefix at once, then
// rest one byte every interval, and waits at most within for the
// response and the connection's end.
func (b *liveBundle) trickle(t *testing.T, head, prefix, rest string, every, within time.Duration) trickled {
	t.Helper()
	conn, err := net.Dial("tcp", b.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	start := time.Now()
	if _, err := io.WriteString(conn, head+prefix); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for i := range len(rest) {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := conn.Write([]byte{rest[i]}); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(start.Add(within))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response within %v: %v", within, err)
	}
	out := trickled{resp: resp, elapsed: time.Since(start)}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the response body: %v", err)
	}
	out.body = string(body)
	// Closed: EOF, or a reset when the server closed with the client's
	// last bytes unread; not the read deadline.
	_, err = br.ReadByte()
	var ne net.Error
	out.closed = errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
	if !out.closed {
		t.Logf("after the response: %v (timeout %v)", err, errors.As(err, &ne) && ne.Timeout())
	}
	return out
}

// wantTimedOut checks a 408 request_timeout that closed the connection
// well before the trickle would have ended.
func wantTimedOut(t *testing.T, got trickled, within time.Duration) {
	t.Helper()
	if got.resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408; body %s", got.resp.StatusCode, got.body)
	}
	var eb errorBody
	if err := json.Unmarshal([]byte(got.body), &eb); err != nil || eb.Error.Code != codeRequestTimeout {
		t.Errorf("body %s (%v), want the error envelope with code %s", got.body, err, codeRequestTimeout)
	}
	if !got.resp.Close { // net/http reads Connection: close into Close
		t.Error("no Connection: close on the 408")
	}
	if !got.closed {
		t.Error("the server kept the connection open after the 408")
	}
	if got.elapsed > within {
		t.Errorf("answered after %v, want within %v", got.elapsed, within)
	}
}

func requestHead(method, path, ctype string, length int, extra ...string) string {
	h := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: quizflow.test\r\nContent-Type: %s\r\nContent-Length: %d\r\n", method, path, ctype, length)
	for _, e := range extra {
		h += e + "\r\n"
	}
	return h + "\r\n"
}

const loginJSON = `{"email":"alice@example.com","password":"alice-password"}`

func TestSlowLoginBodyIs408(t *testing.T) {
	for _, tc := range []struct {
		name  string
		every time.Duration
	}{
		{"a byte every 2 s: idle", 2 * time.Second},
		// Every pause shorter than the idle bound, but too slow in all.
		{"a byte every 100 ms: over the total bound", 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setupLive(t)
			head := requestHead("POST", "/v1/auth/login", echo.MIMEApplicationJSON, len(loginJSON))
			got := b.trickle(t, head, loginJSON[:5], loginJSON[5:], tc.every, 3*time.Second)
			wantTimedOut(t, got, 3*time.Second)
			if got.elapsed < testIdle {
				t.Errorf("answered after %v, before any bound passed", got.elapsed)
			}
			if cs := b.fake.called("Login"); len(cs) != 0 {
				t.Errorf("Login called with a cut body: %v", cs)
			}
		})
	}
}

// uploadBody returns a multipart upload of notesFile followed by a
// question_count field, its content type, and where the file's content
// and the field's value start in it.
func uploadBody(t *testing.T) (body, ctype string, inFile, inField int) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile("file", notesFile.filename)
	if err != nil {
		t.Fatal(err)
	}
	inFile = buf.Len()
	io.WriteString(w, notesFile.content)
	w, _ = mw.CreateFormField("question_count")
	inField = buf.Len()
	io.WriteString(w, "12")
	mw.Close()
	return buf.String(), mw.FormDataContentType(), inFile, inField
}

func TestSlowUploadIs408AndLeavesNothing(t *testing.T) {
	body, ctype, inFile, inField := uploadBody(t)
	for _, tc := range []struct {
		name  string
		cut   int // bytes sent at once
		every time.Duration
		check func(*testing.T, *fakeServices)
	}{
		{name: "stalled in the file", cut: inFile + 5, every: 2 * time.Second,
			check: func(t *testing.T, f *fakeServices) {
				if rf := f.called("ReceiveFile"); len(rf) != 1 {
					t.Errorf("ReceiveFile called %d times, want once (and failing)", len(rf))
				}
			}},
		{name: "below the minimum rate in the file", cut: inFile + 5, every: 100 * time.Millisecond},
		{name: "stalled after the file", cut: inField + 1, every: 2 * time.Second,
			check: func(t *testing.T, f *fakeServices) {
				// The file was received: the handler must discard it.
				if d := f.called("DiscardUpload"); len(d) != 1 || d[0].ID != "doc_new" {
					t.Errorf("DiscardUpload calls %v, want one for doc_new; calls %v", d, f.methods())
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setupLive(t)
			head := requestHead("POST", "/v1/documents", ctype, len(body), "Authorization: Bearer alice-token")
			got := b.trickle(t, head, body[:tc.cut], body[tc.cut:], tc.every, 3*time.Second)
			wantTimedOut(t, got, 3*time.Second)
			if s := b.fake.called("SubmitUpload"); len(s) != 0 {
				t.Errorf("a cut upload was submitted: %v", s)
			}
			if tc.check != nil {
				tc.check(t, b.fake)
			}
		})
	}
}

func TestUploadsWithinTheBoundsPass(t *testing.T) {
	body, ctype, _, _ := uploadBody(t)
	t.Run("at once", func(t *testing.T) {
		b := setupLive(t)
		req, _ := http.NewRequest("POST", b.srv.URL+"/v1/documents", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer alice-token")
		resp, err := b.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Errorf("status %d, want 202", resp.StatusCode)
		}
		if len(b.fake.called("SubmitUpload")) != 1 {
			t.Errorf("calls %v, want a SubmitUpload", b.fake.methods())
		}
	})
	// An upload may take longer than a JSON body may, as long as it keeps
	// its pace: 4 KiB at about 1.6 KiB/s, for over 2 s, never pausing 300 ms.
	t.Run("steadily, longer than BodyTimeout", func(t *testing.T) {
		b := setupLive(t)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		w, _ := mw.CreateFormFile("file", "long.txt")
		io.WriteString(w, strings.Repeat("Plants turn light into sugar. ", 140)[:testMaxFile])
		mw.Close()
		pr, pw := io.Pipe()
		go func() {
			tick := time.NewTicker(40 * time.Millisecond)
			defer tick.Stop()
			data := buf.Bytes()
			for len(data) > 0 {
				<-tick.C
				n := min(64, len(data))
				if _, err := pw.Write(data[:n]); err != nil {
					return
				}
				data = data[n:]
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", b.srv.URL+"/v1/documents", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer alice-token")
		start := time.Now()
		resp, err := b.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Errorf("status %d, want 202: %s", resp.StatusCode, msg)
		}
		if d := time.Since(start); d < testBodyTimeout {
			t.Errorf("the upload took %v, not longer than BodyTimeout: the test proves nothing", d)
		}
	})
}

// A body that arrives in time keeps the connection for the next request.
func TestBodiesInTimeKeepTheConnection(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	b := setupLive(t, func(srv *httptest.Server) {
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				mu.Lock()
				conns++
				mu.Unlock()
			}
		}
	})
	for range 3 {
		resp, err := b.srv.Client().Post(b.srv.URL+"/v1/auth/login", echo.MIMEApplicationJSON, strings.NewReader(loginJSON))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("login: %d", resp.StatusCode)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("%d connections for 3 logins, want 1", conns)
	}
}

// Where the writer has no read deadlines (a recorder), the bounds are
// checked after each read.
func TestTimedBodyWithoutDeadlines(t *testing.T) {
	late := readerFunc(func(p []byte) (int, error) {
		time.Sleep(30 * time.Millisecond) // the client pauses
		return copy(p, "x"), nil
	})
	now := time.Now()
	b := &timedBody{body: io.NopCloser(late), rc: http.NewResponseController(httptest.NewRecorder()),
		idle: 10 * time.Millisecond, start: now, end: now.Add(time.Second)}
	b.arm(now)
	if _, err := b.Read(make([]byte, 8)); err != errSlowBody || !b.timedOut {
		t.Errorf("read after a pause over idle: %v, timedOut %v; want errSlowBody", err, b.timedOut)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestBodyLimitsDefaults(t *testing.T) {
	got := Config{MaxFileSize: 20 << 20}.bodyLimits()
	want := bodyLimits{idle: 10 * time.Second, total: 10 * time.Second, grace: 10 * time.Second, minRate: 16 << 10,
		uploadTotal: 10*time.Second + time.Duration(float64(20<<20+64<<10)/(16<<10)*float64(time.Second))}
	wantEqual(t, "default body limits", got, want)
}

// Security headers.

var trustTestNet = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")} // httptest.NewRequest's peer

func trustTestProxy(d *Deps) { d.Config.TrustedProxies = trustTestNet }

func csp(want string) checkFunc { return header("Content-Security-Policy", want) }

var securityHeaderScenarios = []scenario{
	{name: "API JSON: locked-down CSP, no-store, no HSTS over http", method: "GET", path: "/v1/me", token: "alice-token", status: 200,
		check: all(csp(apiCSP), header(echo.HeaderCacheControl, "no-store"), header(echo.HeaderStrictTransportSecurity, ""))},
	{name: "auth answers are not stored", method: "POST", path: "/v1/auth/login", body: loginJSON, status: 200,
		check: all(csp(apiCSP), header(echo.HeaderCacheControl, "no-store"))},
	{name: "errors: CSP and no-store too", method: "GET", path: "/v1/nothing-here", status: 404,
		check: all(csp(apiCSP), header(echo.HeaderCacheControl, "no-store"))},
	{name: "export formats keep their own caching", method: "GET", path: "/v1/export-formats", status: 200,
		check: all(csp(apiCSP), header(echo.HeaderCacheControl, "public, max-age=300"))},
	{name: "openapi.yaml keeps its own caching", method: "GET", path: "/openapi.yaml", status: 200,
		check: all(csp(apiCSP), header(echo.HeaderCacheControl, "public, max-age=300"))},
	{name: "queue UI: its own CSP, not stored", method: "GET", path: "/admin/queues", token: "admin-token", status: 200,
		check: all(csp(adminPolicy(nil)), header(echo.HeaderCacheControl, "no-store"))},
	{name: "queue UI refusals carry its CSP", method: "GET", path: "/admin/queues/static/js/main.js", status: 401,
		check: csp(adminPolicy(nil))},
	{name: "no HSTS for X-Forwarded-Proto from an untrusted peer", method: "GET", path: "/healthz", status: 200,
		headers: map[string]string{"X-Forwarded-Proto": "https"}, check: header(echo.HeaderStrictTransportSecurity, "")},
	{name: "HSTS for X-Forwarded-Proto from a trusted proxy", method: "GET", path: "/healthz", status: 200,
		headers: map[string]string{"X-Forwarded-Proto": "https"}, deps: trustTestProxy,
		check: header(echo.HeaderStrictTransportSecurity, "max-age=31536000; includeSubDomains")},
	{name: "no HSTS for X-Forwarded-Proto http from a trusted proxy", method: "GET", path: "/healthz", status: 200,
		headers: map[string]string{"X-Forwarded-Proto": "http"}, deps: trustTestProxy, check: header(echo.HeaderStrictTransportSecurity, "")},
}

func TestSecurityHeaders(t *testing.T) { runScenarios(t, securityHeaderScenarios) }

func TestHSTSOverTLS(t *testing.T) {
	s := newScenarioServer(newFakeServices(testMaxFile), io.Discard, &fakeWatcher{}, nil)
	req := httptest.NewRequest("GET", "/healthz", nil)
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if got := rec.Header().Get(echo.HeaderStrictTransportSecurity); got != hsts {
		t.Errorf("Strict-Transport-Security %q, want %q", got, hsts)
	}
}

// The real queue UI works under its policy: every inline script of its
// page is allowed by hash, scripts never by 'unsafe-inline'.
func TestAdminPolicyAllowsAsynqmonInlineScripts(t *testing.T) {
	ui := asynqmon.New(asynqmon.Options{RootPath: AdminRoot, RedisConnOpt: asynq.RedisClientOpt{Addr: "127.0.0.1:1"}})
	f := newFakeServices(testMaxFile)
	s := newScenarioServer(f, io.Discard, &fakeWatcher{}, func(d *Deps) { d.AdminUI = ui })
	req := httptest.NewRequest("GET", AdminRoot, nil)
	req.Header.Set("Authorization", "Bearer admin-token")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d %s", AdminRoot, rec.Code, rec.Body)
	}
	policy := rec.Header().Get("Content-Security-Policy")
	scripts := inlineScripts(rec.Body.String())
	if len(scripts) == 0 {
		t.Fatalf("no inline script found in asynqmon's page: %.300s", rec.Body)
	}
	var scriptSrc string
	for _, d := range strings.Split(policy, ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "script-src ") {
			scriptSrc = d
		}
	}
	for _, js := range scripts {
		sum := sha256.Sum256([]byte(js))
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(scriptSrc, h) {
			t.Errorf("script-src %q lacks %s for %.80s", scriptSrc, h, js)
		}
	}
	if n := strings.Count(scriptSrc, "'sha256-"); n != len(scripts) {
		t.Errorf("script-src allows %d hashes, the page has %d inline scripts", n, len(scripts))
	}
	for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "*"} {
		if strings.Contains(scriptSrc, bad) {
			t.Errorf("script-src %q allows %s", scriptSrc, bad)
		}
	}
	if !strings.Contains(policy, "frame-ancestors 'none'") {
		t.Errorf("policy %q lets the UI be framed", policy)
	}
}

func TestInlineScripts(t *testing.T) {
	page := `<html><SCRIPT>a()</SCRIPT><script src="/x.js"></script><script type="module"
src=y.js></script><script type="text/javascript">b()</script><scripts>no</scripts>`
	wantEqual(t, "inline scripts", inlineScripts(page), []string{"a()", "b()"})
}

// Trusted proxies.

func TestClientIPBelievesOnlyTrustedProxies(t *testing.T) {
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     string
		want    string
	}{
		{"no trusted proxies: XFF ignored", nil, "203.0.113.9:4000", "198.51.100.1", "203.0.113.9"},
		{"no trusted proxies: not even from a private network", nil, "10.0.0.2:4000", "198.51.100.1", "10.0.0.2"},
		{"no trusted proxies: not even from loopback", nil, "127.0.0.1:4000", "198.51.100.1", "127.0.0.1"},
		{"XFF from an untrusted peer is ignored", lb, "203.0.113.9:4000", "198.51.100.1", "203.0.113.9"},
		{"loopback is not trusted unless listed", lb, "127.0.0.1:4000", "198.51.100.1", "127.0.0.1"},
		{"from a trusted proxy, the client is XFF's", lb, "10.0.0.2:4000", "198.51.100.1", "198.51.100.1"},
		{"over IPv6", lb, "[2001:db8::5]:4000", "198.51.100.1", "198.51.100.1"},
		{"a spoofed chain beyond the trusted hop is not believed", lb, "10.0.0.2:4000", "6.6.6.6, 198.51.100.1", "198.51.100.1"},
		{"two trusted hops", lb, "10.0.0.2:4000", "6.6.6.6, 198.51.100.1, 10.1.2.3", "198.51.100.1"},
		{"a trusted proxy without XFF", lb, "10.0.0.2:4000", "", "10.0.0.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenarioServer(newFakeServices(testMaxFile), io.Discard, &fakeWatcher{}, func(d *Deps) {
				d.Config.TrustedProxies = tc.trusted
			})
			req := httptest.NewRequest("GET", "/v1/export-formats", nil)
			req.RemoteAddr = tc.peer
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			// What c.RealIP() answers, for the rate limits and logs.
			c := s.echo.NewContext(req, httptest.NewRecorder())
			wantEqual(t, "client IP", c.RealIP(), tc.want)
		})
	}
}

// The CSRF rule of the queue UI.

var (
	opsBasic  = basicAuth("ops@example.com", "ops-password")
	opsCookie = signedCookie("usr_ops", in(time.Hour), testAdminSecret)
)

const pausePath = "/admin/queues/api/queues/default:pause"

var adminCSRFScenarios = []scenario{
	{name: "cross-site POST with cached Basic credentials", method: "POST", path: pausePath,
		headers: map[string]string{"Authorization": opsBasic, "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		status:  403, want: []string{`"code":"forbidden"`, "Cross-site"}, notWant: []string{"</h1>"}, check: all(calls(), noCookie)},
	{name: "cross-site POST with the cookie", method: "POST", path: pausePath,
		headers: map[string]string{"Cookie": opsCookie, "Sec-Fetch-Site": "cross-site"},
		status:  403, want: []string{"Cross-site"}, notWant: []string{"</h1>"}, check: calls()},
	{name: "same-site but not same-origin POST with the cookie", method: "POST", path: pausePath,
		headers: map[string]string{"Cookie": opsCookie, "Sec-Fetch-Site": "same-site"},
		status:  403, notWant: []string{"</h1>"}, check: calls()},
	{name: "cross-site DELETE by Origin alone (an older browser)", method: "DELETE", path: "/admin/queues/api/queues/default",
		headers: map[string]string{"Cookie": opsCookie, "Origin": "https://evil.example"},
		status:  403, notWant: []string{"</h1>"}, check: calls()},
	{name: "POST with neither Sec-Fetch-Site nor Origin", method: "POST", path: pausePath,
		headers: map[string]string{"Cookie": opsCookie}, status: 403, notWant: []string{"</h1>"}, check: calls()},
	{name: "Origin of the other scheme", method: "POST", path: pausePath,
		headers: map[string]string{"Cookie": opsCookie, "Origin": "https://example.com"},
		status:  403, notWant: []string{"</h1>"}, check: calls()},
	{name: "same-origin POST with the cookie reaches the UI", method: "POST", path: pausePath,
		headers: map[string]string{"Cookie": opsCookie, "Sec-Fetch-Site": "same-origin", "Authorization": opsBasic},
		status:  200, want: []string{"POST " + pausePath}, check: calls("User")},
	{name: "same-origin by Origin with the cookie reaches the UI", method: "POST", path: pausePath,
		headers: map[string]string{"Cookie": opsCookie, "Origin": "http://example.com"},
		status:  200, want: []string{"POST " + pausePath}, check: calls("User")},
	{name: "same-origin by Origin behind a trusted HTTPS proxy", method: "POST", path: pausePath,
		headers: map[string]string{"Cookie": opsCookie, "Origin": "https://example.com", "X-Forwarded-Proto": "https"},
		deps:    trustTestProxy, status: 200, want: []string{"POST " + pausePath}},
	{name: "X-Forwarded-Proto from an untrusted peer does not make the origin https", method: "POST", path: pausePath,
		headers: map[string]string{"Cookie": opsCookie, "Origin": "https://example.com", "X-Forwarded-Proto": "https"},
		status:  403, notWant: []string{"</h1>"}},
	{name: "same-origin POST with Basic alone: sign in first", method: "POST", path: pausePath,
		headers: map[string]string{"Authorization": opsBasic, "Sec-Fetch-Site": "same-origin"},
		status:  403, want: []string{"Sign in first"}, notWant: []string{"</h1>"}, check: all(calls(), noCookie)},
	{name: "same-origin DELETE with a bearer token alone: sign in first", method: "DELETE", path: "/admin/queues/api/queues/default",
		token: "admin-token", headers: map[string]string{"Sec-Fetch-Site": "same-origin"},
		status: 403, want: []string{"Sign in first"}, notWant: []string{"</h1>"}, check: calls()},
	{name: "same-origin POST with an expired cookie and Basic: sign in first", method: "POST", path: pausePath,
		headers: map[string]string{"Cookie": signedCookie("usr_ops", in(-time.Minute), testAdminSecret), "Authorization": opsBasic, "Sec-Fetch-Site": "same-origin"},
		status:  403, want: []string{"Sign in first"}, check: calls()},
	{name: "GET with Basic still signs in", method: "GET", path: "/admin/queues",
		headers: map[string]string{"Authorization": opsBasic, "Sec-Fetch-Site": "none"},
		status:  200, want: []string{"queue UI"}, check: all(calls("CheckPassword"), func(t *testing.T, o *outcome) { sessionCookie(t, o) })},
	{name: "a cross-site GET is no change: it may sign in", method: "GET", path: "/admin/queues",
		headers: map[string]string{"Authorization": opsBasic, "Sec-Fetch-Site": "cross-site"},
		status:  200, want: []string{"queue UI"}},
	{name: "the cookie is Secure behind a trusted HTTPS proxy", method: "GET", path: "/admin/queues",
		headers: map[string]string{"Authorization": opsBasic, "X-Forwarded-Proto": "https"}, deps: trustTestProxy,
		status: 200, check: secureCookie(true)},
	{name: "the cookie is not Secure for X-Forwarded-Proto from an untrusted peer", method: "GET", path: "/admin/queues",
		headers: map[string]string{"Authorization": opsBasic, "X-Forwarded-Proto": "https"},
		status:  200, check: secureCookie(false)},
}

func secureCookie(want bool) checkFunc {
	return func(t *testing.T, o *outcome) {
		t.Helper()
		i := slices.IndexFunc(o.rec.Result().Cookies(), func(c *http.Cookie) bool { return c.Name == adminCookie })
		if i < 0 {
			t.Fatalf("no %s cookie", adminCookie)
		}
		c := o.rec.Result().Cookies()[i]
		if c.Secure != want || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %+v: want Secure=%v, HttpOnly, SameSite=Strict", c, want)
		}
	}
}

func TestAdminCSRF(t *testing.T) { runScenarios(t, adminCSRFScenarios) }
