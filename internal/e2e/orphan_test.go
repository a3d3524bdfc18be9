package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestDeleteDuringGenerationLeavesNothing deletes a document while its
// quiz is being written: the job fails saying so, and no quiz of the
// document remains (the generate handler used to check the document only
// at its start and then save an orphan).
func TestDeleteDuringGenerationLeavesNothing(t *testing.T) {
	t.Parallel()
	fake := fakeopenai.New()
	defer fake.Close()
	fake.SetScript(fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Delay: 1500 * time.Millisecond}))
	s := setup(t, withModel(fake))
	c := s.user("Dora")
	ctx := context.Background()
	up, err := c.UploadReader(ctx, "lesson.md", strings.NewReader("# Lesson\n\n"+loremLesson), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, func() (bool, string) {
		n := fake.Count(fakeopenai.KindQuestions)
		return n > 0, fmt.Sprintf("%d model calls", n)
	})
	if code, body, _ := raw(t, "DELETE", s.url+"/v1/documents/"+up.Document.ID, c.Token, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete = %d %s", code, body)
	}
	// The job's record went with the document; wait for the worker to be
	// done with the task, then look for any quiz of the document.
	waitQueuesEmpty(t, s)
	n, err := s.app.Store.Database().Collection("quizzes").CountDocuments(ctx, bson.M{"document_id": up.Document.ID})
	if err != nil || n != 0 {
		t.Errorf("%d quizzes of the deleted document remain (err %v), want 0", n, err)
	}
	var qs struct {
		Quizzes []quizflow.Quiz `json:"quizzes"`
	}
	if err := c.Do(ctx, "GET", "/v1/quizzes", nil, &qs); err != nil || len(qs.Quizzes) != 0 {
		t.Errorf("quizzes listed after the delete: %d (%v)", len(qs.Quizzes), err)
	}
}
