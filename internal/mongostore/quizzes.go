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
	if q.CacheKey != "" {
		// The key first: a crash before the quiz is written leaves a key
		// pointing at a missing quiz, which QuizByCacheKey treats as absent.
		key := quizCacheKeyRecord{ID: q.CacheKey, OwnerID: q.OwnerID, QuizID: q.ID}
		if err := upsertByID(ctx, s.db.Collection(colQuizCacheKeys), key.ID, key); err != nil {
			return fmt.Errorf("save quiz cache key: %w", err)
		}
	}
	if err := upsertByID(ctx, s.db.Collection(colQuizzes), q.ID, newQuizRecord(q)); err != nil {
		return fmt.Errorf("save quiz: %w", err)
	}
	return nil
}

// upsertByID writes rec as the record with _id id, replacing any.
func upsertByID(ctx context.Context, col *mongo.Collection, id string, rec any) error {
	_, err := col.ReplaceOne(ctx, bson.M{"_id": id}, rec, options.Replace().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		// Two writers upserted the same new record at once and the other
		// inserted first: the record exists now, so replacing it is safe.
		_, err = col.ReplaceOne(ctx, bson.M{"_id": id}, rec)
	}
	return err
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
// ENOTFOUND. Two reads by _id: the key record, then the quiz it names; a
// key whose quiz is gone, or no longer carries the key, is absent.
func (s *Store) QuizByCacheKey(ctx context.Context, owner, key string) (*quizflow.Quiz, error) {
	var k quizCacheKeyRecord
	if err := s.db.Collection(colQuizCacheKeys).FindOne(ctx, bson.M{"_id": key}).Decode(&k); err != nil {
		return nil, notFound(err, "quiz")
	}
	if k.OwnerID != owner {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "quiz not found")
	}
	q, err := s.Quiz(ctx, k.QuizID, owner)
	if err != nil {
		return nil, err
	}
	if q.CacheKey != key {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "quiz not found")
	}
	return q, nil
}

// DeleteQuizzesOfDocument removes owner's quizzes made from document docID,
// with their share links and attempts, and then the cache keys that point
// at them.
func (s *Store) DeleteQuizzesOfDocument(ctx context.Context, owner, docID string) error {
	col := s.db.Collection(colQuizzes)
	cur, err := col.Find(ctx, bson.M{"owner_id": owner, "document_id": docID},
		options.Find().SetProjection(bson.M{"_id": 1, "cache_key": 1}))
	if err != nil {
		return fmt.Errorf("find quizzes: %w", err)
	}
	var recs []quizRecord
	if err := cur.All(ctx, &recs); err != nil {
		return fmt.Errorf("read quizzes: %w", err)
	}
	if _, err := col.DeleteMany(ctx, bson.M{"owner_id": owner, "document_id": docID}); err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("delete quizzes: %w", err)
	}
	for _, r := range recs {
		if err := s.deleteQuizCacheKey(ctx, r.CacheKey, r.ID); err != nil {
			return err
		}
		if err := s.deleteSharing(ctx, r.ID); err != nil {
			return err
		}
	}
	return nil
}

// DeleteQuiz removes quiz id, its share link and attempts, and then the
// cache key pointing at it.
func (s *Store) DeleteQuiz(ctx context.Context, id string) error {
	var r quizRecord
	err := s.db.Collection(colQuizzes).FindOne(ctx, bson.M{"_id": id},
		options.FindOne().SetProjection(bson.M{"_id": 1, "cache_key": 1})).Decode(&r)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("find quiz: %w", err)
	}
	if _, err := s.db.Collection(colQuizzes).DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("delete quiz: %w", err)
	}
	if err := s.deleteSharing(ctx, id); err != nil {
		return err
	}
	return s.deleteQuizCacheKey(ctx, r.CacheKey, id)
}

// deleteQuizCacheKey removes cache key key if it still points at quiz id.
func (s *Store) deleteQuizCacheKey(ctx context.Context, key, id string) error {
	if key == "" {
		return nil
	}
	if _, err := s.db.Collection(colQuizCacheKeys).DeleteOne(ctx, bson.M{"_id": key, "quiz_id": id}); err != nil {
		return fmt.Errorf("delete quiz cache key: %w", err)
	}
	return nil
}
