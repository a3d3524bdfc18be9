package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// publicURL is the PUBLIC_URL of the sharing and cookie tests' stacks: the
// origin their browser requests send.
const publicURL = "http://qf.test"

func withPublicURL(o *setupOptions) { o.env["PUBLIC_URL"] = publicURL }

// refreshCookieOf returns the qf_refresh cookie a response set, failing the
// test if it lacks the flags a browser session needs.
func refreshCookieOf(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name != "qf_refresh" {
			continue
		}
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/v1/auth" {
			t.Errorf("cookie flags: %q", h.Values("Set-Cookie"))
		}
		return c
	}
	t.Fatalf("no qf_refresh cookie; Set-Cookie %q", h.Values("Set-Cookie"))
	return nil
}

// TestBrowserSessionCookie: the cookie mode through the real server and
// store: flags, rotation, reuse detection, sign-out, the Origin check, and
// the JSON mode beside it unchanged.
func TestBrowserSessionCookie(t *testing.T) {
	t.Parallel()
	s := setup(t, withPublicURL)
	browser := map[string]string{"Content-Type": "application/json", "X-Auth-Mode": "cookie", "Origin": publicURL}
	withCookie := func(c *http.Cookie) map[string]string {
		return map[string]string{"Origin": publicURL, "Cookie": "qf_refresh=" + c.Value}
	}

	code, body, h := raw(t, "POST", s.url+"/v1/auth/register", "",
		strings.NewReader(`{"email":"cookie@example.com","password":"correct horse battery","name":"C"}`), browser)
	if code != 201 || strings.Contains(body, "refresh_token") || !strings.Contains(body, `"access_token"`) {
		t.Fatalf("register in cookie mode = %d %s", code, body)
	}
	c1 := refreshCookieOf(t, h)
	if c1.MaxAge != 7*24*3600 || c1.Value == "" {
		t.Errorf("cookie Max-Age %d (want the refresh lifetime, 7 days), value %q", c1.MaxAge, c1.Value)
	}

	// A reload: refresh with the cookie alone, no body; it rotates.
	code, body, h = raw(t, "POST", s.url+"/v1/auth/refresh", "", nil, withCookie(c1))
	if code != 200 || strings.Contains(body, "refresh_token") {
		t.Fatalf("refresh by cookie = %d %s", code, body)
	}
	var sess quizflow.Session
	decode(t, body, &sess)
	c2 := refreshCookieOf(t, h)
	if c2.Value == c1.Value {
		t.Error("the refresh cookie did not rotate")
	}
	if code, body, _ := raw(t, "GET", s.url+"/v1/me", sess.AccessToken, nil, nil); code != 200 || !strings.Contains(body, `"email_verified":false`) {
		t.Errorf("GET /v1/me with the cookie session's access token = %d %s", code, body)
	}

	// The Origin check: missing or another site's (PUBLIC_URL's and the
	// request's own origin pass; the refreshes above sent PUBLIC_URL's).
	for name, hdr := range map[string]map[string]string{
		"no Origin":    {"Cookie": "qf_refresh=" + c2.Value},
		"another site": {"Cookie": "qf_refresh=" + c2.Value, "Origin": "https://evil.example"},
		"a look-alike": {"Cookie": "qf_refresh=" + c2.Value, "Origin": s.url + ".evil.example"},
	} {
		code, body, _ := raw(t, "POST", s.url+"/v1/auth/refresh", "", nil, hdr)
		if code != 403 || !strings.Contains(body, `"code":"forbidden"`) || !strings.Contains(body, publicURL) {
			t.Errorf("%s: %d %s, want 403 naming %s", name, code, body, publicURL)
		}
	}
	// A page opened at the address the request went to, not PUBLIC_URL's
	// (localhost against 127.0.0.1), is the server's own: it passes.
	code, body, h = raw(t, "POST", s.url+"/v1/auth/refresh", "", nil, map[string]string{"Cookie": "qf_refresh=" + c2.Value, "Origin": s.url})
	if code != 200 {
		t.Fatalf("refresh with the request's own Origin %s = %d %s", s.url, code, body)
	}
	c2 = refreshCookieOf(t, h)
	code, _, _ = raw(t, "POST", s.url+"/v1/auth/login", "",
		strings.NewReader(`{"email":"cookie@example.com","password":"correct horse battery"}`),
		map[string]string{"Content-Type": "application/json", "X-Auth-Mode": "cookie"})
	if code != 403 {
		t.Errorf("cookie-mode login without Origin = %d, want 403", code)
	}

	// The old cookie again: reuse, which ends the login, c2 included.
	code, _, h = raw(t, "POST", s.url+"/v1/auth/refresh", "", nil, withCookie(c1))
	if code != 401 {
		t.Errorf("a reused cookie = %d, want 401", code)
	}
	if c := refreshCookieOf(t, h); c.MaxAge >= 0 && c.Value != "" {
		t.Errorf("a reused cookie was not cleared: %+v", c)
	}
	if code, _, _ := raw(t, "POST", s.url+"/v1/auth/refresh", "", nil, withCookie(c2)); code != 401 {
		t.Errorf("the newest cookie after a reuse = %d, want 401 (login revoked)", code)
	}

	// Sign in again, sign out: the cookie is cleared and its login ended.
	code, _, h = raw(t, "POST", s.url+"/v1/auth/login", "",
		strings.NewReader(`{"email":"cookie@example.com","password":"correct horse battery"}`), browser)
	if code != 200 {
		t.Fatalf("cookie login = %d", code)
	}
	c3 := refreshCookieOf(t, h)
	code, _, h = raw(t, "POST", s.url+"/v1/auth/logout", "", nil, withCookie(c3))
	if code != 204 {
		t.Errorf("logout = %d", code)
	}
	if c := refreshCookieOf(t, h); c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("logout cookie %+v, want Max-Age=0", c)
	}
	if !strings.Contains(strings.Join(h.Values("Set-Cookie"), ""), "Max-Age=0") {
		t.Errorf("logout Set-Cookie %q lacks Max-Age=0", h.Values("Set-Cookie"))
	}
	if code, _, _ := raw(t, "POST", s.url+"/v1/auth/refresh", "", nil, withCookie(c3)); code != 401 {
		t.Errorf("refresh after logout = %d, want 401", code)
	}

	// JSON mode is untouched: the token in the body, no cookie.
	code, body, h = raw(t, "POST", s.url+"/v1/auth/login", "",
		strings.NewReader(`{"email":"cookie@example.com","password":"correct horse battery"}`), jsonHeader)
	decode(t, body, &sess)
	if code != 200 || sess.RefreshToken == "" || len(h.Values("Set-Cookie")) != 0 {
		t.Errorf("JSON login = %d, refresh token %q, Set-Cookie %q", code, sess.RefreshToken, h.Values("Set-Cookie"))
	}
	code, body, _ = raw(t, "POST", s.url+"/v1/auth/refresh", "", strings.NewReader(`{"refresh_token":"`+sess.RefreshToken+`"}`), jsonHeader)
	if code != 200 || !strings.Contains(body, `"refresh_token"`) {
		t.Errorf("JSON refresh = %d %s", code, body)
	}
}
