package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// SaveQuiz writes q, replacing any quiz with the same ID. Quiz IDs are
// derived from the job that made them, so a handler that runs twice leaves
// one quiz.
func (s *Store) SaveQuiz(ctx context.Context, q *quizflow.Quiz) error {
	q.FillEmptyLists()
	now := s.now()
	if q.CreatedAt.IsZero() {
		q.CreatedAt = now
	}
	q.UpdatedAt = now
	if q.Version == 0 {
		q.Version = 1
	}
	col, rec := s.db.Collection(colQuizzes), newQuizRecord(q)
	_, err := col.ReplaceOne(ctx, bson.M{"_id": q.ID}, rec, options.Replace().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		// Two deliveries upserted the same new quiz at once and the other
		// inserted first: the record exists now, so replacing it is safe.
		_, err = col.ReplaceOne(ctx, bson.M{"_id": q.ID}, rec)
	}
	if err != nil {
		return fmt.Errorf("save quiz: %w", err)
	}
	return nil
}

// UpdateQuiz replaces q if its stored version is still q.Version, and bumps
// the version. It returns ECONFLICT if someone else changed it meanwhile.
func (s *Store) UpdateQuiz(ctx context.Context, q *quizflow.Quiz) error {
	q.FillEmptyLists()
	prev := q.Version
	q.Version++
	q.UpdatedAt = s.now()
	res, err := s.db.Collection(colQuizzes).ReplaceOne(ctx, bson.M{"_id": q.ID, "version": prev}, newQuizRecord(q))
	if err != nil {
		q.Version = prev
		return fmt.Errorf("update quiz: %w", err)
	}
	if res.MatchedCount == 0 {
		q.Version = prev
		return quizflow.Errorf(quizflow.ECONFLICT, "The quiz was changed by another request; reload it and try again.")
	}
	return nil
}

// Quiz returns quiz id if owner owns it (owner "" skips the check), or ENOTFOUND.
func (s *Store) Quiz(ctx context.Context, id, owner string) (*quizflow.Quiz, error) {
	var r quizRecord
	if err := s.findOwned(ctx, colQuizzes, id, owner, "quiz", &r); err != nil {
		return nil, err
	}
	q := r.domain()
	return &q, nil
}

// Quizzes returns a page of owner's quizzes, newest first, and the next
// page's cursor. It returns EINVALID for a bad cursor.
func (s *Store) Quizzes(ctx context.Context, owner string, p quizflow.PageRequest) ([]quizflow.Quiz, string, error) {
	return pageOwned(ctx, s, colQuizzes, owner, p, nil, quizRecord.domain)
}

// QuizByCacheKey returns owner's newest quiz made with cache key key, or
// ENOTFOUND.
func (s *Store) QuizByCacheKey(ctx context.Context, owner, key string) (*quizflow.Quiz, error) {
	var r quizRecord
	err := s.db.Collection(colQuizzes).FindOne(ctx, bson.M{"owner_id": owner, "cache_key": key},
		options.FindOne().SetSort(bson.D{{Key: "created_at", Value: -1}})).Decode(&r)
	if err != nil {
		return nil, notFound(err, "quiz")
	}
	q := r.domain()
	return &q, nil
}

// DeleteQuizzesOfDocument removes owner's quizzes made from document docID.
func (s *Store) DeleteQuizzesOfDocument(ctx context.Context, owner, docID string) error {
	_, err := s.db.Collection(colQuizzes).DeleteMany(ctx, bson.M{"owner_id": owner, "document_id": docID})
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("delete quizzes: %w", err)
	}
	return nil
}

// DeleteQuiz removes quiz id.
func (s *Store) DeleteQuiz(ctx context.Context, id string) error {
	if _, err := s.db.Collection(colQuizzes).DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("delete quiz: %w", err)
	}
	return nil
}
