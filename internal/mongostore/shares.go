package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Collections of share links and their attempts.
const (
	colShares     = "shares"      // shareRecord, _id the public token
	colQuizShares = "quiz_shares" // quizShareRecord, _id the quiz: the keyed lookup by quiz
	colAttempts   = "attempts"    // attemptRecord
)

// shareRecord (collection shares) is an active share link; its _id is the
// public token, so GET /v1/shared/{token} is one read by _id. A revoked
// link's record is deleted.
type shareRecord struct {
	Token     string    `bson:"_id"`
	QuizID    string    `bson:"quiz_id"`
	OwnerID   string    `bson:"owner_id"`
	CreatedAt time.Time `bson:"created_at"`
}

// quizShareRecord (collection quiz_shares) is the keyed lookup record of a
// quiz's share: _id the quiz ID, naming the token (see "Keyed lookup
// records" in records.go). It is written after the share and removed after
// it (CreateShare says why); readers check that the share it names exists.
type quizShareRecord struct {
	QuizID  string `bson:"_id"`
	OwnerID string `bson:"owner_id"`
	Token   string `bson:"token"`
}

// attemptRecord (collection attempts) is one scored submission.
type attemptRecord struct {
	ID            string         `bson:"_id"`
	QuizID        string         `bson:"quiz_id"`
	OwnerID       string         `bson:"owner_id"`
	ShareToken    string         `bson:"share_token"`
	Name          string         `bson:"name"`
	Score         float64        `bson:"score"`
	MaxScore      float64        `bson:"max_score"`
	PendingReview int            `bson:"pending_review"`
	Results       []resultRecord `bson:"results"`
	CreatedAt     time.Time      `bson:"created_at"`
}

// resultRecord is one question's result; Answer and CorrectAnswer are a
// string, a list of strings or null.
type resultRecord struct {
	QuestionID    string  `bson:"question_id"`
	Type          string  `bson:"type"`
	Score         float64 `bson:"score"`
	MaxScore      float64 `bson:"max_score"`
	Correct       bool    `bson:"correct"`
	Status        string  `bson:"status"`
	Answer        any     `bson:"answer"`
	CorrectAnswer any     `bson:"correct_answer"`
	Explanation   string  `bson:"explanation"`
}

func (r shareRecord) domain() quizflow.Share {
	return quizflow.Share{Token: r.Token, QuizID: r.QuizID, OwnerID: r.OwnerID, CreatedAt: r.CreatedAt}
}

func newAttemptRecord(a *quizflow.Attempt) attemptRecord {
	rs := make([]resultRecord, len(a.Results))
	for i, r := range a.Results {
		rs[i] = resultRecord{QuestionID: r.QuestionID, Type: r.Type, Score: r.Score, MaxScore: r.MaxScore,
			Correct: r.Correct, Status: r.Status, Answer: r.Answer, CorrectAnswer: r.CorrectAnswer, Explanation: r.Explanation}
	}
	return attemptRecord{ID: a.ID, QuizID: a.QuizID, OwnerID: a.OwnerID, ShareToken: a.ShareToken, Name: a.Name,
		Score: a.Score.Score, MaxScore: a.MaxScore, PendingReview: a.PendingReview, Results: rs, CreatedAt: a.CreatedAt}
}

func (r attemptRecord) domain() quizflow.Attempt {
	rs := make([]quizflow.QuestionResult, len(r.Results))
	for i, x := range r.Results {
		rs[i] = quizflow.QuestionResult{QuestionID: x.QuestionID, Type: x.Type, Score: x.Score, MaxScore: x.MaxScore,
			Correct: x.Correct, Status: x.Status, Answer: plain(x.Answer), CorrectAnswer: plain(x.CorrectAnswer), Explanation: x.Explanation}
	}
	return quizflow.Attempt{ID: r.ID, QuizID: r.QuizID, OwnerID: r.OwnerID, ShareToken: r.ShareToken, Name: r.Name,
		Score: quizflow.Score{Score: r.Score, MaxScore: r.MaxScore, Results: rs}, PendingReview: r.PendingReview, CreatedAt: r.CreatedAt}
}

// plain turns a decoded answer (a string, bson.A of strings or nil) back
// into a string, a []string or nil.
func plain(v any) any {
	a, ok := v.(bson.A)
	if !ok {
		return v
	}
	out := make([]string, 0, len(a))
	for _, x := range a {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// CreateShare records share sh for its quiz, unless the quiz has an
// active share already: then it returns that one and false. Reads and
// writes are by _id (but a takeover's and a revoke's key write, which also
// match the token they replace).
//
// Unlike the other keyed records, the share is written before its key, so
// a concurrent creator that loses the race for the key always finds the
// winner's share behind it (and drops its own). A key naming no share (a
// revoke that stopped between its two deletes) is taken over.
func (s *Store) CreateShare(ctx context.Context, sh *quizflow.Share) (*quizflow.Share, bool, error) {
	sh.CreatedAt = s.now()
	shares, keys := s.db.Collection(colShares), s.db.Collection(colQuizShares)
	rec := shareRecord{Token: sh.Token, QuizID: sh.QuizID, OwnerID: sh.OwnerID, CreatedAt: sh.CreatedAt}
	if _, err := shares.InsertOne(ctx, rec); err != nil {
		return nil, false, fmt.Errorf("insert share: %w", err)
	}
	key := quizShareRecord{QuizID: sh.QuizID, OwnerID: sh.OwnerID, Token: sh.Token}
	for range 5 {
		_, err := keys.InsertOne(ctx, key)
		if err == nil {
			return sh, true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, false, fmt.Errorf("insert quiz share key: %w", err)
		}
		var old quizShareRecord
		if err := keys.FindOne(ctx, bson.M{"_id": sh.QuizID}).Decode(&old); errors.Is(err, mongo.ErrNoDocuments) {
			continue // revoked meanwhile: try the insert again
		} else if err != nil {
			return nil, false, fmt.Errorf("find quiz share key: %w", err)
		}
		active, err := s.ShareByToken(ctx, old.Token)
		if err == nil && active.QuizID == sh.QuizID {
			if _, err := shares.DeleteOne(ctx, bson.M{"_id": sh.Token}); err != nil {
				return nil, false, fmt.Errorf("drop the losing share: %w", err)
			}
			return active, false, nil
		}
		if err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
			return nil, false, err
		}
		res, err := keys.ReplaceOne(ctx, bson.M{"_id": sh.QuizID, "token": old.Token}, key)
		if err != nil {
			return nil, false, fmt.Errorf("take over a stale quiz share key: %w", err)
		}
		if res.MatchedCount == 1 {
			return sh, true, nil
		}
	}
	return nil, false, fmt.Errorf("create share of quiz %s: the key kept changing", sh.QuizID)
}

// ShareOfQuiz returns the active share of quiz quizID, or ENOTFOUND.
func (s *Store) ShareOfQuiz(ctx context.Context, quizID string) (*quizflow.Share, error) {
	var key quizShareRecord
	if err := s.db.Collection(colQuizShares).FindOne(ctx, bson.M{"_id": quizID}).Decode(&key); err != nil {
		return nil, notFound(err, "share")
	}
	sh, err := s.ShareByToken(ctx, key.Token)
	if err != nil {
		return nil, err
	}
	if sh.QuizID != quizID {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "share not found")
	}
	return sh, nil
}

// ShareByToken returns the active share with token, or ENOTFOUND.
func (s *Store) ShareByToken(ctx context.Context, token string) (*quizflow.Share, error) {
	var r shareRecord
	if err := s.db.Collection(colShares).FindOne(ctx, bson.M{"_id": token}).Decode(&r); err != nil {
		return nil, notFound(err, "share")
	}
	sh := r.domain()
	return &sh, nil
}

// DeleteShare revokes the share of quiz quizID, if it has one: the share
// first (its token is unknown from then on), then the quiz's key record.
func (s *Store) DeleteShare(ctx context.Context, quizID string) error {
	var key quizShareRecord
	err := s.db.Collection(colQuizShares).FindOne(ctx, bson.M{"_id": quizID}).Decode(&key)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find quiz share key: %w", err)
	}
	if _, err := s.db.Collection(colShares).DeleteOne(ctx, bson.M{"_id": key.Token}); err != nil {
		return fmt.Errorf("delete share: %w", err)
	}
	// Only the key of the share just deleted: a share created meanwhile
	// keeps its own.
	if _, err := s.db.Collection(colQuizShares).DeleteOne(ctx, bson.M{"_id": quizID, "token": key.Token}); err != nil {
		return fmt.Errorf("delete quiz share key: %w", err)
	}
	return nil
}

// InsertAttempt records attempt a. If an attempt with its ID exists (a
// retried submission with the same idempotency key) nothing is written
// and that one is returned with true.
func (s *Store) InsertAttempt(ctx context.Context, a *quizflow.Attempt) (*quizflow.Attempt, bool, error) {
	a.CreatedAt = s.now()
	col := s.db.Collection(colAttempts)
	_, err := col.InsertOne(ctx, newAttemptRecord(a))
	if err == nil {
		return a, false, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return nil, false, fmt.Errorf("insert attempt: %w", err)
	}
	var r attemptRecord
	if err := col.FindOne(ctx, bson.M{"_id": a.ID}).Decode(&r); err != nil {
		return nil, false, fmt.Errorf("read the attempt already recorded: %w", err)
	}
	old := r.domain()
	return &old, true, nil
}

// Attempt returns owner's attempt id, or ENOTFOUND.
func (s *Store) Attempt(ctx context.Context, id, owner string) (*quizflow.Attempt, error) {
	var r attemptRecord
	if err := s.findOwned(ctx, colAttempts, id, owner, "attempt", &r); err != nil {
		return nil, err
	}
	a := r.domain()
	return &a, nil
}

// SaveAttemptResults replaces the results and totals of attempt a (its
// ID, owner and quiz unchanged), by _id.
func (s *Store) SaveAttemptResults(ctx context.Context, a *quizflow.Attempt) error {
	rec := newAttemptRecord(a)
	res, err := s.db.Collection(colAttempts).UpdateOne(ctx, bson.M{"_id": a.ID}, bson.M{"$set": bson.M{
		"score": rec.Score, "max_score": rec.MaxScore, "pending_review": rec.PendingReview, "results": rec.Results}})
	if err != nil {
		return fmt.Errorf("update attempt: %w", err)
	}
	if res.MatchedCount == 0 {
		return quizflow.Errorf(quizflow.ENOTFOUND, "attempt not found")
	}
	return nil
}

// Attempts returns a page of the attempts at owner's quiz quizID, newest
// first, and the next page's cursor. On MongoDB the (owner_id, quiz_id,
// created_at) index serves it; FerretDB scans the attempts collection, as
// it does for every listing by owner. It returns EINVALID for a bad cursor.
func (s *Store) Attempts(ctx context.Context, owner, quizID string, p quizflow.PageRequest) ([]quizflow.Attempt, string, error) {
	return pageOwned(ctx, s, colAttempts, owner, p, bson.M{"quiz_id": quizID}, attemptRecord.domain)
}

// deleteSharing removes quiz quizID's share link and every attempt at it,
// for a deleted quiz.
func (s *Store) deleteSharing(ctx context.Context, quizID string) error {
	if err := s.DeleteShare(ctx, quizID); err != nil {
		return err
	}
	if _, err := s.db.Collection(colAttempts).DeleteMany(ctx, bson.M{"quiz_id": quizID}); err != nil {
		return fmt.Errorf("delete attempts: %w", err)
	}
	return nil
}
