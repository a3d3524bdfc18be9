package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Handler tests as scenario tables (PocketBase style): each row is one
// request through the real server (routes, middleware, error handler) on a
// fresh in-memory fake of the five services (fakes_test.go), with no
// Redis, MongoDB or S3. TestScenariosCoverEveryRoute fails when a route
// the server registers has no row.
//
// Rows whose bug field is set show a handler bug: they assert the correct
// behaviour and fail until the handler is fixed.

// testMaxFile is the test server's upload limit, small so that rows can
// exceed it cheaply; the handler bounds the whole body at 64 KiB more.
const testMaxFile = 4 << 10

var testAdminSecret = []byte("test-admin-secret")

// scenario is one request and what its answer must be.
type scenario struct {
	name   string
	method string
	path   string
	// body is the raw request body, sent as application/json unless
	// headers set a Content-Type; form, if set, is sent instead as a
	// multipart/form-data body, its parts in order.
	body    string
	form    []formPart
	headers map[string]string // an empty value removes the header
	token   string            // sent as "Authorization: Bearer <token>" unless ""
	// fail makes fake methods fail: method name (or "ready:<check>") to
	// the error it returns.
	fail map[string]error
	// deps, if set, changes the server's dependencies before New.
	deps    func(*Deps)
	status  int
	want    []string // snippets the body must contain
	notWant []string // snippets the body must not contain
	check   func(*testing.T, *outcome)
	// bug, if set, says where a handler is wrong; the row asserts what it
	// should do.
	bug string
}

// formPart is one part of a multipart body: a file if filename is set.
type formPart struct{ name, filename, content string }

func field(name, value string) formPart { return formPart{name: name, content: value} }

var notesFile = formPart{name: "file", filename: "notes.txt", content: "Photosynthesis turns light into sugar."}

// outcome is what a row's checks see.
type outcome struct {
	rec     *httptest.ResponseRecorder
	fake    *fakeServices
	watcher *fakeWatcher
	srv     *Server
	log     *syncBuffer
}

// neverSeen are snippets no response may hold: internal error detail and
// storage keys.
var neverSeen = []string{"secret-internal-detail", "10.9.8.7", "blob/secret"}

// adminUI stands in for asynqmon.
var adminUI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	io.WriteString(w, "<h1>queue UI</h1> "+r.Method+" "+r.URL.Path)
})

func newScenarioServer(f *fakeServices, log io.Writer, w JobWatcher, tweak func(*Deps)) *Server {
	d := Deps{
		Log:      zerolog.New(log),
		Accounts: f, Documents: f, Jobs: f, Quizzes: f, Exports: f, Backups: f,
		Ready: map[string]func(context.Context) error{
			"mongo": f.ready("mongo"), "redis": f.ready("redis"), "s3": f.ready("s3"),
		},
		JobEvents: w,
		AdminUI:   adminUI,
		Config:    Config{MaxFileSize: testMaxFile, AdminSecret: testAdminSecret},
	}
	if tweak != nil {
		tweak(&d)
	}
	return New(d).WithMetrics(metrics.New(), "metrics-token")
}

func (s scenario) request(t *testing.T) *http.Request {
	t.Helper()
	var body io.Reader = strings.NewReader(s.body)
	ctype := ""
	if s.form != nil {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, p := range s.form {
			var w io.Writer
			var err error
			if p.filename != "" {
				w, err = mw.CreateFormFile(p.name, p.filename)
			} else {
				w, err = mw.CreateFormField(p.name)
			}
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, p.content)
		}
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		body, ctype = &buf, mw.FormDataContentType()
	} else if s.body != "" {
		ctype = echo.MIMEApplicationJSON
	}
	req := httptest.NewRequest(s.method, s.path, body)
	if ctype != "" {
		req.Header.Set(echo.HeaderContentType, ctype)
	}
	if s.token != "" {
		req.Header.Set(echo.HeaderAuthorization, "Bearer "+s.token)
	}
	for k, v := range s.headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return req
}

// do serves req, bounded in time so that a stream that never ends fails
// its row instead of hanging the suite.
func (o *outcome) do(req *http.Request) *httptest.ResponseRecorder {
	ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
	defer cancel()
	rec := httptest.NewRecorder()
	o.srv.Handler().ServeHTTP(rec, req.WithContext(ctx))
	return rec
}

// one returns the only recorded call of method.
func (o *outcome) one(t *testing.T, method string) call {
	t.Helper()
	cs := o.fake.called(method)
	if len(cs) != 1 {
		t.Fatalf("%s called %d times, want once; calls: %v", method, len(cs), o.fake.methods())
	}
	return cs[0]
}

func runScenarios(t *testing.T, table []scenario) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range table {
		if seen[s.name] {
			t.Fatalf("two rows named %q", s.name)
		}
		seen[s.name] = true
		t.Run(s.name, func(t *testing.T) { s.run(t) })
	}
}

func (s scenario) run(t *testing.T) {
	if s.bug != "" {
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("KNOWN HANDLER BUG (the row asserts the correct behaviour): %s", s.bug)
			}
		})
	}
	f := newFakeServices(testMaxFile)
	maps.Copy(f.fail, s.fail)
	o := &outcome{fake: f, watcher: &fakeWatcher{}, log: &syncBuffer{}}
	o.srv = newScenarioServer(f, o.log, o.watcher, s.deps)
	o.rec = o.do(s.request(t))
	body := o.rec.Body.String()

	if o.rec.Code != s.status {
		t.Errorf("%s %s: status %d, want %d; body: %.600s", s.method, s.path, o.rec.Code, s.status, body)
	}
	for _, w := range s.want {
		if !strings.Contains(body, w) {
			t.Errorf("body lacks %q: %.600s", w, body)
		}
	}
	for _, w := range append(slices.Clone(neverSeen), s.notWant...) {
		if strings.Contains(body, w) {
			t.Errorf("body holds %q: %.600s", w, body)
		}
	}
	id := o.rec.Header().Get(echo.HeaderXRequestID)
	if id == "" {
		t.Error("no X-Request-ID on the response")
	}
	// Every error is the one envelope, carrying the request ID (the
	// readiness report, HEAD answers and the HTML pages mailed links open
	// aside).
	if o.rec.Code >= 400 && s.method != http.MethodHead && !strings.HasPrefix(s.path, "/readyz") &&
		!strings.HasPrefix(o.rec.Header().Get(echo.HeaderContentType), echo.MIMETextHTML) {
		var eb errorBody
		if err := json.Unmarshal(o.rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			t.Errorf("error body is not the error envelope (%v): %.600s", err, body)
		} else if eb.Error.RequestID != id {
			t.Errorf("error request_id %q, response X-Request-ID %q", eb.Error.RequestID, id)
		}
	}
	if s.check != nil {
		s.check(t, o)
	}
}

// Checks.

type checkFunc = func(*testing.T, *outcome)

func all(cs ...checkFunc) checkFunc {
	return func(t *testing.T, o *outcome) {
		t.Helper()
		for _, c := range cs {
			c(t, o)
		}
	}
}

// calls wants exactly these service calls, in order.
func calls(want ...string) checkFunc {
	return func(t *testing.T, o *outcome) {
		t.Helper()
		if got := o.fake.methods(); !slices.Equal(got, want) {
			t.Errorf("service calls = %v, want %v", got, want)
		}
	}
}

func header(key, want string) checkFunc {
	return func(t *testing.T, o *outcome) {
		t.Helper()
		if got := o.rec.Header().Get(key); got != want {
			t.Errorf("header %s = %q, want %q", key, got, want)
		}
	}
}

func noCookie(t *testing.T, o *outcome) {
	t.Helper()
	if v := o.rec.Header().Values("Set-Cookie"); len(v) > 0 {
		t.Errorf("Set-Cookie %v, want none", v)
	}
}

// loggedInternal checks that the hidden detail of an internal error
// reached the operator's log with the request ID.
func loggedInternal(t *testing.T, o *outcome) {
	t.Helper()
	id := o.rec.Header().Get(echo.HeaderXRequestID)
	log := o.log.String()
	if !strings.Contains(log, "secret-internal-detail") || !strings.Contains(log, id) {
		t.Errorf("log lacks the internal detail or request ID %q: %s", id, log)
	}
}

// internalError is what every 500 must say.
var internalError = []string{`"code":"internal"`, "Internal error.", `"request_id":"`}

func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func basicAuth(email, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+password))
}

// signedCookie returns a Cookie header holding a qf_admin cookie for
// userID, signed with secret, expiring at exp.
func signedCookie(userID string, exp time.Time, secret []byte) string {
	s := &Server{Deps: Deps{Config: Config{AdminSecret: secret}}}
	return adminCookie + "=" + s.signAdminCookie(userID, exp)
}

func in(d time.Duration) time.Time { return time.Now().Add(d) }

// bigJSON is a JSON object just over the 1 MiB bound of JSON bodies.
var bigJSON = `{"email":"` + strings.Repeat("a", maxJSONBody) + `","format":"qti21"}`

// The tables.

var healthScenarios = []scenario{
	{name: "healthz", method: "GET", path: "/healthz", status: 200, want: []string{`{"status":"ok"}`}, check: calls()},
	{name: "healthz HEAD", method: "HEAD", path: "/healthz", status: 200},
	{name: "readyz all up", method: "GET", path: "/readyz", status: 200,
		want: []string{`"status":"ok"`, `"mongo":"ok"`, `"redis":"ok"`, `"s3":"ok"`}},
	{name: "readyz HEAD", method: "HEAD", path: "/readyz", status: 200},
	{name: "readyz names the failed check, not its error", method: "GET", path: "/readyz",
		fail:   map[string]error{"ready:s3": errSecret},
		status: 503, want: []string{`"status":"unavailable"`, `"failed":["s3"]`, `"s3":"unavailable"`, `"mongo":"ok"`},
		notWant: []string{"mongo:", "dial tcp"},
		check: func(t *testing.T, o *outcome) {
			if !strings.Contains(o.log.String(), "secret-internal-detail") {
				t.Errorf("the check's error is not logged: %s", o.log)
			}
		}},
	{name: "readyz HEAD with a failed check", method: "HEAD", path: "/readyz",
		fail: map[string]error{"ready:redis": errSecret}, status: 503},
	{name: "openapi.yaml needs no login", method: "GET", path: "/openapi.yaml", status: 200,
		want:  []string{"openapi: 3.1.0", "/v1/documents/{id}/quizzes"},
		check: all(header(echo.HeaderContentType, "application/yaml"), header(echo.HeaderCacheControl, "public, max-age=300"), calls())},
}

var metricsScenarios = []scenario{
	{name: "metrics with the token", method: "GET", path: "/metrics", token: "metrics-token", status: 200,
		want: []string{"go_goroutines"},
		check: func(t *testing.T, o *outcome) {
			// Requests are counted by route template.
			o.do(httptest.NewRequest("GET", "/v1/export-formats", nil))
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.Header.Set("Authorization", "Bearer metrics-token")
			rec := o.do(req)
			if want := `quizflow_http_requests_total{method="GET",route="/v1/export-formats",status="200"} 1`; !strings.Contains(rec.Body.String(), want) {
				t.Errorf("metrics lack %s", want)
			}
		}},
	{name: "metrics without the token", method: "GET", path: "/metrics", status: 401,
		want: []string{`"code":"unauthorized"`}, notWant: []string{"go_goroutines"},
		check: header(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)},
	{name: "metrics with a user's token", method: "GET", path: "/metrics", token: "alice-token", status: 401,
		notWant: []string{"go_goroutines"}, check: all(header(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`), calls())},
}

var accountScenarios = []scenario{
	{name: "register", method: "POST", path: "/v1/auth/register",
		body:   `{"email":"carol@example.com","password":"long-enough","name":"Carol"}`,
		status: 201, want: []string{`"access_token":"new-access-token"`, `"refresh_token":"new-refresh-token"`, `"email":"carol@example.com"`},
		check: func(t *testing.T, o *outcome) {
			c := o.one(t, "Register")
			wantEqual(t, "Register args", []string{c.Email, c.Password, c.Name}, []string{"carol@example.com", "long-enough", "Carol"})
		}},
	{name: "register a taken email", method: "POST", path: "/v1/auth/register",
		body: `{"email":"alice@example.com","password":"long-enough"}`, status: 409, want: []string{`"code":"conflict"`}},
	{name: "register a bad email", method: "POST", path: "/v1/auth/register",
		body: `{"email":"nope","password":"long-enough"}`, status: 400, want: []string{`"code":"invalid"`, `"field":"email"`}},
	{name: "register with bad JSON", method: "POST", path: "/v1/auth/register",
		body: `{"email":`, status: 400, want: []string{`"code":"invalid"`, "JSON object"}, check: calls()},
	{name: "register with a JSON array", method: "POST", path: "/v1/auth/register",
		body: `["carol@example.com"]`, status: 400, want: []string{`"code":"invalid"`}, check: calls()},
	{name: "register with a body over 1 MiB", method: "POST", path: "/v1/auth/register",
		body: bigJSON, status: 413, want: []string{`"code":"too_large"`, "1 MiB"}, check: calls()},
	{name: "register without a Content-Type", method: "POST", path: "/v1/auth/register",
		body: `{"email":"carol@example.com","password":"long-enough"}`, headers: map[string]string{"Content-Type": ""},
		status: 415, want: []string{`"code":"unsupported_media_type"`, "application/json"}, check: calls()},
	{name: "register with an XML body", method: "POST", path: "/v1/auth/register",
		body:    `<registerRequest><Email>carol@example.com</Email><Password>long-enough</Password></registerRequest>`,
		headers: map[string]string{"Content-Type": "application/xml"},
		status:  415, want: []string{`"code":"unsupported_media_type"`}, check: calls()},
	{name: "register with a form body", method: "POST", path: "/v1/auth/register",
		body:    `email=carol%40example.com&password=long-enough`,
		headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		status:  415, want: []string{`"code":"unsupported_media_type"`}, check: calls()},
	{name: "register with data after the JSON object", method: "POST", path: "/v1/auth/register",
		body:   `{"email":"carol@example.com","password":"long-enough"} {"x":1}`,
		status: 400, want: []string{`"code":"invalid"`}, check: calls()},
	{name: "login", method: "POST", path: "/v1/auth/login",
		body: `{"email":"alice@example.com","password":"alice-password"}`, status: 200,
		want: []string{`"token_type":"Bearer"`, `"id":"usr_alice"`}, notWant: []string{"password"}},
	{name: "login with a wrong password", method: "POST", path: "/v1/auth/login",
		body: `{"email":"alice@example.com","password":"guess"}`, status: 401, want: []string{`"code":"unauthorized"`}},
	{name: "login when the store fails", method: "POST", path: "/v1/auth/login",
		body: `{"email":"alice@example.com","password":"alice-password"}`, fail: map[string]error{"Login": errSecret},
		status: 500, want: internalError, check: loggedInternal},
	{name: "refresh", method: "POST", path: "/v1/auth/refresh", body: `{"refresh_token":"alice-refresh"}`,
		status: 200, want: []string{`"access_token":"new-access-token"`},
		check: func(t *testing.T, o *outcome) { wantEqual(t, "token", o.one(t, "Refresh").Token, "alice-refresh") }},
	{name: "refresh with a reused token", method: "POST", path: "/v1/auth/refresh", body: `{"refresh_token":"used-refresh"}`,
		status: 401, want: []string{`"code":"unauthorized"`, "already used"}},
	{name: "refresh with an unknown token", method: "POST", path: "/v1/auth/refresh", body: `{"refresh_token":"forged"}`,
		status: 401, want: []string{`"code":"unauthorized"`}},
	{name: "refresh with bad JSON", method: "POST", path: "/v1/auth/refresh", body: `{"refresh_token":}`,
		status: 400, want: []string{`"code":"invalid"`}, check: calls()},
	{name: "logout", method: "POST", path: "/v1/auth/logout", body: `{"refresh_token":"alice-refresh"}`,
		status: 204, check: calls("Logout")},
	{name: "logout with an unknown token", method: "POST", path: "/v1/auth/logout", body: `{"refresh_token":"forged"}`,
		status: 401, want: []string{`"code":"unauthorized"`}},
	{name: "logout without a body", method: "POST", path: "/v1/auth/logout",
		status: 401, check: func(t *testing.T, o *outcome) { wantEqual(t, "token", o.one(t, "Logout").Token, "") }},
	{name: "me", method: "GET", path: "/v1/me", token: "alice-token", status: 200,
		want: []string{`"id":"usr_alice"`, `"email":"alice@example.com"`, `"plan":"free"`}, notWant: []string{`"admin"`},
		check: calls("Authenticate")},
	{name: "me as the operator", method: "GET", path: "/v1/me", token: "admin-token", status: 200, want: []string{`"admin":true`}},
	{name: "me with spaces around the token", method: "GET", path: "/v1/me", headers: map[string]string{"Authorization": "Bearer  alice-token "},
		status: 200, want: []string{`"id":"usr_alice"`}},
	{name: "me with an empty bearer token", method: "GET", path: "/v1/me", headers: map[string]string{"Authorization": "Bearer "},
		status: 401, check: all(header(echo.HeaderWWWAuthenticate, `Bearer realm="quizflow"`), calls())},
	{name: "me with Basic auth", method: "GET", path: "/v1/me", headers: map[string]string{"Authorization": basicAuth("alice@example.com", "alice-password")},
		status: 401, check: all(header(echo.HeaderWWWAuthenticate, `Bearer realm="quizflow"`), calls())},
	{name: "me when Authenticate fails inside", method: "GET", path: "/v1/me", token: "alice-token",
		fail: map[string]error{"Authenticate": errSecret}, status: 500, want: internalError, check: loggedInternal},
}

var documentScenarios = []scenario{
	{name: "list documents", method: "GET", path: "/v1/documents", token: "alice-token", status: 200,
		want: []string{`"documents":[`, `"id":"doc_alice"`, `"id":"doc_reading"`, `"next_cursor":""`}, notWant: []string{"doc_bob"},
		check: func(t *testing.T, o *outcome) {
			c := o.one(t, "Documents")
			wantEqual(t, "page", c.Page, quizflow.PageRequest{Limit: quizflow.DefaultPageSize})
			wantEqual(t, "user", c.UserID, "usr_alice")
		}},
	{name: "list documents with limit and cursor", method: "GET", path: "/v1/documents?limit=1", token: "alice-token", status: 200,
		want: []string{`"id":"doc_alice"`, `"next_cursor":"page2"`}, notWant: []string{"doc_reading"},
		check: func(t *testing.T, o *outcome) {
			wantEqual(t, "page", o.one(t, "Documents").Page, quizflow.PageRequest{Limit: 1})
		}},
	{name: "list documents, second page", method: "GET", path: "/v1/documents?limit=200&cursor=page2", token: "alice-token", status: 200,
		want: []string{`"documents":[]`, `"next_cursor":""`},
		check: func(t *testing.T, o *outcome) {
			wantEqual(t, "page", o.one(t, "Documents").Page, quizflow.PageRequest{Limit: 200, Cursor: "page2"})
		}},
	{name: "list documents with limit=0", method: "GET", path: "/v1/documents?limit=0", token: "alice-token",
		status: 400, want: []string{`"field":"limit"`}, check: calls("Authenticate")},
	{name: "list documents with limit=201", method: "GET", path: "/v1/documents?limit=201", token: "alice-token",
		status: 400, want: []string{`"field":"limit"`, "1 to 200"}},
	{name: "list documents with limit=ten", method: "GET", path: "/v1/documents?limit=ten", token: "alice-token",
		status: 400, want: []string{`"field":"limit"`}},
	{name: "list documents with a bad cursor", method: "GET", path: "/v1/documents?cursor=tampered", token: "alice-token",
		status: 400, want: []string{`"code":"invalid"`, `"field":"cursor"`}},
	{name: "get a document", method: "GET", path: "/v1/documents/doc_alice", token: "alice-token", status: 200,
		want:  []string{`"id":"doc_alice"`, `"status":"extracted"`, `"owner_id":"usr_alice"`},
		check: func(t *testing.T, o *outcome) { wantEqual(t, "id", o.one(t, "Document").ID, "doc_alice") }},
	{name: "get another user's document", method: "GET", path: "/v1/documents/doc_bob", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}, notWant: []string{"usr_bob", "forbidden"}},
	{name: "get a malformed document ID", method: "GET", path: "/v1/documents/..%2F..%2Fetc", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}},
	{name: "delete a document", method: "DELETE", path: "/v1/documents/doc_alice", token: "alice-token", status: 204,
		check: func(t *testing.T, o *outcome) {
			wantEqual(t, "id", o.one(t, "DeleteDocument").ID, "doc_alice")
			if o.rec.Body.Len() != 0 {
				t.Errorf("204 with a body: %s", o.rec.Body)
			}
		}},
	{name: "delete another user's document", method: "DELETE", path: "/v1/documents/doc_bob", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}},
	{name: "delete a document when the store fails", method: "DELETE", path: "/v1/documents/doc_alice", token: "alice-token",
		fail: map[string]error{"DeleteDocument": errSecret}, status: 500, want: internalError, check: loggedInternal},
	{name: "document text", method: "GET", path: "/v1/documents/doc_alice/text", token: "alice-token", status: 200,
		want: []string{`"pages":[{"number":1,"text":"Photosynthesis turns light into sugar."}]`}},
	{name: "document text not extracted yet", method: "GET", path: "/v1/documents/doc_reading/text", token: "alice-token",
		status: 409, want: []string{`"code":"conflict"`, "not extracted yet"}},
	{name: "another user's document text", method: "GET", path: "/v1/documents/doc_bob/text", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}},
	{name: "new quiz with an empty body takes the defaults", method: "POST", path: "/v1/documents/doc_alice/quizzes", token: "alice-token",
		status: 202, want: []string{`"job":{"id":"job_new"`, `"kind":"quiz"`, `"status":"queued"`},
		check: func(t *testing.T, o *outcome) {
			c := o.one(t, "CreateQuiz")
			wantEqual(t, "doc", c.ID, "doc_alice")
			wantEqual(t, "options", c.Opts, quizflow.GenerateOptions{})
		}},
	{name: "new quiz with options", method: "POST", path: "/v1/documents/doc_alice/quizzes", token: "alice-token",
		body:   `{"question_count":5,"question_types":["true_false","essay"],"difficulty":"hard","language":"de","fresh":true,"colour":"ignored"}`,
		status: 202, want: []string{`"question_count":5`},
		check: func(t *testing.T, o *outcome) {
			wantEqual(t, "options", o.one(t, "CreateQuiz").Opts, quizflow.GenerateOptions{QuestionCount: 5,
				QuestionTypes: []string{"true_false", "essay"}, Difficulty: "hard", Language: "de", Fresh: true})
		}},
	{name: "new quiz with question_count 0", method: "POST", path: "/v1/documents/doc_alice/quizzes", token: "alice-token",
		body: `{"question_count":0}`, status: 400, want: []string{`"code":"invalid"`, `"field":"question_count"`},
		check: func(t *testing.T, o *outcome) {
			// An explicit 0 is not "default": it reaches the service as invalid.
			wantEqual(t, "question_count", o.one(t, "CreateQuiz").Opts.QuestionCount, -1)
		}},
	{name: "new quiz with question_count null takes the default", method: "POST", path: "/v1/documents/doc_alice/quizzes", token: "alice-token",
		body: `{"question_count":null}`, status: 202,
		check: func(t *testing.T, o *outcome) {
			wantEqual(t, "question_count", o.one(t, "CreateQuiz").Opts.QuestionCount, 0)
		}},
	{name: "new quiz with too many questions for the plan", method: "POST", path: "/v1/documents/doc_alice/quizzes", token: "alice-token",
		body: `{"question_count":80}`, status: 400, want: []string{`"field":"question_count"`, "free plan"}},
	{name: "new quiz with bad JSON", method: "POST", path: "/v1/documents/doc_alice/quizzes", token: "alice-token",
		body: `{"question_count":5,}`, status: 400, want: []string{`"code":"invalid"`}, check: calls("Authenticate")},
	{name: "new quiz with a field of the wrong type", method: "POST", path: "/v1/documents/doc_alice/quizzes", token: "alice-token",
		body: `{"question_count":"ten"}`, status: 400, want: []string{`"code":"invalid"`, `"field":"question_count"`},
		check: calls("Authenticate")},
	{name: "new quiz with a body over 1 MiB", method: "POST", path: "/v1/documents/doc_alice/quizzes", token: "alice-token",
		body: `{"instructions":"` + strings.Repeat("x", maxJSONBody) + `"}`, status: 413, want: []string{`"code":"too_large"`}, check: calls("Authenticate")},
	{name: "new quiz of another user's document", method: "POST", path: "/v1/documents/doc_bob/quizzes", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}},
	{name: "new quiz of a document being read", method: "POST", path: "/v1/documents/doc_reading/quizzes", token: "alice-token",
		status: 409, want: []string{`"code":"conflict"`, "still being read"}},
	{name: "new quiz when the queue refuses", method: "POST", path: "/v1/documents/doc_alice/quizzes", token: "alice-token",
		fail:   map[string]error{"CreateQuiz": quizflow.Errorf(quizflow.EUNAVAILABLE, "The queue is unavailable; try again shortly.")},
		status: 503, want: []string{`"code":"unavailable"`, "try again shortly"}},
}

var uploadScenarios = []scenario{
	{name: "upload a file: defaults reach SubmitUpload", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{notesFile},
		status: 202, want: []string{`"document":{"id":"doc_new"`, `"job":{"id":"job_new"`, `"filename":"notes.txt"`},
		check: all(calls("Authenticate", "ReceiveFile", "SubmitUpload"), func(t *testing.T, o *outcome) {
			rf := o.one(t, "ReceiveFile")
			wantEqual(t, "file name", rf.Filename, "notes.txt")
			wantEqual(t, "file bytes", string(rf.File), notesFile.content)
			wantEqual(t, "user", rf.UserID, "usr_alice")
			su := o.one(t, "SubmitUpload")
			wantEqual(t, "submitted doc", su.ID, "doc_new")
			wantEqual(t, "options", su.Opts, quizflow.GenerateOptions{})
			if su.RequestID == "" || su.RequestID != o.rec.Header().Get(echo.HeaderXRequestID) {
				t.Errorf("SubmitUpload saw request ID %q, response has %q", su.RequestID, o.rec.Header().Get(echo.HeaderXRequestID))
			}
		})},
	{name: "upload: options before the file are checked first, options after it are submitted", method: "POST", path: "/v1/documents", token: "alice-token",
		form: []formPart{field("question_count", "7"), field("question_types", "true_false"), field("question_types", "short_answer, essay"),
			field("difficulty", "hard"), notesFile, field("language", "fr"), field("bloom_levels", "apply,analyze"), field("fresh", "true")},
		status: 202, want: []string{`"question_count":7`, `"language":"fr"`},
		check: all(calls("Authenticate", "CheckOptions", "ReceiveFile", "SubmitUpload"), func(t *testing.T, o *outcome) {
			wantEqual(t, "checked options", o.one(t, "CheckOptions").Opts, quizflow.GenerateOptions{QuestionCount: 7,
				QuestionTypes: []string{"true_false", "short_answer", "essay"}, Difficulty: "hard"})
			wantEqual(t, "submitted options", o.one(t, "SubmitUpload").Opts, quizflow.GenerateOptions{QuestionCount: 7,
				QuestionTypes: []string{"true_false", "short_answer", "essay"}, Difficulty: "hard", Language: "fr",
				BloomLevels: []string{"apply", "analyze"}, Fresh: true})
		})},
	{name: "upload: a bad option before the file refuses it unread", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{field("question_count", "500"), notesFile},
		status: 400, want: []string{`"field":"question_count"`},
		check: all(calls("Authenticate", "CheckOptions"), header(echo.HeaderConnection, "close"))},
	{name: "upload: an unparsable option before the file", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{field("question_count", "many"), notesFile},
		status: 400, want: []string{`"field":"question_count"`, "whole number"}, check: calls("Authenticate")},
	{name: "upload: question_count 0 is invalid, not the default", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{field("question_count", "0"), notesFile},
		status: 400, want: []string{`"field":"question_count"`},
		check: all(calls("Authenticate", "CheckOptions"), func(t *testing.T, o *outcome) {
			wantEqual(t, "question_count", o.one(t, "CheckOptions").Opts.QuestionCount, -1)
		})},
	{name: "upload: a bad option after the file discards the file", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{notesFile, field("fresh", "perhaps")},
		status: 400, want: []string{`"field":"fresh"`},
		check: all(calls("Authenticate", "ReceiveFile", "DiscardUpload"), header(echo.HeaderConnection, "close"), func(t *testing.T, o *outcome) {
			wantEqual(t, "discarded", o.one(t, "DiscardUpload").ID, "doc_new")
		})},
	{name: "upload: an option after the file refused by SubmitUpload", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{notesFile, field("difficulty", "extreme")},
		status: 400, want: []string{`"field":"difficulty"`},
		// SubmitUpload removes the file itself on failure.
		check: calls("Authenticate", "ReceiveFile", "SubmitUpload")},
	{name: "upload: a field over 4 KiB after the file", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{notesFile, field("instructions", strings.Repeat("x", maxFormField+1))},
		status: 400, want: []string{`"field":"instructions"`}, check: calls("Authenticate", "ReceiveFile", "DiscardUpload")},
	{name: "upload: no file", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{field("question_count", "5")},
		status: 400, want: []string{`"field":"file"`}, check: calls("Authenticate")},
	{name: "upload: two files", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{notesFile, {name: "file", filename: "more.txt", content: "more"}},
		status: 400, want: []string{`"field":"file"`, "exactly one file"},
		check: all(calls("Authenticate", "ReceiveFile", "DiscardUpload"), func(t *testing.T, o *outcome) {
			wantEqual(t, "file bytes", string(o.one(t, "ReceiveFile").File), notesFile.content)
		})},
	{name: "upload: not multipart", method: "POST", path: "/v1/documents", token: "alice-token",
		body: `{"file":"notes.txt"}`, status: 400, want: []string{"multipart/form-data"}, check: calls("Authenticate")},
	{name: "upload: multipart without a boundary", method: "POST", path: "/v1/documents", token: "alice-token",
		body: "x", headers: map[string]string{"Content-Type": "multipart/form-data"}, status: 400, want: []string{"multipart/form-data"}},
	{name: "upload: a body cut short", method: "POST", path: "/v1/documents", token: "alice-token",
		body:    "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello wor",
		headers: map[string]string{"Content-Type": "multipart/form-data; boundary=XYZ"},
		status:  400, want: []string{`"code":"invalid"`, "ended early"}, check: calls("Authenticate", "ReceiveFile")},
	{name: "upload: a body past the bound", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{{name: "file", filename: "big.txt", content: strings.Repeat("a", testMaxFile+70<<10)}},
		status: 413, want: []string{`"code":"too_large"`, "4 KiB"},
		check: all(calls("Authenticate", "ReceiveFile"), header(echo.HeaderConnection, "close"))},
	{name: "upload: a file over MaxFileSize", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{{name: "file", filename: "big.txt", content: strings.Repeat("a", testMaxFile+1)}},
		status: 413, want: []string{`"code":"too_large"`}, check: calls("Authenticate", "ReceiveFile")},
	{name: "upload: an empty file", method: "POST", path: "/v1/documents", token: "alice-token",
		form: []formPart{{name: "file", filename: "empty.txt"}}, status: 400, want: []string{`"field":"file"`, "empty"}},
	{name: "upload: an unsupported type is 415", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{{name: "file", filename: "cat.png", content: "\x89PNG\r\n"}},
		fail:   map[string]error{"ReceiveFile": quizflow.Errorf(quizflow.EUNSUPPORTED, "QuizFlow reads PDF, DOCX, text and Markdown.")},
		status: 415, want: []string{`"code":"unsupported_media_type"`, "QuizFlow reads PDF"}, check: calls("Authenticate", "ReceiveFile")},
	{name: "upload: text that is not UTF-8 is 422", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{{name: "file", filename: "latin1.txt", content: "caf\xe9"}},
		fail:   map[string]error{"ReceiveFile": quizflow.Errorf(quizflow.EENCODING, "The text is not UTF-8.")},
		status: 422, want: []string{`"code":"bad_encoding"`}},
	{name: "upload: the queue refuses", method: "POST", path: "/v1/documents", token: "alice-token",
		form:   []formPart{notesFile},
		fail:   map[string]error{"SubmitUpload": quizflow.Errorf(quizflow.EUNAVAILABLE, "The queue is unavailable; try again shortly.")},
		status: 503, want: []string{`"code":"unavailable"`, "try again shortly"},
		check: calls("Authenticate", "ReceiveFile", "SubmitUpload")},
	{name: "upload: SubmitUpload fails inside", method: "POST", path: "/v1/documents", token: "alice-token",
		form: []formPart{notesFile}, fail: map[string]error{"SubmitUpload": errSecret},
		status: 500, want: internalError, check: loggedInternal},
}

var jobScenarios = []scenario{
	{name: "list jobs", method: "GET", path: "/v1/jobs", token: "alice-token", status: 200,
		want: []string{`"jobs":[`, `"id":"job_done"`, `"id":"job_running"`, `"next_cursor":""`}, notWant: []string{"job_bob"}},
	{name: "list jobs with a bad limit", method: "GET", path: "/v1/jobs?limit=-1", token: "alice-token",
		status: 400, want: []string{`"field":"limit"`}, check: calls("Authenticate")},
	{name: "list jobs with a bad cursor", method: "GET", path: "/v1/jobs?cursor=x", token: "alice-token",
		status: 400, want: []string{`"field":"cursor"`}},
	{name: "get a job", method: "GET", path: "/v1/jobs/job_done", token: "alice-token", status: 200,
		want: []string{`"id":"job_done"`, `"status":"succeeded"`, `"result":{"quiz_id":"quiz_alice"}`}, notWant: []string{"owner"}},
	{name: "get another user's job", method: "GET", path: "/v1/jobs/job_bob", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}},
	{name: "events of a finished job: one event, then the stream ends", method: "GET", path: "/v1/jobs/job_done/events", token: "alice-token",
		status: 200, want: []string{"event: job\ndata: {", `"status":"succeeded"`},
		check: all(header(echo.HeaderContentType, "text/event-stream"), header(echo.HeaderCacheControl, "no-store"),
			header("X-Accel-Buffering", "no"), func(t *testing.T, o *outcome) {
				if n := strings.Count(o.rec.Body.String(), "event: job"); n != 1 {
					t.Errorf("%d events, want 1: %s", n, o.rec.Body)
				}
			})},
	{name: "events of a running job follow it to the end", method: "GET", path: "/v1/jobs/job_running/events", token: "alice-token",
		status: 200,
		check: func(t *testing.T, o *outcome) {
			events := strings.Split(strings.TrimSpace(o.rec.Body.String()), "\n\n")
			if len(events) != 2 || !strings.Contains(events[0], `"status":"running"`) || !strings.Contains(events[1], `"status":"succeeded"`) {
				t.Errorf("events %q, want running then succeeded", events)
			}
			wantEqual(t, "watched", o.watcher.watched, []string{"job_running"})
			wantEqual(t, "watches stopped", o.watcher.stopped, 1)
		}},
	{name: "events of a running job without JobEvents poll the store", method: "GET", path: "/v1/jobs/job_running/events", token: "alice-token",
		deps: func(d *Deps) { d.JobEvents = nil }, status: 200,
		check: func(t *testing.T, o *outcome) {
			if n := strings.Count(o.rec.Body.String(), "event: job"); n != 2 {
				t.Errorf("%d events, want 2: %s", n, o.rec.Body)
			}
		}},
	{name: "events of another user's job", method: "GET", path: "/v1/jobs/job_bob/events", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}, notWant: []string{"event:"},
		check: header(echo.HeaderContentType, echo.MIMEApplicationJSON)},
	{name: "events when the store fails before the stream opens", method: "GET", path: "/v1/jobs/job_done/events", token: "alice-token",
		fail: map[string]error{"Job": errSecret}, status: 500, want: internalError, notWant: []string{"event:"}},
}

var quizScenarios = []scenario{
	{name: "list quizzes as summaries", method: "GET", path: "/v1/quizzes", token: "alice-token", status: 200,
		want: []string{`"quizzes":[{"id":"quiz_alice"`, `"question_count":2`, `"version":3`}, notWant: []string{"quiz_bob", `"questions"`}},
	{name: "list quizzes with a bad limit", method: "GET", path: "/v1/quizzes?limit=1.5", token: "alice-token",
		status: 400, want: []string{`"field":"limit"`}},
	{name: "list quizzes with a bad cursor", method: "GET", path: "/v1/quizzes?cursor=x", token: "alice-token",
		status: 400, want: []string{`"field":"cursor"`}},
	{name: "get a quiz", method: "GET", path: "/v1/quizzes/quiz_alice", token: "alice-token", status: 200,
		want: []string{`"id":"quiz_alice"`, `"questions":[{"id":"q_1"`, `"answers":["sugar"]`}},
	{name: "get another user's quiz", method: "GET", path: "/v1/quizzes/quiz_bob", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}},
	{name: "delete a quiz", method: "DELETE", path: "/v1/quizzes/quiz_alice", token: "alice-token", status: 204,
		check: func(t *testing.T, o *outcome) { wantEqual(t, "id", o.one(t, "DeleteQuiz").ID, "quiz_alice") }},
	{name: "delete another user's quiz", method: "DELETE", path: "/v1/quizzes/quiz_bob", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}},
}

var quizEditScenarios = []scenario{
	{name: "rename a quiz", method: "PATCH", path: "/v1/quizzes/quiz_alice", token: "alice-token",
		body: `{"title":"Light and sugar"}`, status: 200, want: []string{`"title":"Light and sugar"`, `"version":4`},
		check: func(t *testing.T, o *outcome) {
			u := o.one(t, "UpdateQuiz").QuizEdit
			if u.Title == nil || *u.Title != "Light and sugar" || u.QuestionOrder != nil {
				t.Errorf("UpdateQuiz got %+v", u)
			}
		}},
	{name: "an edit's ETag is the new version", method: "PATCH", path: "/v1/quizzes/quiz_alice", token: "alice-token",
		headers: map[string]string{"If-Match": `"3"`}, body: `{"title":"Light and sugar"}`, status: 200,
		check: header("ETag", `"4"`)},
	{name: "an edit with a malformed If-Match", method: "PATCH", path: "/v1/quizzes/quiz_alice/questions/q1", token: "alice-token",
		headers: map[string]string{"If-Match": "yesterday"}, body: `{"prompt":"New?"}`, status: 400,
		want: []string{`"field":"If-Match"`}, check: calls("Authenticate")},
	{name: "reorder a quiz", method: "PATCH", path: "/v1/quizzes/quiz_alice", token: "alice-token",
		body: `{"question_order":["q_2","q_1"]}`, status: 200,
		check: func(t *testing.T, o *outcome) {
			u := o.one(t, "UpdateQuiz").QuizEdit
			wantEqual(t, "order", u.QuestionOrder, []string{"q_2", "q_1"})
			if u.Title != nil {
				t.Errorf("title %q sent, want nil", *u.Title)
			}
		}},
	{name: "patch a quiz with an invalid title", method: "PATCH", path: "/v1/quizzes/quiz_alice", token: "alice-token",
		body: `{"title":" "}`, status: 400, want: []string{`"field":"title"`}},
	{name: "patch a quiz with bad JSON", method: "PATCH", path: "/v1/quizzes/quiz_alice", token: "alice-token",
		body: `title=x`, status: 400, want: []string{`"code":"invalid"`}, check: calls("Authenticate")},
	{name: "patch a quiz with a title of the wrong type", method: "PATCH", path: "/v1/quizzes/quiz_alice", token: "alice-token",
		body: `{"title":5}`, status: 400, want: []string{`"code":"invalid"`}, check: calls("Authenticate")},
	{name: "patch a quiz with a body over 1 MiB", method: "PATCH", path: "/v1/quizzes/quiz_alice", token: "alice-token",
		body: `{"title":"` + strings.Repeat("t", maxJSONBody) + `"}`, status: 413, want: []string{`"code":"too_large"`}, check: calls("Authenticate")},
	{name: "patch another user's quiz", method: "PATCH", path: "/v1/quizzes/quiz_bob", token: "alice-token",
		body: `{"title":"mine now"}`, status: 404, want: []string{`"code":"not_found"`}},
	{name: "patch a quiz when edits keep conflicting", method: "PATCH", path: "/v1/quizzes/quiz_alice", token: "alice-token",
		body: `{"title":"x"}`, fail: map[string]error{"UpdateQuiz": quizflow.Errorf(quizflow.ECONFLICT, "The quiz kept changing; try again.")},
		status: 409, want: []string{`"code":"conflict"`}},
	{name: "add a question", method: "POST", path: "/v1/quizzes/quiz_alice/questions", token: "alice-token",
		body:   `{"type":"short_answer","prompt":"What gas do plants take in?","answers":["carbon dioxide"],"source":{"page":1,"quote":"light"}}`,
		status: 201, want: []string{`"id":"q_new"`, `"prompt":"What gas do plants take in?"`},
		check: func(t *testing.T, o *outcome) {
			q := o.one(t, "AddQuestion").Question
			wantEqual(t, "question", q, quizflow.Question{Type: "short_answer", Prompt: "What gas do plants take in?",
				Answers: []string{"carbon dioxide"}, Source: quizflow.Source{Page: 1, Quote: "light"}})
		}},
	{name: "add a question the service refuses, naming the field", method: "POST", path: "/v1/quizzes/quiz_alice/questions", token: "alice-token",
		body:   `{"type":"multiple_choice","prompt":"p","options":[{"id":"a","text":"x"},{"id":"b","text":"y"},{"id":"c","text":""}]}`,
		fail:   map[string]error{"AddQuestion": quizflow.Invalid("options[2].text", "An option needs text.")},
		status: 400, want: []string{`"field":"options[2].text"`, "An option needs text."}},
	{name: "add a question to another user's quiz", method: "POST", path: "/v1/quizzes/quiz_bob/questions", token: "alice-token",
		body: `{"type":"essay","prompt":"p"}`, status: 404, want: []string{`"code":"not_found"`}},
	{name: "add a question with bad JSON", method: "POST", path: "/v1/quizzes/quiz_alice/questions", token: "alice-token",
		body: `{"type":`, status: 400, check: calls("Authenticate")},
	{name: "edit a question", method: "PATCH", path: "/v1/quizzes/quiz_alice/questions/q_2", token: "alice-token",
		body: `{"prompt":"Into what do plants turn light?","points":2}`, status: 200,
		want: []string{`"id":"q_2"`, `"prompt":"Into what do plants turn light?"`},
		check: func(t *testing.T, o *outcome) {
			c := o.one(t, "UpdateQuestion")
			wantEqual(t, "ids", []string{c.ID, c.ID2}, []string{"quiz_alice", "q_2"})
			if c.QEdit.Prompt == nil || c.QEdit.Points == nil || *c.QEdit.Points != 2 || c.QEdit.Type != nil || c.QEdit.Options != nil {
				t.Errorf("UpdateQuestion got %+v", c.QEdit)
			}
		}},
	{name: "edit an unknown question", method: "PATCH", path: "/v1/quizzes/quiz_alice/questions/q_9", token: "alice-token",
		body: `{"prompt":"x"}`, status: 404, want: []string{`"code":"not_found"`}},
	{name: "edit a question of another user's quiz", method: "PATCH", path: "/v1/quizzes/quiz_bob/questions/q_1", token: "alice-token",
		body: `{"prompt":"x"}`, status: 404},
	{name: "edit a question when edits keep conflicting", method: "PATCH", path: "/v1/quizzes/quiz_alice/questions/q_1", token: "alice-token",
		body: `{"prompt":"x"}`, fail: map[string]error{"UpdateQuestion": quizflow.Errorf(quizflow.ECONFLICT, "The quiz kept changing; try again.")},
		status: 409, want: []string{`"code":"conflict"`}},
	{name: "edit a question with bad JSON", method: "PATCH", path: "/v1/quizzes/quiz_alice/questions/q_1", token: "alice-token",
		body: `[`, status: 400, check: calls("Authenticate")},
	{name: "delete a question", method: "DELETE", path: "/v1/quizzes/quiz_alice/questions/q_1", token: "alice-token", status: 204,
		check: func(t *testing.T, o *outcome) {
			c := o.one(t, "DeleteQuestion")
			wantEqual(t, "ids", []string{c.ID, c.ID2}, []string{"quiz_alice", "q_1"})
		}},
	{name: "delete an unknown question", method: "DELETE", path: "/v1/quizzes/quiz_alice/questions/q_9", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}},
	{name: "delete the last question", method: "DELETE", path: "/v1/quizzes/quiz_alice/questions/q_1", token: "alice-token",
		fail:   map[string]error{"DeleteQuestion": quizflow.Errorf(quizflow.ECONFLICT, "A quiz keeps at least one question.")},
		status: 409, want: []string{`"code":"conflict"`, "at least one question"}},
	{name: "regenerate a question", method: "POST", path: "/v1/quizzes/quiz_alice/questions/q_1/regenerate", token: "alice-token",
		status: 202, want: []string{`"job":{"id":"job_new"`, `"kind":"regenerate"`, `"question_id":"q_1"`},
		check: func(t *testing.T, o *outcome) {
			c := o.one(t, "RegenerateQuestion")
			wantEqual(t, "ids", []string{c.ID, c.ID2}, []string{"quiz_alice", "q_1"})
		}},
	{name: "regenerate a question of another user's quiz", method: "POST", path: "/v1/quizzes/quiz_bob/questions/q_1/regenerate", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}},
	{name: "regenerate when the queue refuses", method: "POST", path: "/v1/quizzes/quiz_alice/questions/q_1/regenerate", token: "alice-token",
		fail:   map[string]error{"RegenerateQuestion": quizflow.Errorf(quizflow.EUNAVAILABLE, "The queue is unavailable; try again shortly.")},
		status: 503, want: []string{`"code":"unavailable"`, "try again shortly"}},
}

var exportScenarios = []scenario{
	{name: "create an export", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body:   `{"format":"qti21","options":{"points_per_question":2.5,"shuffle_answers":true,"include_feedback":true},"colour":"ignored"}`,
		status: 202, want: []string{`"reused":false`, `"id":"exp_new"`, `"status":"queued"`, `"job":{"id":"job_new"`, `"warnings":[]`},
		notWant: []string{"download_url"},
		check: func(t *testing.T, o *outcome) {
			c := o.one(t, "CreateExport")
			wantEqual(t, "quiz", c.ID, "quiz_alice")
			wantEqual(t, "request", c.Export, quizflow.ExportRequest{Format: "qti21",
				Options: quizflow.ExportOptions{PointsPerQuestion: 2.5, ShuffleAnswers: true, IncludeFeedback: true}})
		}},
	{name: "create an export that exists and is ready: 200", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body:   `{"format":"qti12-canvas"}`,
		status: 200, want: []string{`"reused":true`, `"id":"exp_ready"`, `"download_url":"/v1/exports/exp_ready/download"`},
		notWant: []string{"exports/usr_alice"}},
	{name: "create an export that exists and is queued: 202", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body:   `{"format":"moodle-xml"}`,
		status: 202, want: []string{`"reused":true`, `"id":"exp_queued"`}, notWant: []string{"download_url"}},
	{name: "create an export without a body", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		status: 400, want: []string{`"field":"format"`, "qti21"}, check: calls("Authenticate")},
	{name: "create an export of an unknown format", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body: `{"format":"docx"}`, status: 400, want: []string{`"field":"format"`}},
	{name: "create an export with points_per_question 0", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body: `{"format":"qti21","options":{"points_per_question":0}}`, status: 400,
		want: []string{`"field":"options.points_per_question"`}, check: calls("Authenticate")},
	{name: "create an export with negative points", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body: `{"format":"qti21","options":{"points_per_question":-1}}`, status: 400, want: []string{`"field":"options.points_per_question"`}},
	{name: "create an export with points of the wrong type", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body: `{"format":"qti21","options":{"points_per_question":"ten"}}`, status: 400,
		want: []string{`"field":"options.points_per_question"`, "wrong type"}, check: calls("Authenticate")},
	{name: "create an export with a format of the wrong type", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body: `{"format":5}`, status: 400, want: []string{`"field":"format"`}, check: calls("Authenticate")},
	{name: "create an export with bad JSON", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body: `{"format":"qti21"`, status: 400, want: []string{`"code":"invalid"`}, notWant: []string{`"field"`}, check: calls("Authenticate")},
	{name: "create an export with a body over 1 MiB", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body: bigJSON, status: 413, want: []string{`"code":"too_large"`}, check: calls("Authenticate")},
	{name: "create an export of another user's quiz", method: "POST", path: "/v1/quizzes/quiz_bob/exports", token: "alice-token",
		body: `{"format":"qti21"}`, status: 404, want: []string{`"code":"not_found"`}},
	{name: "create an export that raced", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body: `{"format":"qti21"}`, fail: map[string]error{"CreateExport": quizflow.Errorf(quizflow.ECONFLICT, "The export changed; try again.")},
		status: 409, want: []string{`"code":"conflict"`}},
	{name: "create an export when the queue refuses", method: "POST", path: "/v1/quizzes/quiz_alice/exports", token: "alice-token",
		body: `{"format":"qti21"}`, fail: map[string]error{"CreateExport": quizflow.Errorf(quizflow.EUNAVAILABLE, "The queue is unavailable.")},
		status: 503, want: []string{`"code":"unavailable"`, "The queue is unavailable."}},
	{name: "list exports", method: "GET", path: "/v1/exports", token: "alice-token", status: 200,
		want: []string{`"exports":[`, `"id":"exp_queued"`, `"download_url":"/v1/exports/exp_ready/download"`}, notWant: []string{"exp_bob", "exp_queued/download"},
		check: func(t *testing.T, o *outcome) {
			c := o.one(t, "Exports")
			wantEqual(t, "quiz filter", c.ID, "")
			wantEqual(t, "page", c.Page, quizflow.PageRequest{Limit: quizflow.DefaultPageSize})
		}},
	{name: "list exports of one quiz", method: "GET", path: "/v1/exports?quiz_id=quiz_alice&limit=10", token: "alice-token", status: 200,
		check: func(t *testing.T, o *outcome) {
			c := o.one(t, "Exports")
			wantEqual(t, "quiz filter", c.ID, "quiz_alice")
			wantEqual(t, "page", c.Page, quizflow.PageRequest{Limit: 10})
		}},
	{name: "list exports with a bad quiz_id", method: "GET", path: "/v1/exports?quiz_id=doc_alice", token: "alice-token",
		status: 400, want: []string{`"field":"quiz_id"`}},
	{name: "list exports with a bad limit", method: "GET", path: "/v1/exports?limit=1000", token: "alice-token",
		status: 400, want: []string{`"field":"limit"`}, check: calls("Authenticate")},
	{name: "get a ready export", method: "GET", path: "/v1/exports/exp_ready", token: "alice-token", status: 200,
		want: []string{`"id":"exp_ready"`, `"download_url":"/v1/exports/exp_ready/download"`, `"file_name":"plants.zip"`, `"warnings":[]`}},
	{name: "get a queued export", method: "GET", path: "/v1/exports/exp_queued", token: "alice-token", status: 200,
		want: []string{`"status":"queued"`}, notWant: []string{"download_url"}},
	{name: "get another user's export", method: "GET", path: "/v1/exports/exp_bob", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}},
	{name: "download an export", method: "GET", path: "/v1/exports/exp_ready/download", token: "alice-token", status: 302,
		check: all(header(echo.HeaderLocation, "https://blobs.example.test/exports/usr_alice/exp_ready.zip?X-Amz-Signature=sig"),
			header(echo.HeaderCacheControl, "no-store"))},
	{name: "download link as JSON for a page's script", method: "GET", path: "/v1/exports/exp_ready/download", token: "alice-token",
		headers: map[string]string{"Accept": "application/json"}, status: 200,
		want:  []string{`{"url":"https://blobs.example.test/exports/usr_alice/exp_ready.zip?X-Amz-Signature=sig"}`},
		check: all(header(echo.HeaderLocation, ""), header(echo.HeaderCacheControl, "no-store"))},
	{name: "download by a browser navigation redirects", method: "GET", path: "/v1/exports/exp_ready/download", token: "alice-token",
		headers: map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, status: 302,
		check: header(echo.HeaderLocation, "https://blobs.example.test/exports/usr_alice/exp_ready.zip?X-Amz-Signature=sig")},
	{name: "download with JSON refused (q=0) redirects", method: "GET", path: "/v1/exports/exp_ready/download", token: "alice-token",
		headers: map[string]string{"Accept": "application/json;q=0, */*"}, status: 302,
		check: header(echo.HeaderLocation, "https://blobs.example.test/exports/usr_alice/exp_ready.zip?X-Amz-Signature=sig")},
	{name: "download an export not ready yet", method: "GET", path: "/v1/exports/exp_queued/download", token: "alice-token",
		status: 409, want: []string{`"code":"conflict"`}, check: header(echo.HeaderLocation, "")},
	{name: "download another user's export", method: "GET", path: "/v1/exports/exp_bob/download", token: "alice-token",
		status: 404, want: []string{`"code":"not_found"`}, check: header(echo.HeaderLocation, "")},
	{name: "download when presigning fails", method: "GET", path: "/v1/exports/exp_ready/download", token: "alice-token",
		fail: map[string]error{"DownloadURL": errSecret}, status: 500, want: internalError, check: header(echo.HeaderLocation, "")},
	{name: "export formats need no login", method: "GET", path: "/v1/export-formats", status: 200,
		want:  []string{`"formats":[`, `"name":"qti21"`, `"name":"moodle-xml"`},
		check: all(header(echo.HeaderCacheControl, "public, max-age=300"), calls())},
}

var adminScenarios = []scenario{
	{name: "queue UI anonymous: Basic challenge", method: "GET", path: "/admin/queues", status: 401,
		want: []string{`"code":"unauthorized"`}, notWant: []string{"queue UI"},
		check: all(header(echo.HeaderWWWAuthenticate, `Basic realm="QuizFlow operators", charset="UTF-8"`), noCookie, calls())},
	{name: "queue UI with a wrong password", method: "GET", path: "/admin/queues",
		headers: map[string]string{"Authorization": basicAuth("ops@example.com", "guess")}, status: 401, notWant: []string{"queue UI"},
		check: all(header(echo.HeaderWWWAuthenticate, `Basic realm="QuizFlow operators", charset="UTF-8"`), noCookie, calls("CheckPassword"))},
	{name: "queue UI with a user's password: 403", method: "GET", path: "/admin/queues",
		headers: map[string]string{"Authorization": basicAuth("alice@example.com", "alice-password")},
		status:  403, want: []string{`"code":"forbidden"`}, notWant: []string{"queue UI"}, check: noCookie},
	{name: "queue UI with a user's bearer token: 403", method: "GET", path: "/admin/queues", token: "alice-token",
		status: 403, want: []string{`"code":"forbidden"`}, notWant: []string{"queue UI"}, check: all(noCookie, calls("Authenticate"))},
	{name: "queue UI with a bad bearer token", method: "GET", path: "/admin/queues", token: "forged",
		status: 401, want: []string{`"code":"unauthorized"`}, notWant: []string{"queue UI"},
		check: func(t *testing.T, o *outcome) {
			if o.rec.Header().Get(echo.HeaderWWWAuthenticate) == "" {
				t.Error("401 without WWW-Authenticate")
			}
		},
	},
	{name: "queue UI with the operator's bearer token", method: "GET", path: "/admin/queues", token: "admin-token",
		status: 200, want: []string{"queue UI</h1> GET /admin/queues"},
		check: func(t *testing.T, o *outcome) { sessionCookie(t, o) }},
	{name: "queue UI with the operator's password sets a cookie that works alone", method: "GET", path: "/admin/queues",
		headers: map[string]string{"Authorization": basicAuth("ops@example.com", "ops-password")},
		status:  200, want: []string{"queue UI"},
		check: all(calls("CheckPassword"), func(t *testing.T, o *outcome) {
			ck := sessionCookie(t, o)
			req := httptest.NewRequest("POST", "/admin/queues/api/queues/default:pause", nil)
			req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
			req.Header.Set("Sec-Fetch-Site", "same-origin") // the UI's own request
			before := len(o.fake.methods())
			rec := o.do(req)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "POST /admin/queues/api/queues/default:pause") {
				t.Errorf("with the cookie alone: %d %s", rec.Code, rec.Body)
			}
			// The cookie names the user; whether they are still an
			// operator is read each time.
			if got := o.fake.methods()[before:]; !slices.Equal(got, []string{"User"}) {
				t.Errorf("calls with the cookie = %v, want [User]", got)
			}
		})},
	{name: "queue UI assets with the operator's cookie", method: "GET", path: "/admin/queues/static/js/main.js",
		headers: map[string]string{"Cookie": signedCookie("usr_ops", in(time.Hour), testAdminSecret)},
		status:  200, want: []string{"GET /admin/queues/static/js/main.js"}, check: calls("User")},
	{name: "queue UI with a forged cookie", method: "GET", path: "/admin/queues",
		headers: map[string]string{"Cookie": signedCookie("usr_ops", in(time.Hour), []byte("another-secret"))},
		status:  401, notWant: []string{"queue UI"}, check: all(header(echo.HeaderWWWAuthenticate, `Basic realm="QuizFlow operators", charset="UTF-8"`), calls())},
	{name: "queue UI with an expired cookie", method: "GET", path: "/admin/queues",
		headers: map[string]string{"Cookie": signedCookie("usr_ops", in(-time.Minute), testAdminSecret)},
		status:  401, notWant: []string{"queue UI"}, check: calls()},
	{name: "queue UI with the cookie of someone no longer an operator", method: "GET", path: "/admin/queues",
		headers: map[string]string{"Cookie": signedCookie("usr_alice", in(time.Hour), testAdminSecret)},
		status:  401, notWant: []string{"queue UI"}, check: calls("User")},
	{name: "queue UI when CheckPassword fails inside", method: "GET", path: "/admin/queues",
		headers: map[string]string{"Authorization": basicAuth("ops@example.com", "ops-password")},
		fail:    map[string]error{"CheckPassword": errSecret}, status: 500, want: internalError, notWant: []string{"queue UI"}, check: loggedInternal},
	{name: "queue UI not mounted without AdminUI", method: "GET", path: "/admin/queues", token: "admin-token",
		deps: func(d *Deps) { d.AdminUI = nil }, status: 404, want: []string{`"code":"not_found"`}, check: calls()},
}

// backupScenarios: the operators' backup routes answer operators signed
// in with a session, and refuse users, API keys and anyone signed out.
var backupScenarios = []scenario{
	{name: "start a backup as the operator", method: "POST", path: "/v1/admin/backups", token: "admin-token",
		status: 202, want: []string{`"backup":{"id":"20260301T120000Z"`, `"task_id":"backup:manual:2026-03-01T12:00:00Z"`, `"status":"queued"`},
		check: func(t *testing.T, o *outcome) { wantEqual(t, "user", o.one(t, "StartBackup").UserID, "usr_ops") }},
	{name: "start a backup as a user: 403", method: "POST", path: "/v1/admin/backups", token: "alice-token",
		status: 403, want: []string{`"code":"forbidden"`, "operators"}, check: calls("Authenticate")},
	{name: "start a backup with an API key: 403", method: "POST", path: "/v1/admin/backups", token: "alice-write-key",
		status: 403, want: []string{`"code":"forbidden"`, "API keys"}, check: calls("Authenticate")},
	{name: "start a backup when the queue refuses", method: "POST", path: "/v1/admin/backups", token: "admin-token",
		fail:   map[string]error{"StartBackup": quizflow.Errorf(quizflow.EUNAVAILABLE, "The queue did not take the backup; try again.")},
		status: 503, want: []string{`"code":"unavailable"`}},
	{name: "start a backup without backups configured", method: "POST", path: "/v1/admin/backups", token: "admin-token",
		deps: func(d *Deps) { d.Backups = nil }, status: 503, want: []string{`"code":"unavailable"`, "not configured"}, check: calls("Authenticate")},
	{name: "list backups as the operator", method: "GET", path: "/v1/admin/backups", token: "admin-token",
		status: 200, want: []string{`"backups":[{"id":"20260301T030000Z"`, `"status":"succeeded"`, `"sha256":"ab12"`,
			`"collections":[{"name":"users","documents":3`, `"verification":{"ok":true`},
		check: calls("Authenticate", "Backups")},
	{name: "list backups as a user: 403", method: "GET", path: "/v1/admin/backups", token: "bob-token",
		status: 403, want: []string{`"code":"forbidden"`}, notWant: []string{"20260301T030000Z"}, check: calls("Authenticate")},
	{name: "list backups with a read API key: 403", method: "GET", path: "/v1/admin/backups", token: "alice-read-key",
		status: 403, want: []string{`"code":"forbidden"`}, check: calls("Authenticate")},
	{name: "list backups when the store fails: 500, no detail", method: "GET", path: "/v1/admin/backups", token: "admin-token",
		fail: map[string]error{"Backups": errSecret}, status: 500, want: internalError, check: loggedInternal},
}

// sessionCookie returns the qf_admin cookie the response set, checking its
// attributes.
func sessionCookie(t *testing.T, o *outcome) *http.Cookie {
	t.Helper()
	for _, c := range o.rec.Result().Cookies() {
		if c.Name == adminCookie {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/admin" || c.MaxAge != int(adminCookieTTL.Seconds()) || c.Secure {
				t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/admin, Max-Age 8h, not Secure over http", c)
			}
			return c
		}
	}
	t.Fatalf("no %s cookie set; Set-Cookie: %v", adminCookie, o.rec.Header().Values("Set-Cookie"))
	return nil
}

var requestIDScenarios = []scenario{
	{name: "a plain caller request ID is kept and reaches the service", method: "GET", path: "/v1/documents/doc_alice", token: "alice-token",
		headers: map[string]string{"X-Request-ID": "client-req_42.a"}, status: 200,
		check: all(header(echo.HeaderXRequestID, "client-req_42.a"), func(t *testing.T, o *outcome) {
			wantEqual(t, "Document's request ID", o.one(t, "Document").RequestID, "client-req_42.a")
			wantEqual(t, "Authenticate's request ID", o.one(t, "Authenticate").RequestID, "client-req_42.a")
		})},
	{name: "a hostile request ID is replaced", method: "GET", path: "/v1/documents/doc_bob", token: "alice-token",
		headers: map[string]string{"X-Request-ID": `<script>alert(1)</script>"; rm -rf`}, status: 404,
		notWant: []string{"script", "rm -rf"},
		check:   replacedRequestID},
	{name: "a request ID over 64 characters is replaced", method: "GET", path: "/v1/documents/doc_alice", token: "alice-token",
		headers: map[string]string{"X-Request-ID": strings.Repeat("a", 65)}, status: 200, check: replacedRequestID},
	{name: "a request ID of 64 characters is kept", method: "GET", path: "/v1/documents/doc_alice", token: "alice-token",
		headers: map[string]string{"X-Request-ID": strings.Repeat("a", 64)}, status: 200, check: header(echo.HeaderXRequestID, strings.Repeat("a", 64))},
	{name: "without a request ID one is made and reaches the service", method: "POST", path: "/v1/documents/doc_alice/quizzes", token: "alice-token",
		status: 202, check: replacedRequestID},
}

// replacedRequestID checks that the server made the request's ID and that
// the services saw it.
func replacedRequestID(t *testing.T, o *outcome) {
	t.Helper()
	id := o.rec.Header().Get(echo.HeaderXRequestID)
	if !quizflow.ValidID("req", id) {
		t.Errorf("X-Request-ID %q, want a new req_ ID", id)
	}
	for _, c := range o.fake.allCalls() {
		if c.Method != "CheckOptions" && c.RequestID != id {
			t.Errorf("%s saw request ID %q, want %q", c.Method, c.RequestID, id)
		}
	}
}

var errorScenarios = []scenario{
	{name: "unknown path is 404, not 401", method: "GET", path: "/v1/nothing-here", status: 404,
		want: []string{`"code":"not_found"`}, check: calls()},
	{name: "wrong method is 405", method: "PUT", path: "/v1/me", token: "alice-token", status: 405,
		want: []string{`"code":"method_not_allowed"`}},
	{name: "a service error's message passes through", method: "GET", path: "/v1/quizzes/quiz_alice", token: "alice-token",
		fail:   map[string]error{"Quiz": quizflow.Errorf(quizflow.EFORBIDDEN, "Your plan does not include this.")},
		status: 403, want: []string{`"code":"forbidden"`, "Your plan does not include this."}},
	{name: "a rate-limited service is 429", method: "GET", path: "/v1/quizzes/quiz_alice", token: "alice-token",
		fail: map[string]error{"Quiz": quizflow.Errorf(quizflow.ERATELIMIT, "Slow down.")}, status: 429, want: []string{`"code":"rate_limited"`}},
	{name: "a document-processing code is 422", method: "POST", path: "/v1/documents/doc_alice/quizzes", token: "alice-token",
		fail: map[string]error{"CreateQuiz": quizflow.Errorf(quizflow.ENOTEXT, "No text could be read.")}, status: 422,
		want: []string{`"code":"no_text"`, "No text could be read."}},
	{name: "a plain error is 500 and hides its detail", method: "GET", path: "/v1/quizzes", token: "alice-token",
		fail: map[string]error{"Quizzes": errSecret}, status: 500, want: internalError, check: loggedInternal},
	{name: "an EINTERNAL *Error hides its message too", method: "GET", path: "/v1/jobs", token: "alice-token",
		fail:   map[string]error{"Jobs": quizflow.Errorf(quizflow.EINTERNAL, "secret-internal-detail")},
		status: 500, want: internalError, check: loggedInternal},
	{name: "an EUNAVAILABLE *Error keeps its message", method: "GET", path: "/v1/documents", token: "alice-token",
		fail:   map[string]error{"Documents": quizflow.Errorf(quizflow.EUNAVAILABLE, "Storage is busy; try again shortly.")},
		status: 503, want: []string{`"code":"unavailable"`, "Storage is busy"}},
	{name: "a panic is 500, hidden, and the server lives on", method: "GET", path: "/v1/exports/exp_ready", token: "alice-token",
		fail: map[string]error{"Export": panicError("secret-internal-detail")}, status: 500, want: internalError,
		check: func(t *testing.T, o *outcome) {
			delete(o.fake.fail, "Export")
			req := httptest.NewRequest("GET", "/v1/exports/exp_ready", nil)
			req.Header.Set("Authorization", "Bearer alice-token")
			if rec := o.do(req); rec.Code != 200 {
				t.Errorf("after a panic: %d %s", rec.Code, rec.Body)
			}
		}},
	{name: "an error answer to HEAD has no body", method: "HEAD", path: "/v1/me", status: 405,
		check: func(t *testing.T, o *outcome) {
			if o.rec.Body.Len() != 0 {
				t.Errorf("HEAD error with a body: %s", o.rec.Body)
			}
		}},
}

// panicError, as a fake's failure, makes the method panic with its text.
type panicError string

func (p panicError) Error() string { return string(p) }

// authedRoutes are the routes behind requireUser, each with a path that
// would succeed for alice.
var authedRoutes = []struct{ method, path string }{
	{"GET", "/v1/me"},
	{"PATCH", "/v1/me"},
	{"POST", "/v1/auth/verify/resend"},
	{"GET", "/v1/me/notifications"},
	{"PATCH", "/v1/me/notifications"},
	{"PATCH", "/v1/me/password"},
	{"POST", "/v1/auth/logout-all"},
	{"POST", "/v1/api-keys"},
	{"GET", "/v1/api-keys"},
	{"DELETE", "/v1/api-keys/key_read"},
	{"POST", "/v1/documents"},
	{"GET", "/v1/documents"},
	{"GET", "/v1/documents/doc_alice"},
	{"DELETE", "/v1/documents/doc_alice"},
	{"GET", "/v1/documents/doc_alice/text"},
	{"POST", "/v1/documents/doc_alice/quizzes"},
	{"GET", "/v1/jobs"},
	{"GET", "/v1/jobs/job_done"},
	{"GET", "/v1/jobs/job_done/events"},
	{"GET", "/v1/quizzes"},
	{"GET", "/v1/quizzes/quiz_alice"},
	{"PATCH", "/v1/quizzes/quiz_alice"},
	{"DELETE", "/v1/quizzes/quiz_alice"},
	{"POST", "/v1/quizzes/quiz_alice/questions"},
	{"PATCH", "/v1/quizzes/quiz_alice/questions/q_1"},
	{"DELETE", "/v1/quizzes/quiz_alice/questions/q_1"},
	{"POST", "/v1/quizzes/quiz_alice/questions/q_1/regenerate"},
	{"POST", "/v1/quizzes/quiz_alice/exports"},
	{"GET", "/v1/exports"},
	{"GET", "/v1/exports/exp_ready"},
	{"GET", "/v1/exports/exp_ready/download"},
	{"GET", "/v1/billing"},
	{"POST", "/v1/billing/checkout"},
	{"POST", "/v1/billing/portal"},
	{"POST", "/v1/admin/backups"},
	{"GET", "/v1/admin/backups"},
}

// unauthenticatedScenarios asks every route behind requireUser without a
// token, with a bad, an expired and a revoked one: 401 with a Bearer
// challenge and no service call but Authenticate; with an API key of read
// scope on a write route: 403 naming the scope; and with another user's
// token on a route naming alice's records: 404, never her data.
func unauthenticatedScenarios() []scenario {
	var out []scenario
	for _, r := range authedRoutes {
		for _, bad := range []struct{ name, token string }{
			{"a bad token", "forged-token"}, {"an expired token", "expired-token"}, {"a revoked session", "revoked-token"},
		} {
			out = append(out, scenario{name: r.method + " " + r.path + " with " + bad.name, method: r.method, path: r.path, token: bad.token,
				status: 401, want: []string{`"code":"unauthorized"`},
				check: all(header(echo.HeaderWWWAuthenticate, `Bearer realm="quizflow", error="invalid_token"`), calls("Authenticate"))})
		}
		out = append(out, scenario{name: r.method + " " + r.path + " without a token", method: r.method, path: r.path,
			status: 401, want: []string{`"code":"unauthorized"`, "Authorization: Bearer"},
			check: all(header(echo.HeaderWWWAuthenticate, `Bearer realm="quizflow"`), calls())})
		if r.method != http.MethodGet && r.method != http.MethodHead {
			out = append(out, scenario{name: r.method + " " + r.path + " with a read-only API key", method: r.method, path: r.path, token: "alice-read-key",
				status: 403, want: []string{`"code":"forbidden"`, `\"write\" scope`},
				check: all(header(echo.HeaderWWWAuthenticate, `Bearer realm="quizflow", error="insufficient_scope", scope="write"`), calls("Authenticate"))})
		}
		if strings.Contains(r.path, "alice") || strings.Contains(r.path, "job_done") || strings.Contains(r.path, "exp_ready") || strings.Contains(r.path, "key_read") {
			body := ""
			if strings.HasSuffix(r.path, "/exports") {
				body = `{"format":"gift"}`
			}
			out = append(out, scenario{name: r.method + " " + r.path + " with another user's token", method: r.method, path: r.path, token: "bob-token",
				body: body, status: 404, want: []string{`"code":"not_found"`}, notWant: []string{"usr_alice", "Plants"}})
		}
	}
	return out
}

// apiKeyScenarios: managing keys needs a login; a key acts as its owner
// within its scopes.
var apiKeyScenarios = []scenario{
	{name: "create a key", method: "POST", path: "/v1/api-keys", token: "alice-token",
		body: `{"name":"grader","scopes":["read"]}`, status: 201, want: []string{`"key":"qf_abcdefsecret"`, `"id":"key_new"`}, notWant: []string{"secret-hash"}},
	{name: "create a key without scopes", method: "POST", path: "/v1/api-keys", token: "alice-token",
		body: `{"name":"grader"}`, status: 400, want: []string{`"field":"scopes"`}},
	{name: "create a key with a key", method: "POST", path: "/v1/api-keys", token: "alice-write-key",
		body: `{"name":"grader","scopes":["read"]}`, status: 403, want: []string{`"code":"forbidden"`}},
	{name: "list keys shows no secret", method: "GET", path: "/v1/api-keys", token: "alice-token",
		status: 200, want: []string{`"api_keys":[`, `"prefix":"qf_readxx"`}, notWant: []string{"secret-hash", `"key":`}},
	{name: "list keys when none", method: "GET", path: "/v1/api-keys", token: "bob-token", status: 200, want: []string{`"api_keys":[]`}},
	{name: "delete a key", method: "DELETE", path: "/v1/api-keys/key_read", token: "alice-token", status: 204, check: calls("Authenticate", "DeleteAPIKey")},
	{name: "a read key reads", method: "GET", path: "/v1/quizzes/quiz_alice", token: "alice-read-key", status: 200, want: []string{`"id":"quiz_alice"`}},
	{name: "a write key writes", method: "DELETE", path: "/v1/quizzes/quiz_alice", token: "alice-write-key", status: 204},
	{name: "log out everywhere", method: "POST", path: "/v1/auth/logout-all", token: "alice-token", status: 204, check: calls("Authenticate", "LogoutAll")},
	{name: "change the password", method: "PATCH", path: "/v1/me/password", token: "alice-token",
		body: `{"current_password":"alice-password","new_password":"a much longer passphrase"}`, status: 200,
		want: []string{`"access_token"`}, check: header(echo.HeaderCacheControl, "no-store")},
	{name: "change the password with a wrong current one", method: "PATCH", path: "/v1/me/password", token: "alice-token",
		body: `{"current_password":"guess","new_password":"a much longer passphrase"}`, status: 401, want: []string{`"field":"current_password"`}},
	{name: "change the password to a short one", method: "PATCH", path: "/v1/me/password", token: "alice-token",
		body: `{"current_password":"alice-password","new_password":"short"}`, status: 400, want: []string{`"field":"password"`}},
}

func allScenarios() map[string][]scenario {
	return map[string][]scenario{
		"health": healthScenarios, "metrics": metricsScenarios, "accounts": accountScenarios,
		"documents": documentScenarios, "upload": uploadScenarios, "jobs": jobScenarios,
		"quizzes": quizScenarios, "quizedit": quizEditScenarios, "exports": exportScenarios,
		"admin": adminScenarios, "requestid": requestIDScenarios, "errors": errorScenarios,
		"unauthenticated": unauthenticatedScenarios(), "apikeys": apiKeyScenarios, "mail": mailScenarios,
		"billing": billingScenarios,
		"backups": backupScenarios,
		"sharing": shareScenarios, "cookies": cookieScenarios,
	}
}

func TestScenarios(t *testing.T) {
	tables := allScenarios()
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		t.Run(name, func(t *testing.T) { runScenarios(t, tables[name]) })
	}
}

// TestScenariosCoverEveryRoute fails when a route the server registers has
// no scenario row, or only rows that fail: a new route needs a row that
// reaches its handler.
func TestScenariosCoverEveryRoute(t *testing.T) {
	srv := newScenarioServer(newFakeServices(testMaxFile), io.Discard, &fakeWatcher{}, nil)
	served := servedRoutes(srv)
	rows, successes := map[string]int{}, map[string]int{}
	for _, table := range allScenarios() {
		for _, s := range table {
			key := routeOf(srv, served, s.method, s.path)
			rows[key]++
			if s.status < 400 {
				successes[key]++
			}
		}
	}
	for _, r := range slices.Sorted(maps.Keys(served)) {
		switch {
		case rows[r] == 0:
			t.Errorf("route %s has no scenario row", r)
		case successes[r] == 0:
			t.Errorf("route %s has %d scenario rows, none answering below 400", r, rows[r])
		}
	}
	if len(served) < 35 {
		t.Errorf("only %d routes registered; is the server fully built? %v", len(served), slices.Sorted(maps.Keys(served)))
	}
}

// servedRoutes returns "METHOD /template" of every route the server
// registers, with "ANY /template" for a path registered for every method
// (the queue UI).
func servedRoutes(s *Server) map[string]bool {
	methods := map[string][]string{}
	for _, r := range s.echo.Routes() {
		if r.Method != echo.RouteNotFound {
			methods[r.Path] = append(methods[r.Path], r.Method)
		}
	}
	out := map[string]bool{}
	for p, ms := range methods {
		if slices.Contains(ms, http.MethodTrace) && slices.Contains(ms, http.MethodConnect) && len(ms) >= 9 {
			out["ANY "+p] = true
			continue
		}
		for _, m := range ms {
			out[m+" "+p] = true
		}
	}
	return out
}

// routeOf returns the served route Echo's router matches a request to, or
// "" when it matches none.
func routeOf(s *Server, served map[string]bool, method, target string) string {
	req := httptest.NewRequest(method, target, nil)
	c := s.echo.NewContext(req, nil)
	s.echo.Router().Find(method, echo.GetPath(req), c)
	for _, key := range []string{method + " " + c.Path(), "ANY " + c.Path()} {
		if served[key] {
			return key
		}
	}
	return ""
}
