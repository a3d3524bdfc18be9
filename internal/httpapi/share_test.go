package httpapi

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/scoring"
)

// fakeShares is an in-memory ShareService over the fake quizzes, scoring
// with the real internal/scoring. The real service over the embedded store
// is exercised end to end in internal/e2e/share_test.go.
type fakeShares struct {
	f        *fakeServices
	mu       sync.Mutex
	shares   map[string]*quizflow.Share // by token
	attempts []quizflow.Attempt
}

var shareTime = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// withShares serves the share routes from a fakeShares; seeded gives
// quiz_alice the share "tok_alice".
func withShares(seeded bool) func(*Deps) {
	return func(d *Deps) {
		fs := &fakeShares{f: d.Quizzes.(*fakeServices), shares: map[string]*quizflow.Share{}}
		if seeded {
			fs.shares["tok_alice"] = &quizflow.Share{Token: "tok_alice", URL: "https://qf.test/s/tok_alice", QuizID: "quiz_alice", OwnerID: alice.ID, CreatedAt: shareTime}
		}
		d.Shares, d.Limits = fs, fakeLimits{}
	}
}

func (s *fakeShares) byQuiz(quizID string) *quizflow.Share {
	for _, sh := range s.shares {
		if sh.QuizID == quizID {
			return sh
		}
	}
	return nil
}

func (s *fakeShares) CreateShare(ctx context.Context, user *quizflow.User, quizID string) (*quizflow.Share, bool, error) {
	q, err := s.f.quiz(user, quizID)
	if err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.byQuiz(q.ID); sh != nil {
		return sh, false, nil
	}
	sh := &quizflow.Share{Token: "tok_new", URL: "https://qf.test/s/tok_new", QuizID: q.ID, OwnerID: user.ID, CreatedAt: shareTime}
	s.shares[sh.Token] = sh
	return sh, true, nil
}

func (s *fakeShares) Share(ctx context.Context, user *quizflow.User, quizID string) (*quizflow.Share, error) {
	q, err := s.f.quiz(user, quizID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.byQuiz(q.ID); sh != nil {
		return sh, nil
	}
	return nil, quizflow.Errorf(quizflow.ENOTFOUND, "This quiz is not shared.")
}

func (s *fakeShares) RevokeShare(ctx context.Context, user *quizflow.User, quizID string) error {
	q, err := s.f.quiz(user, quizID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.byQuiz(q.ID); sh != nil {
		delete(s.shares, sh.Token)
	}
	return nil
}

func (s *fakeShares) shared(token string) (*quizflow.Share, *quizflow.Quiz, error) {
	s.mu.Lock()
	sh := s.shares[token]
	s.mu.Unlock()
	if sh == nil {
		return nil, nil, quizflow.Errorf(quizflow.ENOTFOUND, "This share link does not exist or was revoked.")
	}
	q, err := s.f.quiz(alice, sh.QuizID)
	return sh, q, err
}

func (s *fakeShares) SharedQuiz(ctx context.Context, token string) (*quizflow.SharedQuiz, error) {
	sh, q, err := s.shared(token)
	if err != nil {
		return nil, err
	}
	return scoring.Redact(q, sh.Token), nil
}

func (s *fakeShares) SubmitAttempt(ctx context.Context, token, key string, r quizflow.AttemptRequest) (*quizflow.Attempt, bool, error) {
	sh, q, err := s.shared(token)
	if err != nil {
		return nil, false, err
	}
	sc, err := scoring.Score(q.Questions, r.Answers)
	if err != nil {
		return nil, false, err
	}
	a := quizflow.Attempt{ID: "att_1", QuizID: q.ID, ShareToken: sh.Token, Name: r.Name, Score: *sc, CreatedAt: shareTime}
	s.mu.Lock()
	s.attempts = append(s.attempts, a)
	s.mu.Unlock()
	return &a, key == "replayed", nil
}

func (s *fakeShares) Attempts(ctx context.Context, user *quizflow.User, quizID string, p quizflow.PageRequest) ([]quizflow.Attempt, string, error) {
	if _, err := s.f.quiz(user, quizID); err != nil {
		return nil, "", err
	}
	return nil, "", nil
}

func (s *fakeShares) GradeAttempt(ctx context.Context, user *quizflow.User, quizID, attemptID string, grades map[string]float64) (*quizflow.Attempt, error) {
	if _, err := s.f.quiz(user, quizID); err != nil {
		return nil, err
	}
	if attemptID != "att_1" {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "No such attempt at this quiz.")
	}
	if len(grades) == 0 {
		return nil, quizflow.Invalid("grades", "Send grades.")
	}
	return &quizflow.Attempt{ID: attemptID, QuizID: quizID, Score: quizflow.Score{Score: grades["q_3"], MaxScore: 1}, CreatedAt: shareTime}, nil
}

func (s *fakeShares) ScoreQuiz(ctx context.Context, user *quizflow.User, quizID string, r quizflow.AttemptRequest) (*quizflow.Score, error) {
	q, err := s.f.quiz(user, quizID)
	if err != nil {
		return nil, err
	}
	return scoring.Score(q.Questions, r.Answers)
}

type fakeLimits struct{}

func (fakeLimits) UploadLimits(ctx context.Context, user *quizflow.User) (*quizflow.UploadLimits, error) {
	return &quizflow.UploadLimits{Plan: user.Plan, MaxFileSize: testMaxFile, MaxPages: 50, MaxQuestions: 20,
		AcceptedTypes: []quizflow.FileType{{Kind: quizflow.KindPDF, Extensions: []string{".pdf"}, ContentTypes: []string{"application/pdf"}}}}, nil
}

// shareScenarios: share links, the public routes they open, attempts, the
// owner's scoring preview, upload limits and one page of a document's text.
var shareScenarios = []scenario{
	{name: "share a quiz", method: "POST", path: "/v1/quizzes/quiz_alice/share", token: "alice-token", deps: withShares(false),
		status: 201, want: []string{`"token":"tok_new"`, `"url":"https://qf.test/s/tok_new"`, `"quiz_id":"quiz_alice"`}},
	{name: "share a shared quiz again", method: "POST", path: "/v1/quizzes/quiz_alice/share", token: "alice-token", deps: withShares(true),
		status: 200, want: []string{`"token":"tok_alice"`}},
	{name: "share another's quiz", method: "POST", path: "/v1/quizzes/quiz_bob/share", token: "alice-token", deps: withShares(false),
		status: 404},
	{name: "share without a login", method: "POST", path: "/v1/quizzes/quiz_alice/share", deps: withShares(false), status: 401},
	{name: "sharing off", method: "POST", path: "/v1/quizzes/quiz_alice/share", token: "alice-token", status: 503},
	{name: "the share link", method: "GET", path: "/v1/quizzes/quiz_alice/share", token: "alice-token", deps: withShares(true),
		status: 200, want: []string{`"token":"tok_alice"`}},
	{name: "no share link", method: "GET", path: "/v1/quizzes/quiz_alice/share", token: "alice-token", deps: withShares(false),
		status: 404, want: []string{"not shared"}},
	{name: "revoke", method: "DELETE", path: "/v1/quizzes/quiz_alice/share", token: "alice-token", deps: withShares(true), status: 204},
	{name: "revoke another's", method: "DELETE", path: "/v1/quizzes/quiz_bob/share", token: "alice-token", deps: withShares(true), status: 404},
	{name: "attempts", method: "GET", path: "/v1/quizzes/quiz_alice/attempts", token: "alice-token", deps: withShares(true),
		status: 200, want: []string{`"attempts":[]`, `"next_cursor":""`}},
	{name: "attempts with a bad limit", method: "GET", path: "/v1/quizzes/quiz_alice/attempts?limit=0", token: "alice-token", deps: withShares(true),
		status: 400, want: []string{`"field":"limit"`}},
	{name: "grade an essay", method: "PATCH", path: "/v1/quizzes/quiz_alice/attempts/att_1", token: "alice-token", deps: withShares(true),
		body: `{"grades":{"q_3":0.5}}`, status: 200, want: []string{`"attempt_id":"att_1"`, `"score":0.5`}},
	{name: "grade without grades", method: "PATCH", path: "/v1/quizzes/quiz_alice/attempts/att_1", token: "alice-token", deps: withShares(true),
		body: ``, status: 400, want: []string{`"field":"grades"`}},
	{name: "grade a score that is not a number", method: "PATCH", path: "/v1/quizzes/quiz_alice/attempts/att_1", token: "alice-token", deps: withShares(true),
		body: `{"grades":{"q_3":"full"}}`, status: 400},
	{name: "grade an unknown attempt", method: "PATCH", path: "/v1/quizzes/quiz_alice/attempts/att_2", token: "alice-token", deps: withShares(true),
		body: `{"grades":{"q_3":1}}`, status: 404},
	{name: "preview score", method: "POST", path: "/v1/quizzes/quiz_alice/score", token: "alice-token", deps: withShares(true),
		body: `{"answers":{"q_1":"a","q_2":" Sugar "}}`, status: 200, want: []string{`"score":2`, `"max_score":2`}},
	{name: "preview score without answers", method: "POST", path: "/v1/quizzes/quiz_alice/score", token: "alice-token", deps: withShares(true),
		body: ``, status: 400, want: []string{`"field":"answers"`}},
	{name: "shared quiz, no login, no answers", method: "GET", path: "/v1/shared/tok_alice", deps: withShares(true),
		status: 200, want: []string{`"title":"Plants"`, `"prompt":"Plants make sugar."`, `"points":1`},
		notWant: []string{"correct", `"sugar"`, "answers", "explanation", "source"}},
	{name: "unknown share token", method: "GET", path: "/v1/shared/nope", deps: withShares(true), status: 404},
	{name: "submit an attempt", method: "POST", path: "/v1/shared/tok_alice/attempts", deps: withShares(true),
		body: `{"name":"Ada","answers":{"q_1":"b","q_2":"sugar"}}`, status: 201,
		want: []string{`"attempt_id":"att_1"`, `"score":1`, `"max_score":2`, `"correct_answer":"a"`, `"correct_answer":["sugar"]`, `"status":"graded"`}},
	{name: "a replayed attempt", method: "POST", path: "/v1/shared/tok_alice/attempts", deps: withShares(true),
		headers: map[string]string{"Idempotency-Key": "replayed"}, body: `{"answers":{}}`, status: 200},
	{name: "an attempt at an unknown question", method: "POST", path: "/v1/shared/tok_alice/attempts", deps: withShares(true),
		body: `{"answers":{"q_9":"a"}}`, status: 400, want: []string{`"field":"answers.q_9"`}},
	{name: "an attempt of the wrong shape", method: "POST", path: "/v1/shared/tok_alice/attempts", deps: withShares(true),
		body: `{"answers":{"q_1":["a"]}}`, status: 400, want: []string{`"field":"answers.q_1"`}},
	{name: "an attempt whose answers are not an object", method: "POST", path: "/v1/shared/tok_alice/attempts", deps: withShares(true),
		body: `{"answers":[1]}`, status: 400},
	{name: "an attempt at a revoked link", method: "POST", path: "/v1/shared/tok_gone/attempts", deps: withShares(true),
		body: `{"answers":{}}`, status: 404},
	{name: "upload limits", method: "GET", path: "/v1/limits", token: "alice-token", deps: withShares(false),
		status: 200, want: []string{`"max_file_size":`, `"accepted_types":[{"kind":"pdf"`}},
	{name: "one page of a document's text", method: "GET", path: "/v1/documents/doc_alice/text?page=1", token: "alice-token",
		status: 200, want: []string{`"pages":[{"number":1`}},
	{name: "a page past the last", method: "GET", path: "/v1/documents/doc_alice/text?page=999", token: "alice-token",
		status: 404, want: []string{"no page 999"}},
	{name: "a page that is not a number", method: "GET", path: "/v1/documents/doc_alice/text?page=x", token: "alice-token",
		status: 400, want: []string{`"field":"page"`}},
}

// TestSharedRoutesRateLimited: the public share routes answer 429 past
// Deps.ShareLimit, per client IP.
func TestSharedRoutesRateLimited(t *testing.T) {
	runScenarios(t, []scenario{{name: "limited", method: "GET", path: "/v1/shared/tok_alice", status: 429,
		deps: func(d *Deps) { withShares(true)(d); d.ShareLimit = denyAll{} }, want: []string{`"code":"rate_limited"`},
		check: header("Retry-After", "30")}})
}

type denyAll struct{}

func (denyAll) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 30 * time.Second, nil
}
