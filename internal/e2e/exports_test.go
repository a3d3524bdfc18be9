package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/export"
	"github.com/quizflow/quizflow/internal/export/exporttest"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// exportView is an export as the API returns it.
type exportView struct {
	quizflow.Export
	DownloadURL string `json:"download_url"`
}

type exportAnswer struct {
	Export exportView    `json:"export"`
	Job    *quizflow.Job `json:"job"`
	Reused bool          `json:"reused"`
}

type apiErrorBody struct {
	Error client.APIError `json:"error"`
}

// postExport asks for an export of quiz quizID with body, returning the
// status, the decoded answer (for 2xx) and the raw body.
func postExport(t *testing.T, s *stack, c *client.Client, quizID string, body any) (int, exportAnswer, string) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := raw(t, "POST", s.url+"/v1/quizzes/"+quizID+"/exports", c.Token, bytes.NewReader(b),
		map[string]string{"Content-Type": "application/json"})
	var a exportAnswer
	if code < 300 {
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatalf("decode export answer %s: %v", out, err)
		}
	}
	return code, a, out
}

// getExport fetches export id as c.
func getExport(t *testing.T, c *client.Client, id string) *exportView {
	t.Helper()
	var e exportView
	if err := c.Do(context.Background(), "GET", "/v1/exports/"+id, nil, &e); err != nil {
		t.Fatalf("get export %s: %v", id, err)
	}
	return &e
}

// noRedirect is an HTTP client that shows redirects instead of following
// them.
var noRedirect = &http.Client{
	Timeout:       time.Minute,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// download fetches an export's file as the API's redirect says: the API
// answers 302 to a presigned URL, which a plain client (no token) follows.
func download(t *testing.T, s *stack, c *client.Client, id string) (body []byte, contentType, filename string) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/v1/exports/"+id+"/download", nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("download %s = %d, want 302", id, resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("download redirect Cache-Control = %q, want no-store", cc)
	}
	loc := resp.Header.Get("Location")
	if !strings.Contains(loc, "X-Amz-Expires=300") {
		t.Errorf("presigned URL %q is not valid for 5 minutes", loc)
	}
	fresp, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	defer fresp.Body.Close()
	body, err = io.ReadAll(fresp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if fresp.StatusCode != http.StatusOK {
		t.Fatalf("presigned GET = %d: %s", fresp.StatusCode, body)
	}
	disp, params, err := mime.ParseMediaType(fresp.Header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" {
		t.Errorf("Content-Disposition = %q (%v), want an attachment", fresp.Header.Get("Content-Disposition"), err)
	}
	return body, fresp.Header.Get("Content-Type"), params["filename"]
}

// me returns the user behind c.
func me(t *testing.T, c *client.Client) *quizflow.User {
	t.Helper()
	var u quizflow.User
	if err := c.Do(context.Background(), "GET", "/v1/me", nil, &u); err != nil {
		t.Fatal(err)
	}
	return &u
}

// exportJobs counts c's export jobs.
func exportJobs(t *testing.T, c *client.Client) int {
	t.Helper()
	var jl struct{ Jobs []quizflow.Job }
	if err := c.Do(context.Background(), "GET", "/v1/jobs", nil, &jl); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range jl.Jobs {
		if j.Kind == quizflow.JobExport {
			n++
		}
	}
	return n
}

// TestExports drives quiz:export end to end: every format through the API
// and a real worker, downloads through the presigned redirect compared with
// a fresh rendering, reuse of identical requests, new exports for new
// options and new quiz versions, validation, isolation and listing.
func TestExports(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	alice, bob := s.user("Alice"), s.user("Bob")
	up, err := alice.UploadFile(ctx, fixture(t, "lesson.md"), map[string]string{"question_count": "4"})
	if err != nil {
		t.Fatal(err)
	}
	qjob := waitJob(t, alice, up.Job.ID)
	if qjob.Status != quizflow.StatusSucceeded {
		t.Fatalf("quiz job: %+v", qjob.Error)
	}
	quiz, err := alice.Quiz(ctx, qjob.Result.QuizID)
	if err != nil {
		t.Fatal(err)
	}

	// The formats are public.
	var fl struct{ Formats []export.Format }
	if code, body, _ := raw(t, "GET", s.url+"/v1/export-formats", "", nil, nil); code != 200 {
		t.Fatalf("export-formats = %d %s", code, body)
	} else if err := json.Unmarshal([]byte(body), &fl); err != nil {
		t.Fatal(err)
	}
	if len(fl.Formats) != len(export.Formats()) || len(fl.Formats) < 8 {
		t.Fatalf("export-formats lists %d formats, want %d", len(fl.Formats), len(export.Formats()))
	}
	for _, f := range fl.Formats {
		if f.Name == "" || f.ContentType == "" || f.Extension == "" || len(f.QuestionTypes) == 0 {
			t.Errorf("format %+v lacks a field", f)
		}
	}

	// Every format, with non-default options.
	opts := map[string]any{"points_per_question": 2.5, "include_feedback": true}
	want := quizflow.ExportOptions{PointsPerQuestion: 2.5, IncludeFeedback: true}
	first := map[string]exportAnswer{}
	for _, f := range fl.Formats {
		t.Run(f.Name, func(t *testing.T) {
			code, a, body := postExport(t, s, alice, quiz.ID, map[string]any{"format": f.Name, "options": opts})
			if code != http.StatusAccepted {
				t.Fatalf("POST export = %d %s, want 202", code, body)
			}
			first[f.Name] = a
			e := a.Export
			if !quizflow.ValidID("exp", e.ID) || e.Status != quizflow.StatusQueued || e.Format != f.Name ||
				e.QuizID != quiz.ID || e.QuizVersion != quiz.Version || e.Options != want || a.Reused || e.DownloadURL != "" {
				t.Errorf("new export = %+v reused=%v", e, a.Reused)
			}
			if a.Job == nil || a.Job.Kind != quizflow.JobExport || a.Job.Status != quizflow.StatusQueued || a.Job.ID != e.JobID {
				t.Fatalf("new export job = %+v", a.Job)
			}
			job := waitJob(t, alice, a.Job.ID)
			if job.Status != quizflow.StatusSucceeded || job.Result.ExportID != e.ID || job.Progress != 100 {
				t.Fatalf("export job = %+v error %+v", job, job.Error)
			}
			got := getExport(t, alice, e.ID)
			if got.Status != quizflow.StatusSucceeded || got.DownloadURL != "/v1/exports/"+e.ID+"/download" ||
				got.ContentType != f.ContentType || !strings.HasSuffix(got.FileName, f.Extension) || got.Size == 0 || got.Error != nil {
				t.Errorf("finished export = %+v", got)
			}
			body2, ctype, name := download(t, s, alice, e.ID)
			fresh, err := export.Render(quiz, f.Name, quizflow.ExportOptions{PointsPerQuestion: 2.5, IncludeFeedback: true})
			if err != nil {
				t.Fatal(err)
			}
			if ctype != f.ContentType || ctype != fresh.ContentType {
				t.Errorf("Content-Type = %q, want %q", ctype, f.ContentType)
			}
			if name != got.FileName || name != fresh.Name {
				t.Errorf("file name %q, export says %q, render says %q", name, got.FileName, fresh.Name)
			}
			if len(body2) == 0 || int64(len(body2)) != got.Size || !bytes.Equal(body2, fresh.Data) {
				t.Errorf("downloaded %d bytes (export size %d) differ from a fresh rendering (%d bytes)", len(body2), got.Size, len(fresh.Data))
			}
			if f.Name == "qti12-canvas" || f.Name == "qti21" {
				// What users download validates against the IMS schemas.
				exporttest.ValidatePackage(t, f.Name, body2)
			}
			if strings.Join(got.Warnings, "\n") != strings.Join(fresh.Warnings, "\n") || strings.Join(job.Warnings, "\n") != strings.Join(fresh.Warnings, "\n") {
				t.Errorf("warnings: export %q job %q render %q", got.Warnings, job.Warnings, fresh.Warnings)
			}
		})
	}
	if t.Failed() {
		t.FailNow()
	}

	// The same request again reuses the finished export: 200, no new job.
	jobsBefore := exportJobs(t, alice)
	orig := first["html"]
	code, again, body := postExport(t, s, alice, quiz.ID, map[string]any{"format": "html", "options": opts})
	if code != http.StatusOK || !again.Reused || again.Export.ID != orig.Export.ID || again.Job == nil || again.Job.ID != orig.Job.ID ||
		again.Export.DownloadURL == "" {
		t.Errorf("identical request = %d %s, want 200 reusing export %s", code, body, orig.Export.ID)
	}
	// Defaults are canonical: points 1 spelled out or left out is the same export.
	_, d1, _ := postExport(t, s, alice, quiz.ID, map[string]any{"format": "gift"})
	waitJob(t, alice, d1.Job.ID)
	code, d2, _ := postExport(t, s, alice, quiz.ID, map[string]any{"format": "gift", "options": map[string]any{"points_per_question": 1, "shuffle_answers": false}})
	if code != http.StatusOK || d2.Export.ID != d1.Export.ID {
		t.Errorf("default options spelled out = %d, export %s, want 200 and %s", code, d2.Export.ID, d1.Export.ID)
	}
	if n := exportJobs(t, alice); n != jobsBefore+1 {
		t.Errorf("%d export jobs after reuse, want %d", n, jobsBefore+1)
	}

	// A different option is a different export.
	code, shuffled, body := postExport(t, s, alice, quiz.ID, map[string]any{"format": "html", "options": map[string]any{"points_per_question": 2.5, "include_feedback": true, "shuffle_answers": true}})
	if code != http.StatusAccepted || shuffled.Export.ID == orig.Export.ID || shuffled.Reused {
		t.Errorf("different options = %d %s, want 202 and a new export", code, body)
	}
	if j := waitJob(t, alice, shuffled.Job.ID); j.Status != quizflow.StatusSucceeded {
		t.Errorf("shuffled export job: %+v", j.Error)
	}

	// Editing the quiz makes a new version, hence a new export.
	var edited quizflow.Quiz
	if err := alice.Do(ctx, "PATCH", "/v1/quizzes/"+quiz.ID, map[string]any{"title": "Renamed lesson"}, &edited); err != nil {
		t.Fatal(err)
	}
	if edited.Version != quiz.Version+1 {
		t.Fatalf("edited quiz version %d, want %d", edited.Version, quiz.Version+1)
	}
	code, v2, body := postExport(t, s, alice, quiz.ID, map[string]any{"format": "html", "options": opts})
	if code != http.StatusAccepted || v2.Export.ID == orig.Export.ID || v2.Export.QuizVersion != edited.Version {
		t.Fatalf("export after edit = %d %s, want 202 and a new export of version %d", code, body, edited.Version)
	}
	waitJob(t, alice, v2.Job.ID)
	if e := getExport(t, alice, v2.Export.ID); e.Status != quizflow.StatusSucceeded || e.QuizVersion != edited.Version || !strings.HasPrefix(e.FileName, "renamed-lesson") {
		t.Errorf("export after edit = %+v", e)
	}
	if e := getExport(t, alice, orig.Export.ID); e.QuizVersion != quiz.Version || e.Status != quizflow.StatusSucceeded {
		t.Errorf("the first version's export changed: %+v", e)
	}

	// Validation names the field.
	bad := []struct {
		body  any
		field string
	}{
		{map[string]any{"format": "pdf"}, "format"},
		{map[string]any{}, "format"},
		{nil, "format"},
		{map[string]any{"format": 7}, "format"},
		{map[string]any{"format": "csv", "options": map[string]any{"points_per_question": 0}}, "options.points_per_question"},
		{map[string]any{"format": "csv", "options": map[string]any{"points_per_question": -1}}, "options.points_per_question"},
		{map[string]any{"format": "csv", "options": map[string]any{"points_per_question": 1001}}, "options.points_per_question"},
		{map[string]any{"format": "csv", "options": map[string]any{"points_per_question": "two"}}, "options.points_per_question"},
		{map[string]any{"format": "csv", "options": map[string]any{"shuffle_answers": "yes"}}, "options.shuffle_answers"},
	}
	for _, b := range bad {
		code, _, body := postExport(t, s, alice, quiz.ID, b.body)
		var eb apiErrorBody
		_ = json.Unmarshal([]byte(body), &eb)
		if code != 400 || eb.Error.Field != b.field || eb.Error.Code != quizflow.EINVALID {
			t.Errorf("POST %v = %d %s, want 400 naming %s", b.body, code, body, b.field)
		}
	}
	if _, _, body := postExport(t, s, alice, quiz.ID, map[string]any{"format": "pdf"}); !strings.Contains(body, "qti12-canvas") || !strings.Contains(body, "moodle-xml") {
		t.Errorf("unknown format error does not list the formats: %s", body)
	}

	// Another user's quiz, export and download are not found, exactly like
	// missing ones; anonymous callers are unauthorized.
	paths := []struct{ method, path, missing string }{
		{"POST", "/v1/quizzes/" + quiz.ID + "/exports", "/v1/quizzes/quiz_aaaaaaaaaaaaaaaaaaaaaaaa/exports"},
		{"GET", "/v1/exports/" + orig.Export.ID, "/v1/exports/exp_aaaaaaaaaaaaaaaaaaaaaaaa"},
		{"GET", "/v1/exports/" + orig.Export.ID + "/download", "/v1/exports/exp_aaaaaaaaaaaaaaaaaaaaaaaa/download"},
	}
	for _, p := range paths {
		body := strings.NewReader(`{"format":"html"}`)
		hdr := map[string]string{"Content-Type": "application/json"}
		code, bobBody, _ := raw(t, p.method, s.url+p.path, bob.Token, body, hdr)
		mcode, missingBody, _ := raw(t, p.method, s.url+p.missing, bob.Token, strings.NewReader(`{"format":"html"}`), hdr)
		if code != 404 || mcode != 404 || stripRequestID(bobBody) != stripRequestID(missingBody) {
			t.Errorf("%s %s as Bob = %d %s; missing = %d %s; want identical 404s", p.method, p.path, code, bobBody, mcode, missingBody)
		}
		if code, _, _ := raw(t, p.method, s.url+p.path, "", strings.NewReader(`{"format":"html"}`), hdr); code != 401 {
			t.Errorf("%s %s anonymously = %d, want 401", p.method, p.path, code)
		}
	}
	for _, p := range []string{"/v1/exports/..%2f..", "/v1/exports/" + strings.Repeat("x", 3000) + "/download"} {
		if code, body, _ := raw(t, "GET", s.url+p, alice.Token, nil, nil); code != 404 {
			t.Errorf("GET %s = %d %s, want 404", p[:min(len(p), 40)], code, body)
		}
	}
	var bobList struct{ Exports []exportView }
	if err := bob.Do(ctx, "GET", "/v1/exports", nil, &bobList); err != nil || len(bobList.Exports) != 0 {
		t.Errorf("Bob's exports = %d (%v), want none", len(bobList.Exports), err)
	}

	// Listing: the caller's exports, newest first, optionally of one quiz.
	var list struct{ Exports []exportView }
	if err := alice.Do(ctx, "GET", "/v1/exports", nil, &list); err != nil {
		t.Fatal(err)
	}
	wantN := len(fl.Formats) + 3 // + gift with defaults, shuffled html, html of version 2
	if len(list.Exports) != wantN {
		t.Errorf("%d exports listed, want %d", len(list.Exports), wantN)
	}
	for i, e := range list.Exports {
		if i > 0 && e.CreatedAt.After(list.Exports[i-1].CreatedAt) {
			t.Errorf("exports not newest first at %d", i)
		}
		if e.Status == quizflow.StatusSucceeded && e.DownloadURL == "" {
			t.Errorf("listed export %s has no download_url", e.ID)
		}
	}
	if err := alice.Do(ctx, "GET", "/v1/exports?quiz_id=quiz_aaaaaaaaaaaaaaaaaaaaaaaa", nil, &list); err != nil || len(list.Exports) != 0 {
		t.Errorf("exports of another quiz = %d (%v), want none", len(list.Exports), err)
	}
	if err := alice.Do(ctx, "GET", "/v1/exports?quiz_id=nope", nil, nil); client.StatusOf(err) != 400 {
		t.Errorf("exports?quiz_id=nope = %v, want 400", err)
	}
}

// TestExportNothingToCarry: a quiz holding only questions a format cannot
// carry fails its export job, and the export, with a clear message; the
// download answers 409; asking again retries under a new job.
func TestExportNothingToCarry(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	alice := s.user("Alice")
	q := &quizflow.Quiz{
		ID: quizflow.NewID("quiz"), OwnerID: me(t, alice).ID, Title: "Matching only", Language: "en",
		Questions: []quizflow.Question{
			{ID: "q1", Type: quizflow.Matching, Prompt: "Match the organelle to its job.",
				Pairs: []quizflow.Pair{{Left: "Chloroplast", Right: "Photosynthesis"}, {Left: "Mitochondrion", Right: "Respiration"}}},
			{ID: "q2", Type: quizflow.Essay, Prompt: "Explain why leaves are green."},
		},
	}
	if err := s.app.Store.SaveQuiz(ctx, q); err != nil {
		t.Fatal(err)
	}
	code, a, body := postExport(t, s, alice, q.ID, map[string]any{"format": "aiken"})
	if code != http.StatusAccepted {
		t.Fatalf("POST aiken = %d %s", code, body)
	}
	job := waitJob(t, alice, a.Job.ID)
	if job.Status != quizflow.StatusFailed || job.Error == nil || job.Error.Code != quizflow.EINVALID ||
		!strings.Contains(job.Error.Message, "no questions that Aiken can carry") {
		t.Fatalf("aiken job = %+v error %+v, want failed: no questions that Aiken can carry", job, job.Error)
	}
	e := getExport(t, alice, a.Export.ID)
	if e.Status != quizflow.StatusFailed || e.Error == nil || e.Error.Message != job.Error.Message || e.DownloadURL != "" {
		t.Errorf("failed export = %+v error %+v", e, e.Error)
	}
	code, dl, _ := raw(t, "GET", s.url+"/v1/exports/"+e.ID+"/download", alice.Token, nil, nil)
	if code != http.StatusConflict || !strings.Contains(dl, "Aiken") {
		t.Errorf("download of a failed export = %d %s, want 409 saying why", code, dl)
	}

	// A failed export is not reused: the request runs again, under a new job.
	code, retry, body := postExport(t, s, alice, q.ID, map[string]any{"format": "aiken"})
	if code != http.StatusAccepted || retry.Reused || retry.Export.ID != e.ID || retry.Job.ID == a.Job.ID {
		t.Errorf("retry of a failed export = %d %s, want 202, same export, new job", code, body)
	}
	if j := waitJob(t, alice, retry.Job.ID); j.Status != quizflow.StatusFailed {
		t.Errorf("retried aiken job = %+v", j)
	}

	// The same quiz exports fine where its questions fit.
	code, ok, body := postExport(t, s, alice, q.ID, map[string]any{"format": "moodle-xml"})
	if code != http.StatusAccepted {
		t.Fatalf("POST moodle-xml = %d %s", code, body)
	}
	if j := waitJob(t, alice, ok.Job.ID); j.Status != quizflow.StatusSucceeded {
		t.Errorf("moodle-xml job: %+v", j.Error)
	}
}

// TestExportPending: while an export waits for a worker, an identical
// request reuses it (202, same job) and its download answers 409.
func TestExportPending(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	alice := s.user("Alice")
	s.stopWorker()
	q := &quizflow.Quiz{
		ID: quizflow.NewID("quiz"), OwnerID: me(t, alice).ID, Title: "Pending", Language: "en",
		Questions: []quizflow.Question{{ID: "q1", Type: quizflow.TrueFalse, Prompt: "Leaves are green.",
			Options: []quizflow.Option{{ID: "t", Text: "True", Correct: true}, {ID: "f", Text: "False"}}}},
	}
	if err := s.app.Store.SaveQuiz(ctx, q); err != nil {
		t.Fatal(err)
	}
	code, a, body := postExport(t, s, alice, q.ID, map[string]any{"format": "qti21"})
	if code != http.StatusAccepted {
		t.Fatalf("POST = %d %s", code, body)
	}
	code, b, body := postExport(t, s, alice, q.ID, map[string]any{"format": "qti21"})
	if code != http.StatusAccepted || !b.Reused || b.Export.ID != a.Export.ID || b.Job == nil || b.Job.ID != a.Job.ID {
		t.Errorf("identical request while queued = %d %s, want 202 reusing job %s", code, body, a.Job.ID)
	}
	code, dl, _ := raw(t, "GET", s.url+"/v1/exports/"+a.Export.ID+"/download", alice.Token, nil, nil)
	if code != http.StatusConflict || !strings.Contains(dl, "not ready") {
		t.Errorf("download while queued = %d %s, want 409", code, dl)
	}
	if n := exportJobs(t, alice); n != 1 {
		t.Errorf("%d export jobs, want 1", n)
	}
}
