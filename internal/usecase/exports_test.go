package usecase_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/export"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/usecase"
	"github.com/quizflow/quizflow/jobs"
)

// wantExportTasks fails t unless the queue holds exactly the quiz:export
// tasks of starts, in order.
func wantExportTasks(t *testing.T, b *bundle, starts ...*quizflow.ExportStart) {
	t.Helper()
	var want, got []jobs.ExportPayload
	for _, st := range starts {
		want = append(want, jobs.ExportPayload{JobID: st.Job.ID, ExportID: st.Export.ID, OwnerID: st.Export.OwnerID, RequestID: st.Job.RequestID})
	}
	for _, task := range b.queue.queued() {
		if task.Type != jobs.TypeQuizExport {
			t.Errorf("task type = %q, want %q", task.Type, jobs.TypeQuizExport)
		}
		got = append(got, payload[jobs.ExportPayload](t, task))
	}
	if d := diff(want, got); d != "" {
		t.Errorf("export tasks (-want +got):\n%s", d)
	}
}

func TestCreateExport(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
	ctx := quizflow.WithRequestID(b.ctx, "req-export-1")
	st, err := b.svc.Exports.CreateExport(ctx, b.user, q.ID, quizflow.ExportRequest{
		Format: " GIFT ", Options: quizflow.ExportOptions{ShuffleAnswers: true},
	})
	must(t, err)
	if st.Reused {
		t.Error("Reused = true for a new export")
	}

	opts := quizflow.ExportOptions{PointsPerQuestion: 1, ShuffleAnswers: true}
	key := quizflow.ExportCacheKey(q.ID, q.Version, "gift", opts)
	wantExport := quizflow.Export{
		ID: quizflow.ExportIDFor(b.user.ID, key), OwnerID: b.user.ID, QuizID: q.ID, DocumentID: q.DocumentID,
		QuizVersion: q.Version, Format: "gift", Options: opts, Status: quizflow.StatusQueued, JobID: st.Job.ID,
		Warnings: []string{}, CacheKey: key, CreatedAt: st.Export.CreatedAt, UpdatedAt: st.Export.UpdatedAt,
	}
	if d := diff(wantExport, *st.Export); d != "" {
		t.Errorf("export (-want +got):\n%s", d)
	}
	if stored, _ := b.store.storedExport(wantExport.ID); diff(wantExport, stored) != "" {
		t.Errorf("stored export (-want +got):\n%s", diff(wantExport, stored))
	}
	wantJob := quizflow.Job{
		ID: st.Job.ID, OwnerID: b.user.ID, Kind: quizflow.JobExport, Status: quizflow.StatusQueued, Stage: quizflow.StageQueued,
		DocumentID: q.DocumentID, QuizID: q.ID, ExportID: wantExport.ID, RequestID: "req-export-1",
		CreatedAt: st.Job.CreatedAt, UpdatedAt: st.Job.UpdatedAt,
	}
	if d := diff(wantJob, *st.Job); d != "" {
		t.Errorf("job (-want +got):\n%s", d)
	}
	wantExportTasks(t, b, st)

	// The identical request, spelled differently, reuses it.
	again, err := b.svc.Exports.CreateExport(b.ctx, b.user, q.ID, quizflow.ExportRequest{
		Format: "gift", Options: quizflow.ExportOptions{PointsPerQuestion: 1, ShuffleAnswers: true},
	})
	must(t, err)
	if !again.Reused {
		t.Error("Reused = false for an identical request")
	}
	if d := diff(*st.Export, *again.Export); d != "" {
		t.Errorf("reused export (-want +got):\n%s", d)
	}
	if d := diff(wantJob, *again.Job); d != "" {
		t.Errorf("reused job (-want +got):\n%s", d)
	}
	wantExportTasks(t, b, st) // no new task
	if n := len(b.store.allJobs()); n != 2 {
		t.Errorf("%d jobs, want 2 (the quiz's and the export's)", n)
	}
}

func TestCreateExportReusesLive(t *testing.T) {
	for _, status := range []string{quizflow.StatusQueued, quizflow.StatusRunning, quizflow.StatusSucceeded} {
		t.Run(status, func(t *testing.T) {
			b := setup(t)
			q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
			e := b.export(t, q, exportOpts{Status: status})
			st, err := b.svc.Exports.CreateExport(b.ctx, b.user, q.ID, quizflow.ExportRequest{Format: "gift"})
			must(t, err)
			if !st.Reused || st.Job == nil || st.Job.ID != e.JobID {
				t.Errorf("Reused %v, job %+v; want the export reused with its job %s", st.Reused, st.Job, e.JobID)
			}
			if d := diff(*e, *st.Export); d != "" {
				t.Errorf("export (-want +got):\n%s", d)
			}
			wantExportTasks(t, b)
		})
	}
}

func TestCreateExportRetriesFailed(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
	failed := b.export(t, q, exportOpts{Status: quizflow.StatusFailed, Error: &quizflow.JobError{Code: quizflow.EINTERNAL, Message: "Rendering crashed."}})
	st, err := b.svc.Exports.CreateExport(b.ctx, b.user, q.ID, quizflow.ExportRequest{Format: "gift"})
	must(t, err)
	if st.Reused || st.Export.ID != failed.ID || st.Job.ID == failed.JobID {
		t.Errorf("Reused %v, export %s, job %s; want export %s retried under a new job", st.Reused, st.Export.ID, st.Job.ID, failed.ID)
	}
	stored, _ := b.store.storedExport(failed.ID)
	if stored.Status != quizflow.StatusQueued || stored.Error != nil || stored.JobID != st.Job.ID {
		t.Errorf("stored export: status %q, error %+v, job %s; want queued, no error, job %s", stored.Status, stored.Error, stored.JobID, st.Job.ID)
	}
	wantExportTasks(t, b, st)
}

func TestCreateExportRace(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
	// An identical request claims the export between our lookup and our
	// claim.
	var theirJob *quizflow.Job
	b.store.onClaimExport = func(e *quizflow.Export) {
		b.store.onClaimExport = nil
		theirJob = &quizflow.Job{ID: quizflow.NewID("job"), OwnerID: e.OwnerID, Kind: quizflow.JobExport, QuizID: e.QuizID, DocumentID: e.DocumentID, ExportID: e.ID}
		must(t, b.store.CreateJob(b.ctx, theirJob))
		theirs := cloneExport(*e)
		theirs.JobID = theirJob.ID
		if ok, err := b.store.ClaimExport(b.ctx, &theirs); !ok || err != nil {
			t.Fatalf("their claim = %v, %v", ok, err)
		}
	}
	st, err := b.svc.Exports.CreateExport(b.ctx, b.user, q.ID, quizflow.ExportRequest{Format: "gift"})
	must(t, err)
	if !st.Reused || st.Export.JobID != theirJob.ID || st.Job == nil || st.Job.ID != theirJob.ID {
		t.Errorf("Reused %v, export job %s, job %+v; want theirs, %s", st.Reused, st.Export.JobID, st.Job, theirJob.ID)
	}
	for _, j := range b.store.allJobs() {
		if j.Kind == quizflow.JobExport && j.ID != theirJob.ID {
			t.Errorf("our unused job %s is left behind", j.ID)
		}
	}
	wantExportTasks(t, b) // theirs enqueues their task
}

func TestCreateExportRefused(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, tc := range []struct {
		name     string
		other    bool // another user's quiz
		missing  bool // a quiz that does not exist
		r        quizflow.ExportRequest
		code     string
		field    string
		contains []string // parts of the message
		excludes string   // not in the message, if not ""
	}{
		{name: "another user's quiz", other: true, r: quizflow.ExportRequest{Format: "gift"}, code: quizflow.ENOTFOUND},
		{name: "missing quiz", missing: true, r: quizflow.ExportRequest{Format: "gift"}, code: quizflow.ENOTFOUND},
		{
			name: "no format", r: quizflow.ExportRequest{Format: "  "}, code: quizflow.EINVALID, field: "format",
			contains: []string{export.FormatNames()},
		},
		{
			name: "unknown format", r: quizflow.ExportRequest{Format: "DOCX"}, code: quizflow.EINVALID, field: "format",
			contains: []string{`"docx"`, export.FormatNames()},
		},
		{
			name: "long unknown format", r: quizflow.ExportRequest{Format: long}, code: quizflow.EINVALID, field: "format",
			contains: []string{`"` + long[:40] + `"`}, excludes: long[:41],
		},
		{
			name: "negative points", r: quizflow.ExportRequest{Format: "gift", Options: quizflow.ExportOptions{PointsPerQuestion: -1}},
			code: quizflow.EINVALID, field: "options.points_per_question",
		},
		{
			name: "too many points", r: quizflow.ExportRequest{Format: "gift", Options: quizflow.ExportOptions{PointsPerQuestion: 1001}},
			code: quizflow.EINVALID, field: "options.points_per_question",
		},
		{
			name: "NaN points", r: quizflow.ExportRequest{Format: "gift", Options: quizflow.ExportOptions{PointsPerQuestion: math.NaN()}},
			code: quizflow.EINVALID, field: "options.points_per_question",
		},
		{
			name: "infinite points", r: quizflow.ExportRequest{Format: "gift", Options: quizflow.ExportOptions{PointsPerQuestion: math.Inf(1)}},
			code: quizflow.EINVALID, field: "options.points_per_question",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			q := b.quizOf(t, tc.other)
			id := q.ID
			if tc.missing {
				id = quizflow.NewID("quiz")
			}
			counts := b.store.counts()
			_, err := b.svc.Exports.CreateExport(b.ctx, b.user, id, tc.r)
			qe := wantError(t, err, tc.code, tc.field)
			for _, c := range tc.contains {
				if !strings.Contains(qe.Message, c) {
					t.Errorf("message %q does not contain %q", qe.Message, c)
				}
			}
			if tc.excludes != "" && strings.Contains(qe.Message, tc.excludes) {
				t.Errorf("message %q contains %q", qe.Message, tc.excludes)
			}
			if got := b.store.counts(); got != counts {
				t.Errorf("records = %v, want %v", got, counts)
			}
			wantExportTasks(t, b)
		})
	}
}

func TestCreateExportQueueDown(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
	b.queue.fail(errors.New("redis: connection refused"))
	_, err := b.svc.Exports.CreateExport(b.ctx, b.user, q.ID, quizflow.ExportRequest{Format: "moodle-xml"})
	wantError(t, err, quizflow.EUNAVAILABLE, "")

	id := quizflow.ExportIDFor(b.user.ID, quizflow.ExportCacheKey(q.ID, q.Version, "moodle-xml", quizflow.ExportOptions{PointsPerQuestion: 1}))
	e, ok := b.store.storedExport(id)
	if !ok {
		t.Fatal("export not recorded")
	}
	wantErr := &quizflow.JobError{Code: quizflow.EUNAVAILABLE, Message: "The export could not be queued; please try again."}
	if e.Status != quizflow.StatusFailed || diff(wantErr, e.Error) != "" {
		t.Errorf("export status %q, error %+v; want failed, %+v", e.Status, e.Error, wantErr)
	}
	if j, ok := b.store.storedJob(e.JobID); ok {
		t.Errorf("the job that never started is left: %+v", j)
	}

	// Once the queue is back, the same request retries it.
	b.queue.fail(nil)
	st, err := b.svc.Exports.CreateExport(b.ctx, b.user, q.ID, quizflow.ExportRequest{Format: "moodle-xml"})
	must(t, err)
	if st.Reused || st.Export.ID != id || st.Job.ID == e.JobID || st.Export.Status != quizflow.StatusQueued {
		t.Errorf("Reused %v, export %s (%s), job %s; want %s queued again under a new job", st.Reused, st.Export.ID, st.Export.Status, st.Job.ID, id)
	}
	wantExportTasks(t, b, st)
}

func TestCreateExportAfterEdit(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
	first, err := b.svc.Exports.CreateExport(b.ctx, b.user, q.ID, quizflow.ExportRequest{Format: "qti21"})
	must(t, err)
	title := "Photosynthesis, revised"
	_, err = b.svc.Quizzes.UpdateQuiz(b.ctx, b.user, q.ID, quizflow.QuizUpdate{Title: &title})
	must(t, err)
	second, err := b.svc.Exports.CreateExport(b.ctx, b.user, q.ID, quizflow.ExportRequest{Format: "qti21"})
	must(t, err)
	if second.Reused || second.Export.ID == first.Export.ID || second.Export.QuizVersion != 2 {
		t.Errorf("Reused %v, ID %s (first %s), version %d; want a new export of version 2",
			second.Reused, second.Export.ID, first.Export.ID, second.Export.QuizVersion)
	}
	if _, ok := b.store.storedExport(first.Export.ID); !ok {
		t.Error("the first version's export is gone")
	}
	wantExportTasks(t, b, first, second)
}

func TestExport(t *testing.T) {
	b := setup(t)
	e := b.export(t, b.quiz(t, b.document(t, docOpts{}), quizOpts{}), exportOpts{})
	theirs := b.export(t, b.quiz(t, b.document(t, docOpts{Owner: b.other}), quizOpts{}), exportOpts{})
	got, err := b.svc.Exports.Export(b.ctx, b.user, e.ID)
	must(t, err)
	if d := diff(*e, *got); d != "" {
		t.Errorf("Export (-want +got):\n%s", d)
	}
	_, err = b.svc.Exports.Export(b.ctx, b.user, theirs.ID)
	wantError(t, err, quizflow.ENOTFOUND, "")
}

func TestExports(t *testing.T) {
	b := setup(t)
	doc := b.document(t, docOpts{})
	q1, q2 := b.quiz(t, doc, quizOpts{}), b.quiz(t, doc, quizOpts{})
	e1 := b.export(t, q1, exportOpts{})
	e2 := b.export(t, q2, exportOpts{})
	e3 := b.export(t, q1, exportOpts{Format: "csv"})
	b.export(t, b.quiz(t, b.document(t, docOpts{Owner: b.other}), quizOpts{}), exportOpts{})

	ids := func(es []quizflow.Export) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	all, _, err := b.svc.Exports.Exports(b.ctx, b.user, "", quizflow.PageRequest{})
	must(t, err)
	if d := diff([]string{e3.ID, e2.ID, e1.ID}, ids(all)); d != "" {
		t.Errorf("all exports, newest first (-want +got):\n%s", d)
	}
	ofQ1, _, err := b.svc.Exports.Exports(b.ctx, b.user, q1.ID, quizflow.PageRequest{})
	must(t, err)
	if d := diff([]string{e3.ID, e1.ID}, ids(ofQ1)); d != "" {
		t.Errorf("exports of the first quiz (-want +got):\n%s", d)
	}

	for _, bad := range []string{"quiz_nope", e1.ID, "../quiz"} {
		b.log.take()
		_, _, err := b.svc.Exports.Exports(b.ctx, b.user, bad, quizflow.PageRequest{})
		wantError(t, err, quizflow.EINVALID, "quiz_id")
		if calls := storeCalls(b.log.take()); len(calls) > 0 {
			t.Errorf("Exports(%q) called %v, want no store call", bad, calls)
		}
	}
}

func TestDownloadURL(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ttl     time.Duration // Config.DownloadTTL
		export  exportOpts
		message string // of the ECONFLICT, or "" for a link
	}{
		{name: "queued", export: exportOpts{Status: quizflow.StatusQueued}, message: "The export is not ready yet; poll its job and download it once it has succeeded."},
		{name: "running", export: exportOpts{Status: quizflow.StatusRunning}, message: "The export is not ready yet; poll its job and download it once it has succeeded."},
		{name: "succeeded without a file", export: exportOpts{NoFile: true}, message: "The export is not ready yet; poll its job and download it once it has succeeded."},
		{
			name:    "failed",
			export:  exportOpts{Status: quizflow.StatusFailed, Error: &quizflow.JobError{Code: quizflow.EINTERNAL, Message: "The GIFT renderer crashed."}},
			message: "This export failed: The GIFT renderer crashed. Request it again to retry.",
		},
		{
			name:    "failed without a message",
			export:  exportOpts{Status: quizflow.StatusFailed, Error: &quizflow.JobError{Code: quizflow.EINTERNAL}},
			message: "This export failed. Request it again to retry.",
		},
		{name: "ready"},
		{name: "ready, with a configured TTL", ttl: 90 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setupWith(t, setupOpts{Config: usecase.Config{DownloadTTL: tc.ttl}})
			e := b.export(t, b.quiz(t, b.document(t, docOpts{}), quizOpts{}), tc.export)
			url, err := b.svc.Exports.DownloadURL(b.ctx, b.user, e.ID)
			if tc.message != "" {
				if qe := wantError(t, err, quizflow.ECONFLICT, ""); qe.Message != tc.message {
					t.Errorf("message = %q, want %q", qe.Message, tc.message)
				}
				if len(b.blobs.presigned) > 0 {
					t.Errorf("presigned %v, want nothing", b.blobs.presigned)
				}
				return
			}
			must(t, err)
			ttl := tc.ttl
			if ttl == 0 {
				ttl = 5 * time.Minute
			}
			want := []presignCall{{Key: e.BlobKey, Filename: e.FileName, ContentType: e.ContentType, TTL: ttl}}
			if d := diff(want, b.blobs.presigned); d != "" {
				t.Errorf("presigned (-want +got):\n%s", d)
			}
			if !strings.HasPrefix(url, "https://blobs.test/"+e.BlobKey+"?") {
				t.Errorf("url = %q, want the presigned link of %s", url, e.BlobKey)
			}
		})
	}

	t.Run("another user's", func(t *testing.T) {
		b := setup(t)
		e := b.export(t, b.quiz(t, b.document(t, docOpts{Owner: b.other}), quizOpts{}), exportOpts{})
		_, err := b.svc.Exports.DownloadURL(b.ctx, b.user, e.ID)
		wantError(t, err, quizflow.ENOTFOUND, "")
	})
}
