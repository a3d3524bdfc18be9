package e2e_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func TestAccounts(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	c := client.New(s.url)
	sess, err := c.Register(ctx, "Ada@Example.com", "correct horse battery", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	if sess.User.ID == "" || sess.User.Email != "Ada@Example.com" || sess.ExpiresIn != 900 || sess.RefreshToken == "" {
		t.Errorf("session = %+v", sess)
	}
	code, body, _ := raw(t, "POST", s.url+"/v1/auth/register", "", strings.NewReader(`{"email":"ada@example.com","password":"another password","name":"Ada"}`), jsonHeader)
	if code != 409 || strings.Contains(body, "password_hash") {
		t.Errorf("duplicate email (other case) = %d %s, want 409", code, body)
	}
	if strings.Contains(mustJSON(t, sess.User), "password") {
		t.Error("user JSON exposes the password hash")
	}
	// The display name changes without the password; GET /v1/me shows it.
	c.Token = sess.AccessToken
	var renamed quizflow.User
	if err := c.Do(ctx, "PATCH", "/v1/me", map[string]string{"name": " Ada L. "}, &renamed); err != nil || renamed.Name != "Ada L." {
		t.Errorf("rename = %+v, %v", renamed, err)
	}
	var shown quizflow.User
	if err := c.Do(ctx, "GET", "/v1/me", nil, &shown); err != nil || shown.Name != "Ada L." {
		t.Errorf("GET /v1/me after the rename = %+v, %v", shown, err)
	}
	if code, body, _ := raw(t, "PATCH", s.url+"/v1/me", sess.AccessToken, strings.NewReader(`{"name":"`+strings.Repeat("n", 101)+`"}`), jsonHeader); code != 400 || !strings.Contains(body, `"field":"name"`) {
		t.Errorf("a 101-character name = %d %s, want 400 naming the field", code, body)
	}

	scenarios := []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"short password", "/v1/auth/register", `{"email":"b@example.com","password":"1234567","name":"B"}`, 400, `"field":"password"`},
		{"bad email", "/v1/auth/register", `{"email":"not-an-email","password":"12345678","name":"B"}`, 400, `"field":"email"`},
		{"missing name", "/v1/auth/register", `{"email":"b@example.com","password":"12345678"}`, 400, `"field":"name"`},
		{"not JSON", "/v1/auth/register", `email=b`, 400, `"code":"invalid"`},
		{"over 1 MiB of JSON", "/v1/auth/register", `{"email":"b@example.com","password":"12345678","name":"` + strings.Repeat("x", 1<<20) + `"}`, 413, `"code":"too_large"`},
		{"wrong password", "/v1/auth/login", `{"email":"ada@example.com","password":"wrong password"}`, 401, "Wrong email or password."},
		{"unknown email", "/v1/auth/login", `{"email":"nobody@example.com","password":"wrong password"}`, 401, "Wrong email or password."},
		{"login any case", "/v1/auth/login", `{"email":"ADA@example.COM","password":"correct horse battery"}`, 200, `"access_token"`},
		{"refresh garbage", "/v1/auth/refresh", `{"refresh_token":"nonsense"}`, 401, `"code":"unauthorized"`},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			code, body, _ := raw(t, "POST", s.url+sc.path, "", strings.NewReader(sc.body), jsonHeader)
			if code != sc.status || !strings.Contains(body, sc.want) {
				t.Errorf("got %d %s, want %d containing %s", code, body, sc.status, sc.want)
			}
		})
	}

	var me map[string]any
	if err := c.Do(ctx, "GET", "/v1/me", nil, &me); err != nil || me["email"] != "Ada@Example.com" {
		t.Errorf("me = %v, %v", me, err)
	}
}

var jsonHeader = map[string]string{"Content-Type": "application/json"}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAccessTokens checks expiry, tampering, alg "none" and other
// algorithms, a refresh token used as an access token, and headers.
func TestAccessTokens(t *testing.T) {
	s := setup(t)
	c := s.user("Tess")
	ctx := context.Background()
	var me struct{ ID string }
	if err := c.Do(ctx, "GET", "/v1/me", nil, &me); err != nil {
		t.Fatal(err)
	}
	sign := func(m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(m, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		cl := jwt.MapClaims{"iss": "quizflow", "sub": me.ID, "jti": "at_x", "typ": "access", "fam": "fam_x",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix()}
		if mod != nil {
			mod(cl)
		}
		return cl
	}
	secret := []byte(testAccessSecret)
	good := sign(jwt.SigningMethodHS256, secret, valid(nil))
	parts := strings.Split(c.Token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), me.ID, "usr_aaaaaaaaaaaaaaaaaaaaaaaa", 1))) + "." + parts[2]
	noneTok := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid(nil))
	unsignedNone := strings.TrimSuffix(noneTok, ".") + "."
	sess, err := c.Login(ctx, "tess@example.com", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"issued token", sess.AccessToken, 200},
		{"hand-signed HS256 with the secret", good, 200},
		{"expired", sign(jwt.SigningMethodHS256, secret, valid(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Second).Unix() })), 401},
		{"no login family (cannot be revoked)", sign(jwt.SigningMethodHS256, secret, valid(func(c jwt.MapClaims) { delete(c, "fam") })), 401},
		{"no expiry", sign(jwt.SigningMethodHS256, secret, valid(func(c jwt.MapClaims) { delete(c, "exp") })), 401},
		{"tampered payload", tampered, 401},
		{"alg none", unsignedNone, 401},
		{"HS512 with the same secret", sign(jwt.SigningMethodHS512, secret, valid(nil)), 401},
		{"HS256 with another secret", sign(jwt.SigningMethodHS256, []byte("another-secret-another-secret-another"), valid(nil)), 401},
		{"wrong issuer", sign(jwt.SigningMethodHS256, secret, valid(func(c jwt.MapClaims) { c["iss"] = "evil" })), 401},
		{"refresh token as access token", sess.RefreshToken, 401},
		{"refresh-typed claims signed with access secret", sign(jwt.SigningMethodHS256, secret, valid(func(c jwt.MapClaims) { c["typ"] = "refresh" })), 401},
		{"unknown user", sign(jwt.SigningMethodHS256, secret, valid(func(c jwt.MapClaims) { c["sub"] = "usr_aaaaaaaaaaaaaaaaaaaaaaaa" })), 401},
		{"empty", "", 401},
		{"garbage", "a.b.c", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, hdr := raw(t, "GET", s.url+"/v1/me", tt.token, nil, nil)
			if code != tt.want {
				t.Fatalf("status %d, want %d: %s", code, tt.want, body)
			}
			if code == 401 && (!strings.Contains(hdr.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(body, `"code":"unauthorized"`)) {
				t.Errorf("401 without Bearer challenge or error body: %v %s", hdr, body)
			}
		})
	}
	code, _, _ := raw(t, "GET", s.url+"/v1/me", "", nil, map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("tess@example.com:correct horse battery"))})
	if code != 401 {
		t.Errorf("basic auth on the API = %d, want 401", code)
	}
}

// TestRefreshRotation: every refresh rotates; presenting a used token
// revokes the whole family, including its newest token; logout revokes.
func TestRefreshRotation(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	c := client.New(s.url)
	first, err := c.Register(ctx, "rita@example.com", "correct horse battery", "Rita")
	if err != nil {
		t.Fatal(err)
	}
	refresh := func(tok string) (*quizflow.Session, error) {
		var out quizflow.Session
		err := c.Do(ctx, "POST", "/v1/auth/refresh", map[string]string{"refresh_token": tok}, &out)
		return &out, err
	}
	second, err := refresh(first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == "" {
		t.Fatal("refresh did not rotate the token")
	}
	third, err := refresh(second.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	// Reuse of the first token: 401, and the family is revoked.
	if _, err := refresh(first.RefreshToken); client.StatusOf(err) != 401 {
		t.Fatalf("reused refresh token = %v, want 401", err)
	}
	if _, err := refresh(third.RefreshToken); client.StatusOf(err) != 401 {
		t.Fatalf("newest token of a revoked family = %v, want 401", err)
	}
	// Another login (family) is unaffected; logout revokes it.
	other, err := c.Login(ctx, "rita@example.com", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "POST", "/v1/auth/logout", map[string]string{"refresh_token": other.RefreshToken}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := refresh(other.RefreshToken); client.StatusOf(err) != 401 {
		t.Fatalf("refresh after logout = %v, want 401", err)
	}
	// A refresh token signed with the access secret is refused.
	if _, err := refresh(first.AccessToken); client.StatusOf(err) != 401 {
		t.Fatalf("access token used to refresh = %v, want 401", err)
	}
}
