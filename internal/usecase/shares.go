package usecase

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/scoring"
)

// ShareStore keeps share links and attempts: internal/mongostore in
// production. Every lookup on a request path is by _id.
type ShareStore interface {
	// CreateShare records sh (its CreatedAt set) unless the quiz has an
	// active share: then it returns that one and false.
	CreateShare(ctx context.Context, sh *quizflow.Share) (*quizflow.Share, bool, error)
	// ShareOfQuiz returns quiz quizID's active share, or ENOTFOUND.
	ShareOfQuiz(ctx context.Context, quizID string) (*quizflow.Share, error)
	// ShareByToken returns the active share with token, or ENOTFOUND.
	ShareByToken(ctx context.Context, token string) (*quizflow.Share, error)
	// DeleteShare revokes quiz quizID's share, if any.
	DeleteShare(ctx context.Context, quizID string) error
	// InsertAttempt records a (its CreatedAt set), or returns the attempt
	// already recorded under its ID and true.
	InsertAttempt(ctx context.Context, a *quizflow.Attempt) (*quizflow.Attempt, bool, error)
	// Attempts returns a page of owner's attempts at quiz quizID, newest
	// first; EINVALID for a bad cursor.
	Attempts(ctx context.Context, owner, quizID string, p quizflow.PageRequest) ([]quizflow.Attempt, string, error)
	// Attempt returns owner's attempt id, or ENOTFOUND.
	Attempt(ctx context.Context, id, owner string) (*quizflow.Attempt, error)
	// SaveAttemptResults replaces an attempt's results and totals;
	// ENOTFOUND if it is gone.
	SaveAttemptResults(ctx context.Context, a *quizflow.Attempt) error
}

// idEncoding is quizflow.NewID's alphabet.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Shares implements quizflow.ShareService.
type Shares struct {
	*core
	Store ShareStore
}

// Bounds of share input.
const (
	shareTokenBytes   = 16 // 128 bits
	maxShareTokenLen  = 64
	maxAttemptNameLen = 100
	maxIdempotencyKey = 64
)

// newShareToken returns 128 random bits, URL-safe base64 (22 characters).
func newShareToken() string {
	b := make([]byte, shareTokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Shares) withURL(sh *quizflow.Share) *quizflow.Share {
	sh.URL = s.Config.PublicURL + "/s/" + sh.Token
	return sh
}

// CreateShare implements quizflow.ShareService.
func (s *Shares) CreateShare(ctx context.Context, user *quizflow.User, quizID string) (*quizflow.Share, bool, error) {
	q, err := (&Quizzes{s.core}).Quiz(ctx, user, quizID)
	if err != nil {
		return nil, false, err
	}
	sh, created, err := s.Store.CreateShare(ctx, &quizflow.Share{Token: newShareToken(), QuizID: q.ID, OwnerID: q.OwnerID})
	if err != nil {
		return nil, false, internal(err)
	}
	return s.withURL(sh), created, nil
}

// Share implements quizflow.ShareService.
func (s *Shares) Share(ctx context.Context, user *quizflow.User, quizID string) (*quizflow.Share, error) {
	q, err := (&Quizzes{s.core}).Quiz(ctx, user, quizID)
	if err != nil {
		return nil, err
	}
	sh, err := s.Store.ShareOfQuiz(ctx, q.ID)
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return nil, quizflow.Errorf(quizflow.ENOTFOUND, "This quiz is not shared.")
		}
		return nil, internal(err)
	}
	return s.withURL(sh), nil
}

// RevokeShare implements quizflow.ShareService.
func (s *Shares) RevokeShare(ctx context.Context, user *quizflow.User, quizID string) error {
	q, err := (&Quizzes{s.core}).Quiz(ctx, user, quizID)
	if err != nil {
		return err
	}
	return internal(s.Store.DeleteShare(ctx, q.ID))
}

var errShareNotFound = quizflow.Errorf(quizflow.ENOTFOUND, "This share link does not exist or was revoked.")

// sharedQuiz returns the share named by token and its quiz, ENOTFOUND for
// an unknown or revoked token (or a quiz deleted since).
func (s *Shares) sharedQuiz(ctx context.Context, token string) (*quizflow.Share, *quizflow.Quiz, error) {
	if token == "" || len(token) > maxShareTokenLen {
		return nil, nil, errShareNotFound
	}
	sh, err := s.Store.ShareByToken(ctx, token)
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return nil, nil, errShareNotFound
		}
		return nil, nil, internal(err)
	}
	q, err := s.core.Store.Quiz(ctx, sh.QuizID, sh.OwnerID)
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return nil, nil, errShareNotFound
		}
		return nil, nil, internal(err)
	}
	return sh, q, nil
}

// SharedQuiz implements quizflow.ShareService.
func (s *Shares) SharedQuiz(ctx context.Context, token string) (*quizflow.SharedQuiz, error) {
	sh, q, err := s.sharedQuiz(ctx, token)
	if err != nil {
		return nil, err
	}
	return scoring.Redact(q, sh.Token), nil
}

// SubmitAttempt implements quizflow.ShareService. The attempt's ID is
// derived from the token and the idempotency key when there is one, so a
// retried submission finds the first one instead of counting twice.
func (s *Shares) SubmitAttempt(ctx context.Context, token, idempotencyKey string, r quizflow.AttemptRequest) (*quizflow.Attempt, bool, error) {
	sh, q, err := s.sharedQuiz(ctx, token)
	if err != nil {
		return nil, false, err
	}
	name := strings.TrimSpace(r.Name)
	if utf8.RuneCountInString(name) > maxAttemptNameLen || strings.ContainsFunc(name, isControl) {
		return nil, false, quizflow.Invalid("name", "name must be at most %d characters, without control characters.", maxAttemptNameLen)
	}
	id := quizflow.NewID("att")
	if idempotencyKey != "" {
		if !validIdempotencyKey(idempotencyKey) {
			return nil, false, quizflow.Invalid("Idempotency-Key", "Idempotency-Key must be 1 to %d characters of A-Z, a-z, 0-9, '.', '_' and '-'.", maxIdempotencyKey)
		}
		// An ID of NewID's form (120 bits, base32), derived from the key.
		sum := sha256.Sum256([]byte(sh.Token + "\x00" + idempotencyKey))
		id = "att_" + idEncoding.EncodeToString(sum[:15])
	}
	score, err := scoreAnswers(q, r)
	if err != nil {
		return nil, false, err
	}
	a := &quizflow.Attempt{ID: id, QuizID: q.ID, OwnerID: q.OwnerID, ShareToken: sh.Token, Name: name, Score: *score}
	for _, res := range score.Results {
		if res.Status == quizflow.ResultPendingReview {
			a.PendingReview++
		}
	}
	got, replayed, err := s.Store.InsertAttempt(ctx, a)
	if err != nil {
		return nil, false, internal(err)
	}
	if replayed && got.ShareToken != sh.Token {
		return nil, false, errAttemptIDClash
	}
	return got, replayed, nil
}

var errAttemptIDClash = errors.New("record attempt: its ID is an attempt of another share link")

func scoreAnswers(q *quizflow.Quiz, r quizflow.AttemptRequest) (*quizflow.Score, error) {
	if r.Answers == nil {
		return nil, quizflow.Invalid("answers", "Send answers, an object of question ID to answer (it may be empty).")
	}
	sc, err := scoring.Score(q.Questions, r.Answers)
	if err != nil && !quizflow.IsUserError(err) {
		return nil, internal(err)
	}
	return sc, err
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func validIdempotencyKey(k string) bool {
	if len(k) > maxIdempotencyKey {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Attempts implements quizflow.ShareService.
func (s *Shares) Attempts(ctx context.Context, user *quizflow.User, quizID string, p quizflow.PageRequest) ([]quizflow.Attempt, string, error) {
	q, err := (&Quizzes{s.core}).Quiz(ctx, user, quizID)
	if err != nil {
		return nil, "", err
	}
	as, next, err := s.Store.Attempts(ctx, q.OwnerID, q.ID, p)
	if err != nil && !quizflow.IsUserError(err) {
		return nil, "", internal(err)
	}
	return as, next, err
}

// maxGrades bounds one grading request.
const maxGrades = 200

// GradeAttempt implements quizflow.ShareService: essays only, each 0 to
// its points; the totals are summed again.
func (s *Shares) GradeAttempt(ctx context.Context, user *quizflow.User, quizID, attemptID string, grades map[string]float64) (*quizflow.Attempt, error) {
	q, err := (&Quizzes{s.core}).Quiz(ctx, user, quizID)
	if err != nil {
		return nil, err
	}
	if len(grades) == 0 || len(grades) > maxGrades {
		return nil, quizflow.Invalid("grades", "Send grades, an object of essay question ID to points (at most %d).", maxGrades)
	}
	if err := validID("att", attemptID, "attempt"); err != nil {
		return nil, err
	}
	a, err := s.Store.Attempt(ctx, attemptID, q.OwnerID)
	if err != nil || a.QuizID != q.ID {
		if err == nil || quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return nil, quizflow.Errorf(quizflow.ENOTFOUND, "No such attempt at this quiz.")
		}
		return nil, internal(err)
	}
	for id, pts := range grades {
		i := slices.IndexFunc(a.Results, func(r quizflow.QuestionResult) bool { return r.QuestionID == id })
		field := "grades." + id
		if len(id) > 64 {
			field = "grades"
		}
		if i < 0 || a.Results[i].Type != quizflow.Essay {
			return nil, quizflow.Invalid(field, "Only the attempt's essay answers are graded by hand; %q is not one.", clipID(id))
		}
		r := &a.Results[i]
		if math.IsNaN(pts) || pts < 0 || pts > r.MaxScore {
			return nil, quizflow.Invalid(field, "The grade must be from 0 to %g points.", r.MaxScore)
		}
		r.Score, r.Correct, r.Status = math.Round(pts*100)/100, pts == r.MaxScore, quizflow.ResultGraded
	}
	a.Score.Score, a.PendingReview = 0, 0
	for _, r := range a.Results {
		a.Score.Score += r.Score
		if r.Status == quizflow.ResultPendingReview {
			a.PendingReview++
		}
	}
	a.Score.Score = math.Round(a.Score.Score*100) / 100
	if err := s.Store.SaveAttemptResults(ctx, a); err != nil {
		return nil, internal(err)
	}
	return a, nil
}

func clipID(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// ScoreQuiz implements quizflow.ShareService.
func (s *Shares) ScoreQuiz(ctx context.Context, user *quizflow.User, quizID string, r quizflow.AttemptRequest) (*quizflow.Score, error) {
	q, err := (&Quizzes{s.core}).Quiz(ctx, user, quizID)
	if err != nil {
		return nil, err
	}
	return scoreAnswers(q, r)
}
