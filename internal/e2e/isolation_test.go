package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestOwnerIsolation: a user sees only their own documents, jobs and
// quizzes; others' ids answer 404 exactly like ids that do not exist.
func TestOwnerIsolation(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	alice, bob := s.user("Alice"), s.user("Bob")
	up, err := alice.UploadFile(ctx, fixture(t, "lesson.md"), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	job := waitJob(t, alice, up.Job.ID)
	if job.Status != quizflow.StatusSucceeded {
		t.Fatalf("job: %+v", job.Error)
	}
	paths := []struct{ method, path string }{
		{"GET", "/v1/documents/" + up.Document.ID},
		{"GET", "/v1/documents/" + up.Document.ID + "/text"},
		{"DELETE", "/v1/documents/" + up.Document.ID},
		{"GET", "/v1/jobs/" + up.Job.ID},
		{"GET", "/v1/quizzes/" + job.Result.QuizID},
	}
	for _, p := range paths {
		code, bobBody, _ := raw(t, p.method, s.url+p.path, bob.Token, nil, nil)
		missing := strings.Replace(p.path, up.Document.ID, "doc_aaaaaaaaaaaaaaaaaaaaaaaa", 1)
		missing = strings.Replace(missing, up.Job.ID, "job_aaaaaaaaaaaaaaaaaaaaaaaa", 1)
		missing = strings.Replace(missing, job.Result.QuizID, "quiz_aaaaaaaaaaaaaaaaaaaaaaaa", 1)
		mcode, missingBody, _ := raw(t, p.method, s.url+missing, bob.Token, nil, nil)
		if code != 404 || mcode != 404 {
			t.Errorf("%s %s as Bob = %d, missing id = %d; want 404 for both", p.method, p.path, code, mcode)
		}
		if stripRequestID(bobBody) != stripRequestID(missingBody) {
			t.Errorf("%s: another user's id answers differently from a missing one:\n%s\n%s", p.path, bobBody, missingBody)
		}
		if code, _, _ := raw(t, p.method, s.url+p.path, "", nil, nil); code != 401 {
			t.Errorf("%s %s anonymously = %d, want 401", p.method, p.path, code)
		}
	}
	for _, list := range []string{"/v1/documents", "/v1/jobs", "/v1/quizzes"} {
		var out map[string]any
		if err := bob.Do(ctx, "GET", list, nil, &out); err != nil {
			t.Fatal(err)
		}
		for k, v := range out {
			if items, ok := v.([]any); ok && len(items) != 0 {
				t.Errorf("Bob's %s lists %d of Alice's %s", list, len(items), k)
			}
		}
	}
	// Alice still has everything (Bob's DELETE did nothing).
	if err := alice.Do(ctx, "GET", "/v1/documents/"+up.Document.ID, nil, nil); err != nil {
		t.Errorf("Alice's document after Bob's delete attempt: %v", err)
	}
	// Malformed ids are 404 too, never 500.
	for _, p := range []string{"/v1/documents/%24where", "/v1/jobs/..%2f..", "/v1/quizzes/" + strings.Repeat("x", 5000)} {
		if code, body, _ := raw(t, "GET", s.url+p, alice.Token, nil, nil); code != 404 {
			t.Errorf("GET %s = %d %s, want 404", p[:min(len(p), 40)], code, body)
		}
	}
}

func stripRequestID(body string) string {
	if i := strings.Index(body, `"request_id"`); i >= 0 {
		return body[:i]
	}
	return body
}
