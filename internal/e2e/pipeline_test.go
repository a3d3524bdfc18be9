package e2e_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/s3blob"

	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestUploadToQuiz drives the whole pipeline through the HTTP API and a real
// worker for documents made by real tools: LibreOffice and Chromium PDFs, a
// pandoc DOCX, a LibreOffice DOCX, a text file and Markdown.
func TestUploadToQuiz(t *testing.T) {
	s := setup(t)
	c := s.user("Teacher")
	ctx := context.Background()
	tests := []struct {
		file     string
		kind     string
		count    int
		minPages int
	}{
		{"libreoffice-handbook-10p.pdf", quizflow.KindPDF, 10, 10},
		{"chromium-print.pdf", quizflow.KindPDF, 5, 1},
		{"pandoc-handbook.docx", quizflow.KindDOCX, 8, 1},
		{"libreoffice.docx", quizflow.KindDOCX, 4, 1},
		{"notes-bom-crlf.txt", quizflow.KindText, 3, 1},
		{"lesson.md", quizflow.KindMarkdown, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			up, err := c.UploadFile(ctx, fixture(t, tt.file), map[string]string{"question_count": strconv.Itoa(tt.count)})
			if err != nil {
				t.Fatal(err)
			}
			if up.Document.Kind != tt.kind {
				t.Errorf("kind = %q, want %q", up.Document.Kind, tt.kind)
			}
			if len(up.Document.SHA256) != 64 || up.Document.Size == 0 {
				t.Errorf("document sha256 %q size %d", up.Document.SHA256, up.Document.Size)
			}
			if up.Job.Status != quizflow.StatusQueued || up.Job.Kind != quizflow.JobQuiz {
				t.Errorf("new job = %+v", up.Job)
			}
			job := waitJob(t, c, up.Job.ID)
			if job.Status != quizflow.StatusSucceeded || job.Result.QuizID == "" || job.Progress != 100 {
				t.Fatalf("job = %+v, error %+v", job, job.Error)
			}
			q, err := c.Quiz(ctx, job.Result.QuizID)
			if err != nil {
				t.Fatal(err)
			}
			var text struct {
				Pages []quizflow.Page `json:"pages"`
			}
			if err := c.Do(ctx, "GET", "/v1/documents/"+up.Document.ID+"/text", nil, &text); err != nil {
				t.Fatal(err)
			}
			if len(text.Pages) < tt.minPages {
				t.Errorf("text has %d pages, want >= %d", len(text.Pages), tt.minPages)
			}
			if len(q.Questions) != tt.count && len(q.Warnings) == 0 {
				t.Errorf("quiz has %d questions, want %d (or a warning)", len(q.Questions), tt.count)
			}
			if len(q.Questions) == 0 {
				t.Fatal("quiz has no questions")
			}
			for _, qu := range q.Questions {
				if err := qcheck.Validate(qu); err != nil {
					t.Errorf("question %s invalid: %v", qu.ID, err)
				}
				if !qcheck.Grounded(qu, text.Pages) {
					t.Errorf("question %s quote %q not found on page %d", qu.ID, qu.Source.Quote, qu.Source.Page)
				}
				if !qu.Verified {
					t.Errorf("question %s not verified", qu.ID)
				}
			}
			doc := new(quizflow.Document)
			if err := c.Do(ctx, "GET", "/v1/documents/"+up.Document.ID, nil, doc); err != nil {
				t.Fatal(err)
			}
			if doc.Status != quizflow.DocumentExtracted || doc.PageCount != len(text.Pages) || doc.WordCount == 0 {
				t.Errorf("document after extraction = %+v", doc)
			}
		})
	}

	// Listings: newest first, the caller's only.
	var jl struct{ Jobs []quizflow.Job }
	if err := c.Do(ctx, "GET", "/v1/jobs", nil, &jl); err != nil {
		t.Fatal(err)
	}
	if len(jl.Jobs) != len(tests) {
		t.Fatalf("%d jobs listed, want %d", len(jl.Jobs), len(tests))
	}
	for i := 1; i < len(jl.Jobs); i++ {
		if jl.Jobs[i].CreatedAt.After(jl.Jobs[i-1].CreatedAt) {
			t.Errorf("jobs not newest first at %d", i)
		}
	}
	var ql struct {
		Quizzes []struct {
			ID            string `json:"id"`
			QuestionCount int    `json:"question_count"`
		}
	}
	if err := c.Do(ctx, "GET", "/v1/quizzes", nil, &ql); err != nil {
		t.Fatal(err)
	}
	if len(ql.Quizzes) != len(tests) {
		t.Errorf("%d quizzes listed, want %d", len(ql.Quizzes), len(tests))
	}
}

// TestDeleteDocument removes the blobs and every record of a document.
func TestDeleteDocument(t *testing.T) {
	s := setup(t)
	c := s.user("Deleter")
	ctx := context.Background()
	up, err := c.UploadFile(ctx, fixture(t, "lesson.md"), nil)
	if err != nil {
		t.Fatal(err)
	}
	job := waitJob(t, c, up.Job.ID)
	if job.Status != quizflow.StatusSucceeded {
		t.Fatalf("job %+v", job.Error)
	}
	var ex struct {
		Export quizflow.Export `json:"export"`
		Job    quizflow.Job    `json:"job"`
	}
	if err := c.Do(ctx, "POST", "/v1/quizzes/"+job.Result.QuizID+"/exports", map[string]any{"format": "gift"}, &ex); err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c, ex.Job.ID); j.Status != quizflow.StatusSucceeded {
		t.Fatalf("export job %+v", j.Error)
	}
	if err := c.Do(ctx, "GET", "/v1/exports/"+ex.Export.ID, nil, &ex.Export); err != nil {
		t.Fatal(err)
	}
	exportKey := exportBlobKey(t, s, ex.Export.ID)
	original := s3blob.OriginalKey(up.Document.OwnerID, up.Document.ID)
	text := s3blob.TextKey(up.Document.OwnerID, up.Document.ID)
	for _, k := range []string{original, text, exportKey} {
		if ok, err := s.app.Blobs.Exists(ctx, k); err != nil || !ok {
			t.Fatalf("blob %s before delete: exists=%v err=%v", k, ok, err)
		}
	}
	if err := c.Do(ctx, "DELETE", "/v1/documents/"+up.Document.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{original, text, exportKey} {
		if ok, err := s.app.Blobs.Exists(ctx, k); err != nil || ok {
			t.Errorf("blob %s after delete: exists=%v err=%v", k, ok, err)
		}
	}
	for _, path := range []string{"/v1/documents/" + up.Document.ID, "/v1/jobs/" + up.Job.ID, "/v1/quizzes/" + job.Result.QuizID, "/v1/exports/" + ex.Export.ID} {
		err := c.Do(ctx, "GET", path, nil, nil)
		if code := client.StatusOf(err); code != 404 {
			t.Errorf("GET %s after delete = %d (%v), want 404", path, code, err)
		}
	}
}

// exportBlobKey reads an export's blob key from the store (it is not in
// the API's JSON).
func exportBlobKey(t *testing.T, s *stack, id string) string {
	t.Helper()
	e, err := s.app.Store.Export(context.Background(), id, "")
	if err != nil || e.BlobKey == "" {
		t.Fatalf("export %s: %+v %v", id, e, err)
	}
	return e.BlobKey
}
