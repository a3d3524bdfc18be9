package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// setCookie checks the response's qf_refresh cookie: its value and
// Max-Age, and the flags every one must carry.
func setCookie(value string, maxAge int) checkFunc {
	return func(t *testing.T, o *outcome) {
		t.Helper()
		var got *http.Cookie
		for _, c := range (&http.Response{Header: o.rec.Header()}).Cookies() {
			if c.Name == refreshCookie {
				got = c
			}
		}
		if got == nil {
			t.Fatalf("no %s cookie set; Set-Cookie: %q", refreshCookie, o.rec.Header().Values("Set-Cookie"))
		}
		raw := strings.Join(o.rec.Header().Values("Set-Cookie"), "\n")
		for _, flag := range []string{"HttpOnly", "Secure", "SameSite=Strict", "Path=/v1/auth"} {
			if !strings.Contains(raw, flag) {
				t.Errorf("Set-Cookie %q lacks %s", raw, flag)
			}
		}
		if got.Value != value || got.MaxAge != maxAge && !(maxAge == 0 && got.MaxAge < 0) {
			t.Errorf("cookie %s=%q Max-Age %d; want %q Max-Age %d", got.Name, got.Value, got.MaxAge, value, maxAge)
		}
	}
}

// The test server has no PublicURL: its origin is the request's, which
// httptest makes http://example.com.
var (
	cookieMode7d = map[string]string{authModeHeader: "cookie", "Origin": "http://example.com"}
	withCookie   = map[string]string{"Cookie": "qf_refresh=alice-refresh", "Origin": "http://example.com"}
	weekSeconds  = 7 * 24 * 3600
)

func withPublicURL(d *Deps) { d.Config.PublicURL = "https://quiz.example.org" }

// cookieScenarios: the browser session cookie mode and its Origin check.
var cookieScenarios = []scenario{
	{name: "login in cookie mode", method: "POST", path: "/v1/auth/login", headers: cookieMode7d,
		body: `{"email":"alice@example.com","password":"alice-password"}`, status: 200,
		want: []string{`"access_token":"new-access-token"`}, notWant: []string{"refresh_token", "new-refresh-token"},
		check: all(setCookie("new-refresh-token", weekSeconds), header("Cache-Control", "no-store"))},
	{name: "register in cookie mode", method: "POST", path: "/v1/auth/register", headers: cookieMode7d,
		body: `{"email":"new@example.com","password":"long enough password","name":"N"}`, status: 201,
		notWant: []string{"refresh_token"}, check: setCookie("new-refresh-token", weekSeconds)},
	{name: "cookie mode lifetime from the config", method: "POST", path: "/v1/auth/login", headers: cookieMode7d,
		deps: func(d *Deps) { d.Config.RefreshTTL = 3600e9 },
		body: `{"email":"alice@example.com","password":"alice-password"}`, status: 200, check: setCookie("new-refresh-token", 3600)},
	{name: "login in cookie mode without Origin", method: "POST", path: "/v1/auth/login", headers: map[string]string{authModeHeader: "cookie"},
		body: `{"email":"alice@example.com","password":"alice-password"}`, status: 403,
		want: []string{`"code":"forbidden"`, "needs an Origin header"}, check: all(calls(), noCookie)},
	{name: "login in cookie mode from another site", method: "POST", path: "/v1/auth/login",
		headers: map[string]string{authModeHeader: "cookie", "Origin": "https://evil.example"},
		body:    `{"email":"alice@example.com","password":"alice-password"}`, status: 403,
		want: []string{"is not this server's origin"}, check: calls()},
	{name: "the request's own origin counts beside PUBLIC_URL's", method: "POST", path: "/v1/auth/login", headers: cookieMode7d, deps: withPublicURL,
		body: `{"email":"alice@example.com","password":"alice-password"}`, status: 200, check: setCookie("new-refresh-token", weekSeconds)},
	{name: "another site with PUBLIC_URL set", method: "POST", path: "/v1/auth/login", deps: withPublicURL,
		headers: map[string]string{authModeHeader: "cookie", "Origin": "https://evil.example"},
		body:    `{"email":"alice@example.com","password":"alice-password"}`, status: 403, want: []string{"https://quiz.example.org"}},
	{name: "PUBLIC_URL's origin accepted", method: "POST", path: "/v1/auth/login", deps: withPublicURL,
		headers: map[string]string{authModeHeader: "cookie", "Origin": "https://quiz.example.org"},
		body:    `{"email":"alice@example.com","password":"alice-password"}`, status: 200, check: setCookie("new-refresh-token", weekSeconds)},
	{name: "a PUBLIC_URL on port 0 names no origin", method: "POST", path: "/v1/auth/login", headers: cookieMode7d,
		deps: func(d *Deps) { d.Config.PublicURL = "http://localhost:0" },
		body: `{"email":"alice@example.com","password":"alice-password"}`, status: 200, check: setCookie("new-refresh-token", weekSeconds)},
	{name: "refresh by the cookie", method: "POST", path: "/v1/auth/refresh", headers: withCookie, status: 200,
		want: []string{`"access_token":"new-access-token"`}, notWant: []string{"refresh_token"},
		check: all(setCookie("new-refresh-token", weekSeconds), calls("Refresh"))},
	{name: "refresh by the cookie ignores a body token", method: "POST", path: "/v1/auth/refresh", headers: withCookie,
		body: `{"refresh_token":"someone-elses"}`, status: 200, check: calls("Refresh")},
	{name: "a cookie without Origin", method: "POST", path: "/v1/auth/refresh",
		headers: map[string]string{"Cookie": "qf_refresh=alice-refresh"}, status: 403, check: calls()},
	{name: "a reused cookie", method: "POST", path: "/v1/auth/refresh",
		headers: map[string]string{"Cookie": "qf_refresh=used-refresh", "Origin": "http://example.com"}, status: 401,
		check: setCookie("", 0)},
	{name: "refresh in cookie mode without the cookie", method: "POST", path: "/v1/auth/refresh", headers: cookieMode7d,
		status: 401, want: []string{"No session cookie"}, check: all(calls(), setCookie("", 0))},
	{name: "logout by the cookie", method: "POST", path: "/v1/auth/logout", headers: withCookie, status: 204,
		check: all(setCookie("", 0), calls("Logout"))},
	{name: "logout with a dead cookie still clears it", method: "POST", path: "/v1/auth/logout",
		headers: map[string]string{"Cookie": "qf_refresh=gone", "Origin": "http://example.com"}, status: 204, check: setCookie("", 0)},
	{name: "logout from another site", method: "POST", path: "/v1/auth/logout",
		headers: map[string]string{"Cookie": "qf_refresh=alice-refresh", "Origin": "https://evil.example"}, status: 403, check: calls()},
	{name: "logout-all with the cookie clears it", method: "POST", path: "/v1/auth/logout-all", token: "alice-token", headers: withCookie,
		status: 204, check: setCookie("", 0)},
	{name: "JSON login unchanged", method: "POST", path: "/v1/auth/login",
		body: `{"email":"alice@example.com","password":"alice-password"}`, status: 200,
		want: []string{`"refresh_token":"new-refresh-token"`}, check: noCookie},
	{name: "JSON refresh unchanged", method: "POST", path: "/v1/auth/refresh", body: `{"refresh_token":"alice-refresh"}`,
		status: 200, want: []string{`"refresh_token":"new-refresh-token"`}, check: noCookie},
	{name: "JSON logout unchanged", method: "POST", path: "/v1/auth/logout", body: `{"refresh_token":"alice-refresh"}`,
		status: 204, check: noCookie},
}
