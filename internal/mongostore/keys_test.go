package mongostore_test

import (
	"context"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/mongostore"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
)

func newUser(email string) *quizflow.User {
	return &quizflow.User{Email: email, EmailKey: email, Name: "N", PasswordHash: "h"}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if quizflow.ErrorCode(err) != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

func TestQuizCacheKey(t *testing.T) {
	ctx, s := setup(t)
	owner := quizflow.NewID("usr")
	q := fullQuiz(owner)
	q.CacheKey = "ck-" + quizflow.NewID("k")
	_, err := s.QuizByCacheKey(ctx, owner, q.CacheKey)
	wantCode(t, "before save", err, quizflow.ENOTFOUND)
	for range 2 { // idempotent: a second delivery saves the same quiz again
		if err := s.SaveQuiz(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.QuizByCacheKey(ctx, owner, q.CacheKey)
	if err != nil || got.ID != q.ID {
		t.Fatalf("lookup: %v, %+v", err, got)
	}
	_, err = s.QuizByCacheKey(ctx, "usr_other", q.CacheKey)
	wantCode(t, "another owner", err, quizflow.ENOTFOUND)

	// A newer quiz with the same key wins.
	q2 := fullQuiz(owner)
	q2.CacheKey = q.CacheKey
	if err := s.SaveQuiz(ctx, q2); err != nil {
		t.Fatal(err)
	}
	if got, err := s.QuizByCacheKey(ctx, owner, q.CacheKey); err != nil || got.ID != q2.ID {
		t.Fatalf("after newer: %v, %+v", err, got)
	}
	// Deleting the older quiz leaves the key to the newer one.
	if err := s.DeleteQuiz(ctx, q.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.QuizByCacheKey(ctx, owner, q.CacheKey); err != nil || got.ID != q2.ID {
		t.Fatalf("after deleting the older: %v, %+v", err, got)
	}
	if err := s.DeleteQuizzesOfDocument(ctx, owner, q2.DocumentID); err != nil {
		t.Fatal(err)
	}
	_, err = s.QuizByCacheKey(ctx, owner, q.CacheKey)
	wantCode(t, "after delete", err, quizflow.ENOTFOUND)
	if n, _ := s.Database().Collection("quiz_cache_keys").CountDocuments(ctx, bson.M{"_id": q.CacheKey}); n != 0 {
		t.Errorf("key record left after delete: %d", n)
	}
}

// A crash between the key write and the quiz write leaves a key pointing at
// a missing quiz: a miss, and the next save repairs it.
func TestQuizCacheKeyCrashBetweenWrites(t *testing.T) {
	ctx, s := setup(t)
	owner := quizflow.NewID("usr")
	q := fullQuiz(owner)
	q.CacheKey = "ck-" + quizflow.NewID("k")
	keys := s.Database().Collection("quiz_cache_keys")
	if _, err := keys.InsertOne(ctx, bson.M{"_id": q.CacheKey, "owner_id": owner, "quiz_id": q.ID}); err != nil {
		t.Fatal(err)
	}
	_, err := s.QuizByCacheKey(ctx, owner, q.CacheKey)
	wantCode(t, "dangling key", err, quizflow.ENOTFOUND)
	if err := s.SaveQuiz(ctx, q); err != nil {
		t.Fatal(err)
	}
	if got, err := s.QuizByCacheKey(ctx, owner, q.CacheKey); err != nil || got.ID != q.ID {
		t.Fatalf("after save: %v, %+v", err, got)
	}
	// A key pointing at a quiz that no longer carries it is a miss too.
	if _, err := keys.InsertOne(ctx, bson.M{"_id": "ck-other", "owner_id": owner, "quiz_id": q.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = s.QuizByCacheKey(ctx, owner, "ck-other")
	wantCode(t, "key of another cache key", err, quizflow.ENOTFOUND)
}

func TestEmailKey(t *testing.T) {
	ctx, s := setup(t)
	u := newUser("a@example.com")
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByEmail(ctx, "a@example.com")
	if err != nil || got.ID != u.ID {
		t.Fatalf("lookup: %v, %+v", err, got)
	}
	wantCode(t, "duplicate", s.CreateUser(ctx, newUser("a@example.com")), quizflow.ECONFLICT)

	if err := s.SetEmail(ctx, u.ID, "b@example.com", "b@example.com"); err != nil {
		t.Fatal(err)
	}
	_, err = s.UserByEmail(ctx, "a@example.com")
	wantCode(t, "old address", err, quizflow.ENOTFOUND)
	if got, err := s.UserByEmail(ctx, "b@example.com"); err != nil || got.ID != u.ID {
		t.Fatalf("new address: %v, %+v", err, got)
	}
	// The old address is free again.
	v := newUser("a@example.com")
	if err := s.CreateUser(ctx, v); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "change to a taken address", s.SetEmail(ctx, u.ID, "a@example.com", "a@example.com"), quizflow.ECONFLICT)
	if got, err := s.UserByEmail(ctx, "a@example.com"); err != nil || got.ID != v.ID {
		t.Fatalf("after refused change: %v, %+v", err, got)
	}
	if got, err := s.SetOperator(ctx, "b@example.com", true); err != nil || !got.Admin || got.ID != u.ID {
		t.Fatalf("set operator: %v, %+v", err, got)
	}
}

// A crash after the key record was written but before the user was leaves
// a key pointing at no one: the address is unknown, and free to sign up.
func TestEmailKeyCrashBetweenWrites(t *testing.T) {
	ctx, s := setup(t)
	keys := s.Database().Collection("email_keys")
	if _, err := keys.InsertOne(ctx, bson.M{"_id": "c@example.com", "user_id": "usr_lost"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.UserByEmail(ctx, "c@example.com")
	wantCode(t, "dangling key", err, quizflow.ENOTFOUND)
	u := newUser("c@example.com")
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserByEmail(ctx, "c@example.com"); err != nil || got.ID != u.ID {
		t.Fatalf("after sign-up: %v, %+v", err, got)
	}
}

func TestEmailKeyConcurrentSignUps(t *testing.T) {
	ctx, s := setup(t)
	const n = 6
	users := make([]*quizflow.User, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		users[i] = newUser("d@example.com")
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.CreateUser(ctx, users[i])
		}()
	}
	wg.Wait()
	won := ""
	for i, err := range errs {
		switch {
		case err == nil && won != "":
			t.Fatalf("two sign-ups won: %s and %s", won, users[i].ID)
		case err == nil:
			won = users[i].ID
		default:
			wantCode(t, "loser", err, quizflow.ECONFLICT)
		}
	}
	if got, err := s.UserByEmail(ctx, "d@example.com"); err != nil || got.ID != won {
		t.Fatalf("lookup: %v, %+v (winner %s)", err, got, won)
	}
}

// A database written before email key records existed is backfilled when
// a store opens it.
func TestEmailKeyBackfill(t *testing.T) {
	env := testenv.New(t)
	ctx := t.Context()
	s, err := mongostore.Open(ctx, env.MongoURI, env.MongoDB)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	db := s.Database()
	if _, err := db.Collection("users").InsertOne(ctx, bson.M{"_id": "usr_old", "email": "e@example.com", "email_key": "e@example.com", "plan": "free"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("migrations").DeleteMany(ctx, bson.M{}); err != nil {
		t.Fatal(err)
	}
	s2, err := mongostore.Open(ctx, env.MongoURI, env.MongoDB)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close(context.Background())
	if got, err := s.UserByEmail(ctx, "e@example.com"); err != nil || got.ID != "usr_old" {
		t.Fatalf("after backfill: %v, %+v", err, got)
	}
}
