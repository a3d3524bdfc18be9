package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// HTTP hardening: the time bounds of request bodies (limitBodies), the
// security headers of every response (securityHeaders), which proxies are
// believed about the client (setProxyTrust) and the same-origin rule of
// the operators' UI (sameOrigin, applied by requireAdmin in admin.go).

// Defaults of Config's body bounds.
const (
	defaultBodyIdleTimeout = 10 * time.Second
	defaultBodyTimeout     = 10 * time.Second
	defaultUploadMinRate   = 16 << 10 // bytes per second
	defaultUploadGrace     = 10 * time.Second
)

// uploadRoute is the route whose body is a document upload (routes.go):
// bounded by its size and a minimum rate rather than by BodyTimeout.
const uploadRoute = "/v1/documents"

// codeRequestTimeout is the error code of a 408: the client sent its
// request body too slowly. (quizflow.ETIMEOUT is another thing: parsing a
// document ran out of time, a 422.)
const codeRequestTimeout = "request_timeout"

// errSlowBody is what reading a request body returns once its time bound
// has passed; limitBodies answers the request with it (408).
var errSlowBody = echo.NewHTTPError(http.StatusRequestTimeout,
	"The request body arrived too slowly; send it again, without pauses.")

// bodyLimits are the time bounds of request bodies: Config's, with the
// defaults of its zero values applied.
type bodyLimits struct {
	idle, total time.Duration // every body
	grace       time.Duration // uploads: before minRate applies
	minRate     float64       // uploads: bytes per second
	uploadTotal time.Duration // uploads: the whole body, at minRate
}

func (c Config) bodyLimits() bodyLimits {
	orDefault := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	l := bodyLimits{
		idle:    orDefault(c.BodyIdleTimeout, defaultBodyIdleTimeout),
		total:   orDefault(c.BodyTimeout, defaultBodyTimeout),
		grace:   orDefault(c.UploadGrace, defaultUploadGrace),
		minRate: defaultUploadMinRate,
	}
	if c.UploadMinRate > 0 {
		l.minRate = float64(c.UploadMinRate)
	}
	maxBody := float64(max(c.MaxFileSize, 0) + 64<<10) // as uploadDocument bounds it
	l.uploadTotal = l.grace + time.Duration(maxBody/l.minRate*float64(time.Second))
	return l
}

// limitBodies bounds in time the reading of every request body, so a
// client trickling its body cannot hold a connection (and an upload's
// storage) open: each read must bring data within l.idle; a body must be
// complete within l.total, an upload (POST /v1/documents) instead must
// average l.minRate once l.grace has passed, which bounds it in all by
// l.uploadTotal. The bounds are the connection's read deadline
// (http.ResponseController), moved as data arrives, so a stalled read
// ends; where the writer has no deadlines (a test's recorder) they are
// checked after each read.
//
// A body that misses its bound fails the handler's reads (the handler
// gives up and cleans up, as on any broken body: an upload is discarded)
// and the request is answered 408 request_timeout with Connection: close,
// whatever error the handler made of it.
func limitBodies(l bodyLimits) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.Body == nil || r.Body == http.NoBody {
				return next(c)
			}
			now := time.Now()
			b := &timedBody{body: r.Body, rc: http.NewResponseController(c.Response()),
				idle: l.idle, start: now, end: now.Add(l.total)}
			if r.Method == http.MethodPost && c.Path() == uploadRoute {
				b.end, b.grace, b.minRate = now.Add(l.uploadTotal), l.grace, l.minRate
			}
			// Bound the body even if the handler never reads it: net/http
			// may read (discard) it after the handler returns.
			b.arm(now)
			// A copy of the request: net/http inspects the original's
			// Body after the handler, to decide whether to reuse the
			// connection.
			r = r.WithContext(r.Context())
			r.Body = b
			c.SetRequest(r)
			err := next(c)
			if b.timedOut {
				c.Response().Header().Set(echo.HeaderConnection, "close")
				return errSlowBody
			}
			return err
		}
	}
}

// timedBody is a request body that must arrive in time: each read must
// bring data within idle of its start, the whole body must be in by end,
// and, when minRate is set, it must have averaged minRate bytes per second
// since grace after start.
type timedBody struct {
	body       io.ReadCloser
	rc         *http.ResponseController
	noDeadline bool // rc cannot set read deadlines: check after each read
	idle       time.Duration
	start, end time.Time
	grace      time.Duration
	minRate    float64
	n          int64 // bytes read
	// done is set at EOF or on a failed read: from then on the
	// connection's read deadline is net/http's again (it reads on, in the
	// background, to notice a client hanging up).
	done     bool
	timedOut bool
}

// deadline is when a read starting at now must have brought data.
func (b *timedBody) deadline(now time.Time) time.Time {
	d := now.Add(b.idle)
	if b.end.Before(d) {
		d = b.end
	}
	if b.minRate > 0 {
		// n bytes in hand buy n/minRate seconds past the grace period.
		byRate := b.start.Add(b.grace + time.Duration(float64(b.n)/b.minRate*float64(time.Second)))
		if byRate.Before(d) {
			d = byRate
		}
	}
	return d
}

// arm sets the connection's read deadline for a read starting at now and
// returns it.
func (b *timedBody) arm(now time.Time) time.Time {
	d := b.deadline(now)
	if !b.noDeadline && b.rc.SetReadDeadline(d) != nil {
		b.noDeadline = true
	}
	return d
}

func (b *timedBody) Read(p []byte) (int, error) {
	switch {
	case b.timedOut:
		return 0, errSlowBody
	case b.done:
		return b.body.Read(p)
	}
	d := b.arm(time.Now())
	n, err := b.body.Read(p)
	b.n += int64(n)
	switch {
	case isTimeout(err), b.noDeadline && time.Now().After(d):
		b.timedOut = true
		return n, errSlowBody
	case err != nil:
		b.done = true
	}
	return n, err
}

func (b *timedBody) Close() error { return b.body.Close() }

func isTimeout(err error) bool {
	var ne net.Error
	return err != nil && (errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout())
}

// Security headers.

const (
	// apiCSP is the Content-Security-Policy of the API's own answers
	// (JSON, YAML, redirects): they load nothing, and nothing frames them.
	apiCSP = "default-src 'none'; frame-ancestors 'none'"
	hsts   = "max-age=31536000; includeSubDomains"
)

// securityHeaders sets on every response a Content-Security-Policy (the
// queue UI's own, adminCSP, under /admin/queues), HSTS when the request
// came over HTTPS (TLS, or X-Forwarded-Proto from a trusted proxy: see
// Config.TrustedProxies), and Cache-Control: no-store unless the handler
// set its own caching: every answer is per user, and auth answers carry
// tokens.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		csp := apiCSP
		if s.adminCSP != "" && strings.HasPrefix(c.Path(), adminRoot) {
			csp = s.adminCSP
		}
		h.Set(echo.HeaderContentSecurityPolicy, csp)
		if c.Scheme() == "https" {
			h.Set(echo.HeaderStrictTransportSecurity, hsts)
		}
		c.Response().Before(func() {
			if h.Get(echo.HeaderCacheControl) == "" {
				h.Set(echo.HeaderCacheControl, "no-store")
			}
		})
		return next(c)
	}
}

// adminPolicy returns the Content-Security-Policy of the queue UI
// (asynqmon's React build): its own scripts plus the inline ones of its
// index page, by hash; its own styles plus Google Fonts, which its page
// links; API calls to itself only; no framing.
//
// Styles need 'unsafe-inline': Material-UI (JSS) writes <style> elements
// at run time, which no hash can name. Scripts never do.
func adminPolicy(inlineScripts []string) string {
	script := "script-src 'self'"
	for _, js := range inlineScripts {
		sum := sha256.Sum256([]byte(js))
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(script, h) {
			script += " " + h
		}
	}
	return strings.Join([]string{
		"default-src 'self'",
		script,
		"style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
		"font-src 'self' https://fonts.gstatic.com",
		"img-src 'self' data:",
		"connect-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

// indexPage returns the page ui serves at AdminRoot. asynqmon renders it
// from a template (its root path is written into the inline scripts), so
// the scripts' hashes are learnt from the page itself, once, rather than
// written down here.
func indexPage(ui http.Handler) (string, error) {
	req, err := http.NewRequest(http.MethodGet, adminRoot, nil)
	if err != nil {
		return "", err
	}
	rec := &pageRecorder{header: http.Header{}}
	ui.ServeHTTP(rec, req)
	if rec.status != http.StatusOK {
		return "", fmt.Errorf("GET %s: status %d", adminRoot, rec.status)
	}
	return rec.body.String(), nil
}

type pageRecorder struct {
	header http.Header
	status int
	body   strings.Builder
}

func (p *pageRecorder) Header() http.Header { return p.header }

func (p *pageRecorder) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *pageRecorder) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return p.body.Write(b)
}

var srcAttr = regexp.MustCompile(`\ssrc\s*=`)

// inlineScripts returns the text of page's <script> elements that have
// no src attribute, as the browser hashes it.
func inlineScripts(page string) []string {
	var out []string
	// Tag names in any case; ASCII only, so that offsets stay those of page.
	b := []byte(page)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	lower := string(b)
	for i := 0; ; {
		open := strings.Index(lower[i:], "<script")
		if open < 0 {
			return out
		}
		open += i
		if after := lower[open+len("<script"):]; after == "" || !strings.ContainsAny(after[:1], " \t\r\n\f/>") {
			i = open + 1 // say <scripts>, another tag
			continue
		}
		body := strings.IndexByte(lower[open:], '>')
		if body < 0 {
			return out
		}
		body += open + 1
		end := strings.Index(lower[body:], "</script")
		if end < 0 {
			return out
		}
		end += body
		if !srcAttr.MatchString(lower[open:body]) {
			out = append(out, page[body:end])
		}
		i = end
	}
}

// Trusted proxies.

// setProxyTrust decides whom the server believes about the client: with
// no trusted proxies, the connection's peer is the client and it is
// HTTPS only over TLS; otherwise X-Forwarded-For (read from the right, up
// to the first hop that is not a trusted proxy) and X-Forwarded-Proto
// count when the peer is one of the trusted networks, and only then.
// Loopback, link-local and private networks are trusted only if listed.
func (s *Server) setProxyTrust(trusted []netip.Prefix) {
	e := s.echo
	if len(trusted) == 0 {
		e.IPExtractor = echo.ExtractIPDirect()
		e.SchemeExtractor = echo.ExtractSchemeDirect()
		return
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		if !p.IsValid() {
			continue
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		p = p.Masked()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{
			IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
		}))
	}
	e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	e.SchemeExtractor = echo.ExtractSchemeFromHeaders(opts...)
}

// Same origin.

// stateChanging reports whether a request with method may change state:
// all but GET, HEAD and OPTIONS.
func stateChanging(method string) bool {
	return !slices.Contains([]string{http.MethodGet, http.MethodHead, http.MethodOptions}, method)
}

// sameOrigin reports whether a request comes from a page of the server's
// own origin: Sec-Fetch-Site says so when the browser sends it (current
// browsers always do); otherwise Origin must be the request's own scheme
// (trusted-proxy aware, see setProxyTrust) and host. A request with
// neither is not: browsers send Origin with every cross-site POST.
func sameOrigin(c echo.Context) bool {
	r := c.Request()
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	origin := r.Header.Get(echo.HeaderOrigin)
	return origin != "" && strings.EqualFold(origin, c.Scheme()+"://"+r.Host)
}
