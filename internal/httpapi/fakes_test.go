package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quizflow/quizflow/internal/export"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// fakeServices is an in-memory stand-in for the five services of Deps,
// with a fixed world: alice owns a few documents, jobs, quizzes and
// exports; bob owns one of each (which alice must never see); the
// operator is an admin. Every method records its call (with the request ID
// found in its context) and answers ENOTFOUND for an ID it does not hold
// for the acting user. fail makes a method return an error instead:
// fail["Method"] for a service method, fail["ready:<name>"] for a
// readiness check.
type fakeServices struct {
	mu    sync.Mutex
	calls []call
	fail  map[string]error
	// maxFile is the upload limit ReceiveFile enforces, as the real
	// service does with Config.MaxFileSize.
	maxFile int64

	tokens    map[string]*quizflow.Principal // bearer credential -> who it acts for
	passwords map[string]string              // email -> password
	docs      map[string]*quizflow.Document
	texts     map[string]*quizflow.DocumentText
	jobs      map[string]*quizflow.Job
	// jobScript lists the states Job returns on successive reads of a
	// job (the last one repeats), to drive event streams.
	jobScript map[string][]quizflow.Job
	quizzes   map[string]*quizflow.Quiz
	exports   map[string]*quizflow.Export
}

// call is one recorded service call; only the fields that method takes
// are set.
type call struct {
	Method    string
	RequestID string // quizflow.RequestID of the call's context
	UserID    string
	ID, ID2   string // resource IDs, in path order
	Email     string
	Password  string
	Name      string
	Token     string
	Page      quizflow.PageRequest
	Opts      quizflow.GenerateOptions // as the handler passed them, before defaults
	Filename  string
	File      []byte
	Export    quizflow.ExportRequest
	QuizEdit  quizflow.QuizUpdate
	QEdit     quizflow.QuestionUpdate
	Question  quizflow.Question
}

var (
	fixedTime = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	alice     = &quizflow.User{ID: "usr_alice", Email: "alice@example.com", Name: "Alice", Plan: quizflow.PlanFree, CreatedAt: fixedTime, UpdatedAt: fixedTime}
	bob       = &quizflow.User{ID: "usr_bob", Email: "bob@example.com", Name: "Bob", Plan: quizflow.PlanPro, CreatedAt: fixedTime, UpdatedAt: fixedTime}
	operator  = &quizflow.User{ID: "usr_ops", Email: "ops@example.com", Name: "Ops", Plan: quizflow.PlanPro, Admin: true, CreatedAt: fixedTime, UpdatedAt: fixedTime}
)

func newFakeServices(maxFile int64) *fakeServices {
	f := &fakeServices{
		fail:    map[string]error{},
		maxFile: maxFile,
		tokens: map[string]*quizflow.Principal{
			"alice-token": {User: alice, FamilyID: "fam_alice"}, "bob-token": {User: bob, FamilyID: "fam_bob"},
			"admin-token":     {User: operator, FamilyID: "fam_ops"},
			"alice-read-key":  {User: alice, APIKeyID: "key_read", Scopes: []string{quizflow.ScopeRead}},
			"alice-write-key": {User: alice, APIKeyID: "key_write", Scopes: []string{quizflow.ScopeRead, quizflow.ScopeWrite}},
		},
		passwords: map[string]string{alice.Email: "alice-password", operator.Email: "ops-password"},
		texts:     map[string]*quizflow.DocumentText{"doc_alice": {Pages: []quizflow.Page{{Number: 1, Text: "Photosynthesis turns light into sugar."}}}},
		jobScript: map[string][]quizflow.Job{},
	}
	doc := func(id string, owner *quizflow.User, status string) *quizflow.Document {
		return &quizflow.Document{ID: id, OwnerID: owner.ID, Filename: id + ".pdf", Kind: quizflow.KindPDF,
			ContentType: "application/pdf", Size: 1234, SHA256: "ab12", Status: status, PageCount: 1, WordCount: 5,
			BlobKey: "blob/secret/" + id, CreatedAt: fixedTime, UpdatedAt: fixedTime}
	}
	f.docs = map[string]*quizflow.Document{
		"doc_alice":   doc("doc_alice", alice, quizflow.DocumentExtracted),
		"doc_reading": doc("doc_reading", alice, quizflow.DocumentExtracting),
		"doc_bob":     doc("doc_bob", bob, quizflow.DocumentExtracted),
	}
	job := func(id string, owner *quizflow.User, status, stage string, progress int) *quizflow.Job {
		return &quizflow.Job{ID: id, OwnerID: owner.ID, Kind: quizflow.JobQuiz, Status: status, Stage: stage,
			Progress: progress, DocumentID: "doc_alice", Attempts: 1, CreatedAt: fixedTime, UpdatedAt: fixedTime}
	}
	f.jobs = map[string]*quizflow.Job{
		"job_done":    job("job_done", alice, quizflow.StatusSucceeded, quizflow.StageDone, 100),
		"job_running": job("job_running", alice, quizflow.StatusRunning, quizflow.StageGenerating, 40),
		"job_bob":     job("job_bob", bob, quizflow.StatusSucceeded, quizflow.StageDone, 100),
	}
	f.jobs["job_done"].Result = quizflow.JobResult{QuizID: "quiz_alice"}
	finished := *f.jobs["job_running"]
	finished.Status, finished.Stage, finished.Progress = quizflow.StatusSucceeded, quizflow.StageDone, 100
	f.jobScript["job_running"] = []quizflow.Job{*f.jobs["job_running"], finished}

	quiz := func(id string, owner *quizflow.User) *quizflow.Quiz {
		return &quizflow.Quiz{ID: id, OwnerID: owner.ID, DocumentID: "doc_alice", JobID: "job_done", Title: "Plants",
			Language: "en", Version: 3, CreatedAt: fixedTime, UpdatedAt: fixedTime, Questions: []quizflow.Question{
				{ID: "q_1", Type: quizflow.TrueFalse, Prompt: "Plants make sugar.", Options: []quizflow.Option{{ID: "a", Text: "True", Correct: true}, {ID: "b", Text: "False"}}, Answers: []string{}},
				{ID: "q_2", Type: quizflow.ShortAnswer, Prompt: "What do plants turn light into?", Options: []quizflow.Option{}, Answers: []string{"sugar"}},
			}}
	}
	f.quizzes = map[string]*quizflow.Quiz{"quiz_alice": quiz("quiz_alice", alice), "quiz_bob": quiz("quiz_bob", bob)}

	exp := func(id string, owner *quizflow.User, format, status, blob string) *quizflow.Export {
		return &quizflow.Export{ID: id, OwnerID: owner.ID, QuizID: "quiz_alice", QuizVersion: 3, Format: format,
			Options: quizflow.ExportOptions{PointsPerQuestion: 1}, Status: status, JobID: "job_" + id, BlobKey: blob,
			CreatedAt: fixedTime, UpdatedAt: fixedTime}
	}
	f.exports = map[string]*quizflow.Export{
		// An identical request for qti12-canvas reuses exp_ready, one for
		// moodle-xml reuses exp_queued; see CreateExport.
		"exp_ready":  exp("exp_ready", alice, "qti12-canvas", quizflow.StatusSucceeded, "exports/usr_alice/exp_ready.zip"),
		"exp_queued": exp("exp_queued", alice, "moodle-xml", quizflow.StatusQueued, ""),
		"exp_bob":    exp("exp_bob", bob, "qti21", quizflow.StatusSucceeded, "exports/usr_bob/exp_bob.zip"),
	}
	f.exports["exp_ready"].FileName, f.exports["exp_ready"].ContentType, f.exports["exp_ready"].Size = "plants.zip", "application/zip", 999
	return f
}

// record stores c, stamped with the request ID of ctx (if any), and
// returns the error the fake was told to fail c.Method with.
func (f *fakeServices) record(ctx context.Context, u *quizflow.User, c call) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ctx != nil {
		c.RequestID = quizflow.RequestID(ctx)
	}
	if u != nil {
		c.UserID = u.ID
	}
	f.calls = append(f.calls, c)
	if p, ok := f.fail[c.Method].(panicError); ok {
		panic(string(p))
	}
	return f.fail[c.Method]
}

// allCalls returns the recorded calls, in order.
func (f *fakeServices) allCalls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// called returns the recorded calls of method.
func (f *fakeServices) called(method string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// methods returns the names of the recorded calls, in order.
func (f *fakeServices) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.Method)
	}
	return out
}

// ready returns the readiness check name, failing as told.
func (f *fakeServices) ready(name string) func(context.Context) error {
	return func(context.Context) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.fail["ready:"+name]
	}
}

func notFound(what string) error { return quizflow.Errorf(quizflow.ENOTFOUND, "%s not found.", what) }

func session(u *quizflow.User) *quizflow.Session {
	return &quizflow.Session{User: u, AccessToken: "new-access-token", RefreshToken: "new-refresh-token", TokenType: "Bearer", ExpiresIn: 900}
}

// page returns items that pass keep, up to p.Limit, with a cursor for the
// rest. The only cursor the fake understands is "page2", which answers the
// (empty) second page; any other is EINVALID, as a tampered cursor is.
func page[T any](items []T, p quizflow.PageRequest) ([]T, string, error) {
	switch p.Cursor {
	case "":
	case "page2":
		return []T{}, "", nil
	default:
		return nil, "", quizflow.Invalid("cursor", "The cursor is not valid; start again without it.")
	}
	if len(items) > p.Limit {
		return items[:p.Limit], "page2", nil
	}
	if items == nil {
		items = []T{}
	}
	return items, "", nil
}

// sortedValues returns the values of m owned by u, by ID.
func sortedValues[T any](m map[string]*T, owner func(*T) string, u *quizflow.User) []T {
	var keys []string
	for k, v := range m {
		if owner(v) == u.ID {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []T
	for _, k := range keys {
		out = append(out, *m[k])
	}
	return out
}

// AccountService.

func (f *fakeServices) Register(ctx context.Context, email, password, name string) (*quizflow.Session, error) {
	if err := f.record(ctx, nil, call{Method: "Register", Email: email, Password: password, Name: name}); err != nil {
		return nil, err
	}
	switch {
	case !strings.Contains(email, "@"):
		return nil, quizflow.Invalid("email", "Enter a valid email address.")
	case len(password) < 8:
		return nil, quizflow.Invalid("password", "The password needs at least 8 characters.")
	case f.passwords[email] != "":
		return nil, quizflow.Errorf(quizflow.ECONFLICT, "An account with this email already exists.")
	}
	return session(&quizflow.User{ID: "usr_new", Email: email, Name: name, Plan: quizflow.PlanFree, CreatedAt: fixedTime, UpdatedAt: fixedTime}), nil
}

func (f *fakeServices) Login(ctx context.Context, email, password string) (*quizflow.Session, error) {
	if err := f.record(ctx, nil, call{Method: "Login", Email: email, Password: password}); err != nil {
		return nil, err
	}
	if email != alice.Email || password != f.passwords[email] {
		return nil, quizflow.Errorf(quizflow.EUNAUTHORIZED, "The email or password is wrong.")
	}
	return session(alice), nil
}

func (f *fakeServices) Refresh(ctx context.Context, refreshToken string) (*quizflow.Session, error) {
	if err := f.record(ctx, nil, call{Method: "Refresh", Token: refreshToken}); err != nil {
		return nil, err
	}
	switch refreshToken {
	case "alice-refresh":
		return session(alice), nil
	case "used-refresh":
		return nil, quizflow.ErrTokenReused
	}
	return nil, quizflow.Errorf(quizflow.EUNAUTHORIZED, "The refresh token is invalid or expired.")
}

func (f *fakeServices) Logout(ctx context.Context, refreshToken string) error {
	if err := f.record(ctx, nil, call{Method: "Logout", Token: refreshToken}); err != nil {
		return err
	}
	if refreshToken != "alice-refresh" {
		return quizflow.Errorf(quizflow.EUNAUTHORIZED, "The refresh token is invalid or expired.")
	}
	return nil
}

func (f *fakeServices) Authenticate(ctx context.Context, accessToken string) (*quizflow.Principal, error) {
	if err := f.record(ctx, nil, call{Method: "Authenticate", Token: accessToken}); err != nil {
		return nil, err
	}
	if p, ok := f.tokens[accessToken]; ok {
		u := *p.User
		c := *p
		c.User = &u
		return &c, nil
	}
	switch accessToken {
	case "expired-token":
		return nil, quizflow.Errorf(quizflow.EUNAUTHORIZED, "The token is invalid or expired.")
	case "revoked-token":
		return nil, quizflow.Errorf(quizflow.EUNAUTHORIZED, "This session has ended; sign in again.")
	}
	return nil, quizflow.Errorf(quizflow.EUNAUTHORIZED, "The access token is invalid or expired; log in again.")
}

func (f *fakeServices) LogoutAll(ctx context.Context, p *quizflow.Principal) error {
	return f.record(ctx, p.User, call{Method: "LogoutAll", Token: p.FamilyID})
}

func (f *fakeServices) ChangePassword(ctx context.Context, p *quizflow.Principal, current, next string) (*quizflow.Session, error) {
	if err := f.record(ctx, p.User, call{Method: "ChangePassword", Password: current, Name: next}); err != nil {
		return nil, err
	}
	switch {
	case p.APIKeyID != "":
		return nil, quizflow.Errorf(quizflow.EFORBIDDEN, "API keys cannot manage passwords or keys.")
	case current != f.passwords[p.User.Email]:
		return nil, &quizflow.Error{Code: quizflow.EUNAUTHORIZED, Field: "current_password", Message: "The current password is wrong."}
	case len(next) < 12:
		return nil, quizflow.Invalid("password", "The password must be at least 12 characters.")
	}
	return session(p.User), nil
}

func (f *fakeServices) CreateAPIKey(ctx context.Context, p *quizflow.Principal, r quizflow.APIKeyRequest) (*quizflow.NewAPIKey, error) {
	if err := f.record(ctx, p.User, call{Method: "CreateAPIKey", Name: r.Name}); err != nil {
		return nil, err
	}
	if p.APIKeyID != "" {
		return nil, quizflow.Errorf(quizflow.EFORBIDDEN, "API keys cannot manage passwords or keys.")
	}
	if r.Name == "" || len(r.Scopes) == 0 {
		return nil, quizflow.Invalid("scopes", "List the key's scopes.")
	}
	return &quizflow.NewAPIKey{APIKey: quizflow.APIKey{ID: "key_new", Name: r.Name, Scopes: r.Scopes, Prefix: "qf_abcdef", Hash: "secret-hash", CreatedAt: fixedTime},
		Key: "qf_abcdefsecret"}, nil
}

func (f *fakeServices) APIKeys(ctx context.Context, p *quizflow.Principal) ([]quizflow.APIKey, error) {
	if err := f.record(ctx, p.User, call{Method: "APIKeys"}); err != nil {
		return nil, err
	}
	if p.User.ID != alice.ID {
		return nil, nil
	}
	return []quizflow.APIKey{{ID: "key_read", Name: "grader", Scopes: []string{quizflow.ScopeRead}, Prefix: "qf_readxx", Hash: "secret-hash", CreatedAt: fixedTime}}, nil
}

func (f *fakeServices) DeleteAPIKey(ctx context.Context, p *quizflow.Principal, id string) error {
	if err := f.record(ctx, p.User, call{Method: "DeleteAPIKey", ID: id}); err != nil {
		return err
	}
	if p.User.ID != alice.ID || id != "key_read" {
		return notFound("API key")
	}
	return nil
}

func (f *fakeServices) SetOperator(ctx context.Context, email string, operator bool) (*quizflow.User, error) {
	return nil, errors.New("SetOperator is not an HTTP route")
}

func (f *fakeServices) CheckPassword(ctx context.Context, email, password string) (*quizflow.User, error) {
	if err := f.record(ctx, nil, call{Method: "CheckPassword", Email: email, Password: password}); err != nil {
		return nil, err
	}
	if pw, ok := f.passwords[email]; ok && pw == password {
		for _, u := range []*quizflow.User{alice, operator} {
			if u.Email == email {
				c := *u
				return &c, nil
			}
		}
	}
	return nil, quizflow.Errorf(quizflow.EUNAUTHORIZED, "The email or password is wrong.")
}

func (f *fakeServices) User(ctx context.Context, id string) (*quizflow.User, error) {
	if err := f.record(ctx, nil, call{Method: "User", ID: id}); err != nil {
		return nil, err
	}
	for _, u := range []*quizflow.User{alice, bob, operator} {
		if u.ID == id {
			c := *u
			return &c, nil
		}
	}
	return nil, notFound("User")
}

// DocumentService.

func (f *fakeServices) CheckOptions(user *quizflow.User, opts *quizflow.GenerateOptions) error {
	if err := f.record(context.Background(), user, call{Method: "CheckOptions", Opts: cloneOptions(*opts)}); err != nil {
		return err
	}
	return opts.Normalize(user.Plan)
}

// ReceiveFile reads the whole file as the real service streams it to
// storage: a read error (a cut body, or the handler's body bound) is
// returned as is, and the fake enforces maxFile itself.
func (f *fakeServices) ReceiveFile(ctx context.Context, user *quizflow.User, filename string, r io.Reader) (*quizflow.Document, error) {
	b, readErr := io.ReadAll(r)
	if err := f.record(ctx, user, call{Method: "ReceiveFile", Filename: filename, File: b}); err != nil {
		return nil, err
	}
	switch {
	case readErr != nil:
		return nil, readErr
	case int64(len(b)) > f.maxFile:
		return nil, quizflow.Errorf(quizflow.ETOOLARGE, "The file is larger than the %s limit.", quizflow.HumanBytes(f.maxFile))
	case len(b) == 0:
		return nil, quizflow.Invalid("file", "The file is empty.")
	}
	return &quizflow.Document{ID: "doc_new", OwnerID: user.ID, Filename: filename, Kind: quizflow.KindText,
		ContentType: "text/plain", Size: int64(len(b)), Status: quizflow.DocumentUploaded, CreatedAt: fixedTime, UpdatedAt: fixedTime}, nil
}

func (f *fakeServices) SubmitUpload(ctx context.Context, user *quizflow.User, doc *quizflow.Document, opts quizflow.GenerateOptions) (*quizflow.Document, *quizflow.Job, error) {
	if err := f.record(ctx, user, call{Method: "SubmitUpload", ID: doc.ID, Opts: cloneOptions(opts)}); err != nil {
		return nil, nil, err
	}
	if err := opts.Normalize(user.Plan); err != nil {
		return nil, nil, err
	}
	d := *doc
	d.Options = opts
	return &d, &quizflow.Job{ID: "job_new", Kind: quizflow.JobQuiz, Status: quizflow.StatusQueued, Stage: quizflow.StageQueued,
		DocumentID: d.ID, Options: &opts, CreatedAt: fixedTime, UpdatedAt: fixedTime}, nil
}

func (f *fakeServices) DiscardUpload(ctx context.Context, doc *quizflow.Document) {
	_ = f.record(ctx, nil, call{Method: "DiscardUpload", ID: doc.ID})
}

func (f *fakeServices) document(u *quizflow.User, id string) (*quizflow.Document, error) {
	if d, ok := f.docs[id]; ok && d.OwnerID == u.ID {
		c := *d
		return &c, nil
	}
	return nil, notFound("Document")
}

func (f *fakeServices) Document(ctx context.Context, user *quizflow.User, id string) (*quizflow.Document, error) {
	if err := f.record(ctx, user, call{Method: "Document", ID: id}); err != nil {
		return nil, err
	}
	return f.document(user, id)
}

func (f *fakeServices) Documents(ctx context.Context, user *quizflow.User, p quizflow.PageRequest) ([]quizflow.Document, string, error) {
	if err := f.record(ctx, user, call{Method: "Documents", Page: p}); err != nil {
		return nil, "", err
	}
	return page(sortedValues(f.docs, func(d *quizflow.Document) string { return d.OwnerID }, user), p)
}

func (f *fakeServices) DocumentText(ctx context.Context, user *quizflow.User, id string) (*quizflow.DocumentText, error) {
	if err := f.record(ctx, user, call{Method: "DocumentText", ID: id}); err != nil {
		return nil, err
	}
	d, err := f.document(user, id)
	if err != nil {
		return nil, err
	}
	t, ok := f.texts[d.ID]
	if !ok {
		return nil, quizflow.Errorf(quizflow.ECONFLICT, "The document's text is not extracted yet.")
	}
	return t, nil
}

func (f *fakeServices) DeleteDocument(ctx context.Context, user *quizflow.User, id string) error {
	if err := f.record(ctx, user, call{Method: "DeleteDocument", ID: id}); err != nil {
		return err
	}
	_, err := f.document(user, id)
	return err
}

// JobService.

func (f *fakeServices) Job(ctx context.Context, user *quizflow.User, id string) (*quizflow.Job, error) {
	if err := f.record(ctx, user, call{Method: "Job", ID: id}); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok || j.OwnerID != user.ID {
		return nil, notFound("Job")
	}
	if s := f.jobScript[id]; len(s) > 0 {
		c := s[0]
		if len(s) > 1 {
			f.jobScript[id] = s[1:]
		}
		return &c, nil
	}
	c := *j
	return &c, nil
}

func (f *fakeServices) Jobs(ctx context.Context, user *quizflow.User, p quizflow.PageRequest) ([]quizflow.Job, string, error) {
	if err := f.record(ctx, user, call{Method: "Jobs", Page: p}); err != nil {
		return nil, "", err
	}
	return page(sortedValues(f.jobs, func(j *quizflow.Job) string { return j.OwnerID }, user), p)
}

// QuizService.

func newJob(kind string) *quizflow.Job {
	return &quizflow.Job{ID: "job_new", Kind: kind, Status: quizflow.StatusQueued, Stage: quizflow.StageQueued, CreatedAt: fixedTime, UpdatedAt: fixedTime}
}

func (f *fakeServices) CreateQuiz(ctx context.Context, user *quizflow.User, docID string, opts quizflow.GenerateOptions) (*quizflow.Job, error) {
	if err := f.record(ctx, user, call{Method: "CreateQuiz", ID: docID, Opts: cloneOptions(opts)}); err != nil {
		return nil, err
	}
	d, err := f.document(user, docID)
	if err != nil {
		return nil, err
	}
	if err := opts.Normalize(user.Plan); err != nil {
		return nil, err
	}
	if d.Status != quizflow.DocumentExtracted {
		return nil, quizflow.Errorf(quizflow.ECONFLICT, "The document is still being read; try again shortly.")
	}
	j := newJob(quizflow.JobQuiz)
	j.DocumentID, j.Options = d.ID, &opts
	return j, nil
}

func (f *fakeServices) quiz(u *quizflow.User, id string) (*quizflow.Quiz, error) {
	if q, ok := f.quizzes[id]; ok && q.OwnerID == u.ID {
		c := *q
		c.Questions = slices.Clone(q.Questions)
		return &c, nil
	}
	return nil, notFound("Quiz")
}

func (f *fakeServices) question(u *quizflow.User, quizID, qid string) (*quizflow.Question, error) {
	q, err := f.quiz(u, quizID)
	if err != nil {
		return nil, err
	}
	for i := range q.Questions {
		if q.Questions[i].ID == qid {
			return &q.Questions[i], nil
		}
	}
	return nil, notFound("Question")
}

func (f *fakeServices) Quiz(ctx context.Context, user *quizflow.User, id string) (*quizflow.Quiz, error) {
	if err := f.record(ctx, user, call{Method: "Quiz", ID: id}); err != nil {
		return nil, err
	}
	return f.quiz(user, id)
}

func (f *fakeServices) Quizzes(ctx context.Context, user *quizflow.User, p quizflow.PageRequest) ([]quizflow.Quiz, string, error) {
	if err := f.record(ctx, user, call{Method: "Quizzes", Page: p}); err != nil {
		return nil, "", err
	}
	return page(sortedValues(f.quizzes, func(q *quizflow.Quiz) string { return q.OwnerID }, user), p)
}

func (f *fakeServices) UpdateQuiz(ctx context.Context, user *quizflow.User, id string, u quizflow.QuizUpdate) (*quizflow.Quiz, error) {
	if err := f.record(ctx, user, call{Method: "UpdateQuiz", ID: id, QuizEdit: u}); err != nil {
		return nil, err
	}
	q, err := f.quiz(user, id)
	if err != nil {
		return nil, err
	}
	if u.Title != nil {
		if strings.TrimSpace(*u.Title) == "" {
			return nil, quizflow.Invalid("title", "The title cannot be empty.")
		}
		q.Title = *u.Title
	}
	q.Version++
	return q, nil
}

func (f *fakeServices) UpdateQuestion(ctx context.Context, user *quizflow.User, quizID, questionID string, u quizflow.QuestionUpdate) (*quizflow.Question, error) {
	if err := f.record(ctx, user, call{Method: "UpdateQuestion", ID: quizID, ID2: questionID, QEdit: u}); err != nil {
		return nil, err
	}
	q, err := f.question(user, quizID, questionID)
	if err != nil {
		return nil, err
	}
	if u.Prompt != nil {
		q.Prompt = *u.Prompt
	}
	return q, nil
}

func (f *fakeServices) AddQuestion(ctx context.Context, user *quizflow.User, quizID string, nq quizflow.Question) (*quizflow.Question, error) {
	if err := f.record(ctx, user, call{Method: "AddQuestion", ID: quizID, Question: nq}); err != nil {
		return nil, err
	}
	if _, err := f.quiz(user, quizID); err != nil {
		return nil, err
	}
	if !slices.Contains(quizflow.QuestionTypes, nq.Type) {
		return nil, quizflow.Invalid("type", "Unknown question type %q.", nq.Type)
	}
	nq.ID = "q_new"
	return &nq, nil
}

func (f *fakeServices) DeleteQuestion(ctx context.Context, user *quizflow.User, quizID, questionID string) error {
	if err := f.record(ctx, user, call{Method: "DeleteQuestion", ID: quizID, ID2: questionID}); err != nil {
		return err
	}
	_, err := f.question(user, quizID, questionID)
	return err
}

func (f *fakeServices) RegenerateQuestion(ctx context.Context, user *quizflow.User, quizID, questionID string) (*quizflow.Job, error) {
	if err := f.record(ctx, user, call{Method: "RegenerateQuestion", ID: quizID, ID2: questionID}); err != nil {
		return nil, err
	}
	if _, err := f.question(user, quizID, questionID); err != nil {
		return nil, err
	}
	j := newJob(quizflow.JobRegenerate)
	j.QuizID, j.QuestionID = quizID, questionID
	return j, nil
}

func (f *fakeServices) DeleteQuiz(ctx context.Context, user *quizflow.User, id string) error {
	if err := f.record(ctx, user, call{Method: "DeleteQuiz", ID: id}); err != nil {
		return err
	}
	_, err := f.quiz(user, id)
	return err
}

// ExportService.

// CreateExport reuses an export of the same quiz and format (exp_ready
// for qti12-canvas, which has succeeded; exp_queued for moodle-xml, still
// queued) and otherwise starts exp_new.
func (f *fakeServices) CreateExport(ctx context.Context, user *quizflow.User, quizID string, r quizflow.ExportRequest) (*quizflow.ExportStart, error) {
	if err := f.record(ctx, user, call{Method: "CreateExport", ID: quizID, Export: r}); err != nil {
		return nil, err
	}
	q, err := f.quiz(user, quizID)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(export.Formats(), func(x export.Format) bool { return x.Name == r.Format }) {
		return nil, quizflow.Invalid("format", "Unknown export format %q.", r.Format)
	}
	if err := r.Options.Normalize(); err != nil {
		return nil, err
	}
	for _, e := range f.exports {
		if e.OwnerID == user.ID && e.QuizID == q.ID && e.Format == r.Format {
			c := *e
			return &quizflow.ExportStart{Export: &c, Job: &quizflow.Job{ID: e.JobID, Kind: quizflow.JobExport, Status: e.Status}, Reused: true}, nil
		}
	}
	j := newJob(quizflow.JobExport)
	return &quizflow.ExportStart{Job: j, Export: &quizflow.Export{ID: "exp_new", OwnerID: user.ID, QuizID: q.ID, QuizVersion: q.Version,
		Format: r.Format, Options: r.Options, Status: quizflow.StatusQueued, JobID: j.ID, CreatedAt: fixedTime, UpdatedAt: fixedTime}}, nil
}

func (f *fakeServices) export(u *quizflow.User, id string) (*quizflow.Export, error) {
	if e, ok := f.exports[id]; ok && e.OwnerID == u.ID {
		c := *e
		return &c, nil
	}
	return nil, notFound("Export")
}

func (f *fakeServices) Export(ctx context.Context, user *quizflow.User, id string) (*quizflow.Export, error) {
	if err := f.record(ctx, user, call{Method: "Export", ID: id}); err != nil {
		return nil, err
	}
	return f.export(user, id)
}

func (f *fakeServices) Exports(ctx context.Context, user *quizflow.User, quizID string, p quizflow.PageRequest) ([]quizflow.Export, string, error) {
	if err := f.record(ctx, user, call{Method: "Exports", ID: quizID, Page: p}); err != nil {
		return nil, "", err
	}
	if quizID != "" && !strings.HasPrefix(quizID, "quiz_") {
		return nil, "", quizflow.Invalid("quiz_id", "quiz_id is not a quiz ID.")
	}
	var es []quizflow.Export
	for _, e := range sortedValues(f.exports, func(e *quizflow.Export) string { return e.OwnerID }, user) {
		if quizID == "" || e.QuizID == quizID {
			es = append(es, e)
		}
	}
	return page(es, p)
}

func (f *fakeServices) DownloadURL(ctx context.Context, user *quizflow.User, id string) (string, error) {
	if err := f.record(ctx, user, call{Method: "DownloadURL", ID: id}); err != nil {
		return "", err
	}
	e, err := f.export(user, id)
	if err != nil {
		return "", err
	}
	if !e.Ready() {
		return "", quizflow.Errorf(quizflow.ECONFLICT, "The export is not ready yet.")
	}
	return "https://blobs.example.test/" + e.BlobKey + "?X-Amz-Signature=sig", nil
}

func cloneOptions(o quizflow.GenerateOptions) quizflow.GenerateOptions {
	o.QuestionTypes = slices.Clone(o.QuestionTypes)
	o.BloomLevels = slices.Clone(o.BloomLevels)
	return o
}

// fakeWatcher is a JobWatcher that reports one change of every watched
// job at once, so a stream re-reads the job without waiting for its poll.
type fakeWatcher struct {
	mu      sync.Mutex
	watched []string
	stopped int
}

func (w *fakeWatcher) Watch(jobID string) (<-chan struct{}, func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.watched = append(w.watched, jobID)
	ch := make(chan struct{}, 1)
	ch <- struct{}{}
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.stopped++
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// errSecret is an internal failure whose detail must reach the log and
// never a client.
var errSecret = errors.New("mongo: dial tcp 10.9.8.7:27017: secret-internal-detail")

var (
	_ quizflow.AccountService  = (*fakeServices)(nil)
	_ quizflow.DocumentService = (*fakeServices)(nil)
	_ quizflow.JobService      = (*fakeServices)(nil)
	_ quizflow.QuizService     = (*fakeServices)(nil)
	_ quizflow.ExportService   = (*fakeServices)(nil)
	_ JobWatcher               = (*fakeWatcher)(nil)
)
