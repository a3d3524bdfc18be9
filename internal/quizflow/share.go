package quizflow

import (
	"context"
	"encoding/json"
	"time"
)

// Share is a quiz's public link: anyone holding Token takes the quiz
// without an account. Token is the share's identity (128 random bits,
// URL-safe); revoking the share deletes it, and a new share gets a new
// token.
type Share struct {
	Token     string    `json:"token"`
	URL       string    `json:"url"`
	QuizID    string    `json:"quiz_id"`
	OwnerID   string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// SharedQuiz is a quiz as a share link shows it: nothing that gives an
// answer away.
type SharedQuiz struct {
	Title     string           `json:"title"`
	Language  string           `json:"language"`
	MaxScore  float64          `json:"max_score"`
	Questions []SharedQuestion `json:"questions"`
}

// SharedQuestion is a question without its answer: options without their
// correct flags; for matching the left items in order and the right items
// shuffled.
type SharedQuestion struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Prompt  string         `json:"prompt"`
	Points  float64        `json:"points"`
	Options []SharedOption `json:"options,omitempty"`
	Left    []string       `json:"left,omitempty"`
	Right   []string       `json:"right,omitempty"`
}

// SharedOption is a choice without its correct flag.
type SharedOption struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Result statuses.
const (
	ResultGraded        = "graded"
	ResultPendingReview = "pending_review" // an essay, for the owner to grade
)

// AttemptRequest is a set of answers to a quiz: question ID to the raw
// JSON answer, whose shape depends on the question's type (see
// internal/scoring).
type AttemptRequest struct {
	Name    string                     `json:"name"`
	Answers map[string]json.RawMessage `json:"answers"`
}

// QuestionResult is how one answer scored. Answer and CorrectAnswer are
// a string, a list of strings or nil, shaped per question type.
type QuestionResult struct {
	QuestionID    string  `json:"question_id"`
	Type          string  `json:"type"`
	Score         float64 `json:"score"`
	MaxScore      float64 `json:"max_score"`
	Correct       bool    `json:"correct"`
	Status        string  `json:"status"`
	Answer        any     `json:"answer"`
	CorrectAnswer any     `json:"correct_answer"`
	Explanation   string  `json:"explanation"`
}

// Score is how a set of answers scored.
type Score struct {
	Score    float64          `json:"score"`
	MaxScore float64          `json:"max_score"`
	Results  []QuestionResult `json:"results"`
}

// Attempt is one scored submission through a share link, kept for the
// quiz's owner.
type Attempt struct {
	ID         string `json:"attempt_id"`
	QuizID     string `json:"quiz_id"`
	OwnerID    string `json:"-"`
	ShareToken string `json:"-"`
	Name       string `json:"name"`
	Score
	// PendingReview counts the answers (essays) the owner has to grade.
	PendingReview int       `json:"pending_review"`
	CreatedAt     time.Time `json:"created_at"`
}

// ShareService shares quizzes by public links, scores the attempts taken
// through them and shows them to the quiz's owner.
type ShareService interface {
	// CreateShare returns the active share of user's quiz quizID, making
	// one if there is none (created true). It returns ENOTFOUND.
	CreateShare(ctx context.Context, user *User, quizID string) (share *Share, created bool, err error)
	// Share returns the active share of user's quiz. It returns ENOTFOUND
	// for an unknown quiz or one not shared.
	Share(ctx context.Context, user *User, quizID string) (*Share, error)
	// RevokeShare ends the share link of user's quiz, if it has one; the
	// token is unknown from then on. It returns ENOTFOUND for the quiz.
	RevokeShare(ctx context.Context, user *User, quizID string) error
	// SharedQuiz returns the quiz a share token names, without answers. It
	// returns ENOTFOUND for an unknown or revoked token.
	SharedQuiz(ctx context.Context, token string) (*SharedQuiz, error)
	// SubmitAttempt scores answers to the quiz a share token names and
	// records the attempt. With an idempotency key, a second submission
	// with the same key returns the attempt first recorded (replayed
	// true). It returns ENOTFOUND for the token and EINVALID naming the
	// offending answer.
	SubmitAttempt(ctx context.Context, token, idempotencyKey string, r AttemptRequest) (a *Attempt, replayed bool, err error)
	// Attempts returns a page of the attempts at user's quiz, newest
	// first. It returns ENOTFOUND, and EINVALID for a bad cursor.
	Attempts(ctx context.Context, user *User, quizID string, p PageRequest) ([]Attempt, string, error)
	// ScoreQuiz scores answers to user's quiz without recording anything
	// (the owner's preview). It returns ENOTFOUND and EINVALID.
	ScoreQuiz(ctx context.Context, user *User, quizID string, r AttemptRequest) (*Score, error)
	// GradeAttempt sets the owner's scores of essay answers of an attempt
	// at user's quiz (question ID to points, 0 to the question's points)
	// and returns the attempt with its totals. It returns ENOTFOUND for
	// the quiz or attempt and EINVALID naming "grades.<question ID>" for a
	// question that is not an essay of the attempt or a score out of range.
	GradeAttempt(ctx context.Context, user *User, quizID, attemptID string, grades map[string]float64) (*Attempt, error)
}
