package mongostore_test

import (
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestShareKeyedRecords: one active share per quiz, found by quiz and by
// token through records keyed by _id; concurrent creations agree; a key
// left pointing at no share (a crash between the two writes) is taken
// over; revoking removes both.
func TestShareKeyedRecords(t *testing.T) {
	ctx, s := setup(t)
	owner, quizID := quizflow.NewID("usr"), quizflow.NewID("quiz")

	var wg sync.WaitGroup
	tokens := make([]string, 8)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sh, _, err := s.CreateShare(ctx, &quizflow.Share{Token: quizflow.NewID("tok"), QuizID: quizID, OwnerID: owner})
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i] = sh.Token
		}()
	}
	wg.Wait()
	for _, tk := range tokens[1:] {
		if tk != tokens[0] {
			t.Fatalf("concurrent creations answered different tokens: %v", tokens)
		}
	}
	if n, _ := s.Database().Collection("shares").CountDocuments(ctx, bson.M{"quiz_id": quizID}); n != 1 {
		t.Errorf("%d share records, want 1", n)
	}
	byQuiz, err := s.ShareOfQuiz(ctx, quizID)
	if err != nil || byQuiz.Token != tokens[0] {
		t.Fatalf("by quiz: %+v %v", byQuiz, err)
	}
	byToken, err := s.ShareByToken(ctx, tokens[0])
	if err != nil || byToken.QuizID != quizID || byToken.OwnerID != owner || byToken.CreatedAt.IsZero() {
		t.Fatalf("by token: %+v %v", byToken, err)
	}

	// Revoke, then a stale key (as a crash would leave) is taken over.
	if err := s.DeleteShare(ctx, quizID); err != nil {
		t.Fatal(err)
	}
	_, err = s.ShareByToken(ctx, tokens[0])
	wantCode(t, "revoked token", err, quizflow.ENOTFOUND)
	_, err = s.ShareOfQuiz(ctx, quizID)
	wantCode(t, "revoked quiz", err, quizflow.ENOTFOUND)
	if _, err := s.Database().Collection("quiz_shares").InsertOne(ctx, bson.M{"_id": quizID, "owner_id": owner, "token": "gone"}); err != nil {
		t.Fatal(err)
	}
	sh, created, err := s.CreateShare(ctx, &quizflow.Share{Token: "fresh", QuizID: quizID, OwnerID: owner})
	if err != nil || !created || sh.Token != "fresh" {
		t.Fatalf("over a stale key: %+v %v %v", sh, created, err)
	}
	if got, err := s.ShareOfQuiz(ctx, quizID); err != nil || got.Token != "fresh" {
		t.Errorf("after the takeover: %+v %v", got, err)
	}
}

// TestAttemptIdempotentAndListed: an attempt recorded twice under one ID
// is stored once and answered as the first; results round-trip with their
// answers' shapes; the listing is per quiz, newest first.
func TestAttemptIdempotentAndListed(t *testing.T) {
	ctx, s := setup(t)
	owner, quizID := quizflow.NewID("usr"), quizflow.NewID("quiz")
	results := []quizflow.QuestionResult{
		{QuestionID: "q1", Type: quizflow.MultipleAnswer, Score: 0.5, MaxScore: 1, Status: quizflow.ResultGraded,
			Answer: []string{"a"}, CorrectAnswer: []string{"a", "b"}, Explanation: "e"},
		{QuestionID: "q2", Type: quizflow.MultipleChoice, MaxScore: 1, Status: quizflow.ResultGraded, CorrectAnswer: "c"},
		{QuestionID: "q3", Type: quizflow.Essay, MaxScore: 2, Status: quizflow.ResultPendingReview, Answer: "text", CorrectAnswer: []string{}},
	}
	a := &quizflow.Attempt{ID: "att_fixed", QuizID: quizID, OwnerID: owner, ShareToken: "tok", Name: "Ada",
		Score: quizflow.Score{Score: 0.5, MaxScore: 4, Results: results}, PendingReview: 1}
	first, replayed, err := s.InsertAttempt(ctx, a)
	if err != nil || replayed {
		t.Fatal(err, replayed)
	}
	retry := *a
	retry.Name = "changed on retry"
	got, replayed, err := s.InsertAttempt(ctx, &retry)
	if err != nil || !replayed || got.Name != "Ada" || !got.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("retry: %+v %v %v", got, replayed, err)
	}
	if d := diff(results, got.Results); d != "" {
		t.Errorf("results round trip (-want +got):\n%s", d)
	}
	other := &quizflow.Attempt{ID: quizflow.NewID("att"), QuizID: quizID, OwnerID: owner, ShareToken: "tok"}
	if _, _, err := s.InsertAttempt(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.InsertAttempt(ctx, &quizflow.Attempt{ID: quizflow.NewID("att"), QuizID: "quiz_else", OwnerID: owner}); err != nil {
		t.Fatal(err)
	}
	list, next, err := s.Attempts(ctx, owner, quizID, quizflow.PageRequest{Limit: 10})
	if err != nil || next != "" || len(list) != 2 {
		t.Fatalf("list: %d %q %v", len(list), next, err)
	}
	if list[0].ID != other.ID && !list[0].CreatedAt.Equal(list[1].CreatedAt) {
		t.Errorf("not newest first: %s, %s", list[0].ID, list[1].ID)
	}
	if list, _, _ := s.Attempts(ctx, "usr_other", quizID, quizflow.PageRequest{Limit: 10}); len(list) != 0 {
		t.Errorf("another owner sees %d attempts", len(list))
	}
}
