package edgecheck_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// confPath is the edge configuration under test.
var confPath = filepath.Join("..", "..", "deploy", "nginx", "quizflow.conf")

// multipartAllowance is what the API accepts on top of MaxFileSize for an
// upload's multipart framing (internal/httpapi/documents.go).
const multipartAllowance = 64 << 10

// nginxBinary finds nginx, which Debian installs in /usr/sbin (often not on
// a user's PATH). It fails the test when there is none.
func nginxBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("nginx is not installed: install Debian's `nginx` package (apt-get install nginx; .ci/run does)")
	return ""
}

// TestBodyLimitFollowsPlans: client_max_body_size admits the largest
// upload of any default plan with its multipart framing, and is not far
// above it (the API would refuse the rest anyway, after reading it).
func TestBodyLimitFollowsPlans(t *testing.T) {
	b, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*client_max_body_size\s+(\d+)([kKmM]?);`).FindAllSubmatch(b, -1)
	if len(m) != 1 {
		t.Fatalf("want one client_max_body_size in %s, found %d", confPath, len(m))
	}
	n, _ := strconv.ParseInt(string(m[0][1]), 10, 64)
	switch strings.ToLower(string(m[0][2])) {
	case "k":
		n <<= 10
	case "m":
		n <<= 20
	}
	var largest int64
	for _, p := range quizflow.DefaultPlans().List() {
		largest = max(largest, p.MaxFileSize)
	}
	need := largest + multipartAllowance
	if n < need {
		t.Errorf("client_max_body_size is %d bytes, below the largest plan's upload (%d) plus multipart framing (%d)", n, largest, multipartAllowance)
	}
	if n > need+4<<20 {
		t.Errorf("client_max_body_size is %d bytes, more than 4 MiB above what any plan uploads (%d)", n, need)
	}
}

// TestSSELocation: the job event stream's location turns off what would
// hold events back (buffering, gzip) and outlasts the API's stream age
// (10 minutes, internal/httpapi/jobs.go). TestEdge checks the stream end
// to end; this pins the directives, since nginx 1.22 happens to pass a
// small event through even with buffering on.
func TestSSELocation(t *testing.T) {
	b, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)location ~ \^/v1/jobs/\[\^/\]\+/events\$ \{(.*?)\n    \}`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no location for /v1/jobs/*/events in %s", confPath)
	}
	block := string(m[1])
	for _, want := range []string{"proxy_buffering off;", "gzip off;", "proxy_cache off;", "proxy_pass http://quizflow_api;"} {
		if !strings.Contains(block, want) {
			t.Errorf("the events location lacks %q", want)
		}
	}
	rt := regexp.MustCompile(`proxy_read_timeout (\d+)m;`).FindStringSubmatch(block)
	if rt == nil {
		t.Fatal("the events location sets no proxy_read_timeout in minutes")
	}
	if n, _ := strconv.Atoi(rt[1]); n <= 10 {
		t.Errorf("proxy_read_timeout %sm on events: want more than the API's 10 minute stream age", rt[1])
	}
}

// edge is a running nginx with the configuration under test in front of
// an upstream.
type edge struct {
	https, http string // base URLs
	client      *http.Client
	// logs is nginx's error log, for failure messages.
	logs string
}

// writeCert writes a self-signed certificate for localhost and 127.0.0.1
// and returns the paths of the certificate and key and a pool trusting it.
func writeCert(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certPath, keyPath, pool
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// render returns a complete nginx.conf for dir: the server blocks of
// quizflow.conf with loopback ports, the test certificate and upstream,
// and every path nginx writes under dir, so it runs as any user.
func render(t *testing.T, dir, upstream string, httpPort, httpsPort int, cert, key string) string {
	t.Helper()
	b, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for _, r := range []struct{ old, new string }{
		{"listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", httpPort)},
		{"listen [::]:80;\n", ""},
		{"listen 443 ssl http2;", fmt.Sprintf("listen 127.0.0.1:%d ssl http2;", httpsPort)},
		{"listen [::]:443 ssl http2;\n", ""},
		{"/etc/nginx/tls/tls.crt", cert},
		{"/etc/nginx/tls/tls.key", key},
		{"server quizflow-api:80 ", "server " + upstream + " "},
	} {
		if n := strings.Count(conf, r.old); n != 1 {
			t.Fatalf("%s has %q %d times, want once: update render", confPath, r.old, n)
		}
		conf = strings.Replace(conf, r.old, r.new, 1)
	}
	if err := os.WriteFile(filepath.Join(dir, "quizflow.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 256; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/quizflow.conf;
}
`, dir)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigSyntax runs `nginx -t` on the configuration.
func TestConfigSyntax(t *testing.T) {
	bin := nginxBinary(t)
	dir := t.TempDir()
	cert, key, _ := writeCert(t, dir)
	conf := render(t, dir, "127.0.0.1:9", freePort(t), freePort(t), cert, key)
	out, err := exec.Command(bin, "-t", "-q", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
}

// startEdge runs nginx in front of upstream until the test ends.
func startEdge(t *testing.T, upstream string) *edge {
	t.Helper()
	bin := nginxBinary(t)
	dir := t.TempDir()
	cert, key, pool := writeCert(t, dir)
	httpPort, httpsPort := freePort(t), freePort(t)
	conf := render(t, dir, upstream, httpPort, httpsPort, cert, key)
	errLog := filepath.Join(dir, "error.log")
	cmd := exec.Command(bin, "-p", dir, "-e", errLog, "-c", conf, "-g", "daemon off;")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // fast shutdown
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	e := &edge{
		https: fmt.Sprintf("https://localhost:%d", httpsPort),
		http:  fmt.Sprintf("http://127.0.0.1:%d", httpPort),
		client: &http.Client{
			Transport: &http.Transport{
				TLSClientConfig:   &tls.Config{RootCAs: pool},
				ForceAttemptHTTP2: true,
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					// localhost is 127.0.0.1 here, never ::1.
					_, port, _ := net.SplitHostPort(addr)
					return (&net.Dialer{}).DialContext(ctx, "tcp4", "127.0.0.1:"+port)
				},
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Timeout:       30 * time.Second,
		},
		logs: errLog,
	}
	// Ready when the TLS port accepts connections.
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			logs, _ := os.ReadFile(errLog)
			t.Fatalf("nginx exited: %v\n%s", err, logs)
		default:
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", httpsPort), time.Second)
		if err == nil {
			c.Close()
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %d within 15s: %v", httpsPort, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// upstream is the API stand-in behind the edge: an SSE stream that sends
// its second event only once the test has received the first, an upload
// route that counts the bytes it receives, and an echo of the forwarded
// headers.
type upstream struct {
	firstSeen chan struct{}
	uploaded  atomic.Int64
	uploads   atomic.Int64
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/events"):
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "event: job\ndata: {\"progress\":5}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-u.firstSeen:
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Second):
			return
		}
		fmt.Fprint(w, "event: job\ndata: {\"progress\":100}\n\n")
	case r.URL.Path == "/v1/documents":
		u.uploads.Add(1)
		n, err := io.Copy(io.Discard, r.Body)
		u.uploaded.Add(n)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d", n)
	default:
		fmt.Fprintf(w, "proto=%s for=%s host=%s", r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-For"), r.Host)
	}
}

// zeros is an io.Reader of n zero bytes.
func zeros(n int64) io.Reader { return io.LimitReader(zeroReader{}, n) }

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestEdge runs nginx with the configuration in front of an upstream and
// checks what the configuration promises.
func TestEdge(t *testing.T) {
	up := &upstream{firstSeen: make(chan struct{})}
	api := httptest.NewServer(up)
	t.Cleanup(api.Close)
	e := startEdge(t, strings.TrimPrefix(api.URL, "http://"))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	get := func(t *testing.T, url string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	t.Run("http redirects to https", func(t *testing.T) {
		resp, _ := get(t, e.http+"/v1/me?x=1")
		if resp.StatusCode != http.StatusPermanentRedirect || !strings.HasPrefix(resp.Header.Get("Location"), "https://") ||
			!strings.HasSuffix(resp.Header.Get("Location"), "/v1/me?x=1") {
			t.Errorf("got %d Location %q, want 308 to https://.../v1/me?x=1", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("https over HTTP/2 with forwarded headers", func(t *testing.T) {
		resp, body := get(t, e.https+"/v1/me")
		if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
			t.Fatalf("got %d over %s, want 200 over HTTP/2", resp.StatusCode, resp.Proto)
		}
		if !strings.Contains(body, "proto=https") || !strings.Contains(body, "for=127.0.0.1") {
			t.Errorf("upstream saw %q, want X-Forwarded-Proto https and X-Forwarded-For 127.0.0.1", body)
		}
		if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
			t.Errorf("TLS state %+v, want TLS 1.2 or later", resp.TLS)
		}
		if hsts := resp.Header.Get("Strict-Transport-Security"); hsts == "" {
			t.Error("no Strict-Transport-Security header")
		}
	})

	t.Run("TLS 1.1 refused", func(t *testing.T) {
		addr := strings.TrimPrefix(e.https, "https://localhost")
		_, err := tls.Dial("tcp4", "127.0.0.1"+addr, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true,
			MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
		if err == nil {
			t.Error("a TLS 1.1 handshake succeeded")
		}
	})

	t.Run("SSE arrives unbuffered and uncompressed", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.https+"/v1/jobs/job_1/events", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ce := resp.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("event stream sent with Content-Encoding %q", ce)
		}
		// The upstream holds its second event until the first is seen
		// here: a buffering proxy would hold the first one back, and this
		// read would wait for the upstream's 20 s bound and then get both.
		start := time.Now()
		r := bufio.NewReader(resp.Body)
		line, err := r.ReadString('\n')
		if err != nil || line != "event: job\n" {
			t.Fatalf("first line %q, %v", line, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("first event took %s through nginx: buffered", d)
		}
		close(up.firstSeen)
		rest, _ := io.ReadAll(r)
		if !strings.Contains(string(rest), `"progress":100`) {
			t.Errorf("rest of the stream %q lacks the second event", rest)
		}
	})

	t.Run("uploads up to the largest plan pass, larger get 413", func(t *testing.T) {
		post := func(n int64) int {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.https+"/v1/documents", zeros(n))
			req.ContentLength = n
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatalf("POST %d bytes: %v", n, err)
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.StatusCode
		}
		var largest int64
		for _, p := range quizflow.DefaultPlans().List() {
			largest = max(largest, p.MaxFileSize)
		}
		ok := largest + multipartAllowance
		if code := post(ok); code != http.StatusOK {
			t.Errorf("upload of %d bytes: %d, want 200", ok, code)
		}
		if got := up.uploaded.Load(); got != ok {
			t.Errorf("upstream received %d bytes, want %d", got, ok)
		}
		before := up.uploads.Load()
		if code := post(largest + 8<<20); code != http.StatusRequestEntityTooLarge {
			t.Errorf("upload of %d bytes: %d, want 413", largest+8<<20, code)
		}
		if up.uploads.Load() != before {
			t.Error("the too-large upload reached the upstream")
		}
	})

	t.Run("auth routes are rate limited per client", func(t *testing.T) {
		var ok, limited int
		for range 40 {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.https+"/v1/auth/login", strings.NewReader("{}"))
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				ok++
			case http.StatusTooManyRequests:
				limited++
			default:
				t.Fatalf("login: %d", resp.StatusCode)
			}
		}
		if ok < 20 || limited == 0 {
			t.Errorf("40 logins at once: %d passed, %d refused with 429; want the burst of 20 through and the rest refused", ok, limited)
		}
		// Other routes are not limited by the auth zone.
		for range 40 {
			if resp, _ := get(t, e.https+"/v1/me"); resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /v1/me after the login burst: %d", resp.StatusCode)
			}
		}
	})

	if t.Failed() {
		logs, err := os.ReadFile(e.logs)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Log(err)
		}
		t.Logf("nginx error log:\n%s", logs)
	}
}
