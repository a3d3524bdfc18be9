package usecase_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/usecase"
)

// bundle is what a use-case test works with: the services over fresh
// fakes, and two users.
type bundle struct {
	ctx   context.Context
	svc   *usecase.Services
	store *memStore
	blobs *memBlobs
	queue *memQueue
	log   *callLog
	user  *quizflow.User // on the free plan
	other *quizflow.User // another account, whose records user must not reach
}

// setupOpts tune setup; the zero value is a 1 MiB upload limit, every
// question type and no job notifications.
type setupOpts struct {
	Config usecase.Config
	// Notify, if set, is called with a job's ID after each write of it
	// (the store is wrapped in usecase.NotifyJobChanges).
	Notify func(jobID string)
}

func setup(t *testing.T) *bundle { return setupWith(t, setupOpts{}) }

func setupWith(t *testing.T, o setupOpts) *bundle {
	t.Helper()
	log := &callLog{}
	b := &bundle{
		ctx:   t.Context(),
		store: newMemStore(log),
		blobs: newMemBlobs(log),
		queue: &memQueue{log: log},
		log:   log,
		user:  &quizflow.User{ID: quizflow.NewID("usr"), Email: "ann@example.com", Name: "Ann", Plan: quizflow.PlanFree},
		other: &quizflow.User{ID: quizflow.NewID("usr"), Email: "bob@example.com", Name: "Bob", Plan: quizflow.PlanFree},
	}
	if o.Config.MaxFileSize == 0 {
		o.Config.MaxFileSize = 1 << 20
	}
	var store usecase.Store = b.store
	if o.Notify != nil {
		store = usecase.NotifyJobChanges(b.store, o.Notify)
	}
	b.svc = usecase.New(usecase.Deps{
		Log:    zerolog.New(zerolog.NewTestWriter(t)),
		Store:  store,
		Blobs:  b.blobs,
		Queue:  b.queue,
		Config: o.Config,
	})
	return b
}

// samplePages is the text of the fixture documents.
var samplePages = []quizflow.Page{
	{Number: 1, Text: "Photosynthesis happens in the chloroplasts of plant cells. Plants absorb carbon dioxide from the air and release oxygen."},
	{Number: 2, Text: "Water boils at 100 degrees Celsius at sea level. At higher altitudes it boils at a lower temperature."},
}

// sampleQuestions returns three valid questions grounded in samplePages.
func sampleQuestions() []quizflow.Question {
	return []quizflow.Question{
		{
			ID: quizflow.NewID("q"), Type: quizflow.MultipleChoice,
			Prompt: "Which gas do plants absorb from the air during photosynthesis?",
			Options: []quizflow.Option{
				{ID: "a", Text: "Carbon dioxide", Correct: true}, {ID: "b", Text: "Oxygen"}, {ID: "c", Text: "Nitrogen"},
			},
			Answers: []string{}, Source: quizflow.Source{Page: 1, Quote: "Plants absorb carbon dioxide from the air"}, Verified: true,
		},
		{
			ID: quizflow.NewID("q"), Type: quizflow.TrueFalse,
			Prompt:  "Photosynthesis takes place in the chloroplasts.",
			Options: []quizflow.Option{{ID: "a", Text: "True", Correct: true}, {ID: "b", Text: "False"}},
			Answers: []string{},
		},
		{
			ID: quizflow.NewID("q"), Type: quizflow.FillInBlank,
			Prompt:  "At sea level, water boils at _____ degrees Celsius.",
			Options: []quizflow.Option{}, Answers: []string{"100"},
		},
	}
}

// docOpts describe a fixture document.
type docOpts struct {
	Owner  *quizflow.User // default: the bundle's user
	Status string         // default: extracted
	Pages  []quizflow.Page
}

// document records a document with its uploaded file and, once extracted,
// its text (samplePages unless o.Pages).
func (b *bundle) document(t *testing.T, o docOpts) *quizflow.Document {
	t.Helper()
	owner := b.user
	if o.Owner != nil {
		owner = o.Owner
	}
	if o.Status == "" {
		o.Status = quizflow.DocumentExtracted
	}
	if o.Pages == nil {
		o.Pages = samplePages
	}
	d := &quizflow.Document{
		ID: quizflow.NewID("doc"), OwnerID: owner.ID, Filename: "biology.md", Kind: quizflow.KindMarkdown,
		ContentType: "text/markdown; charset=utf-8", Status: quizflow.DocumentUploaded,
	}
	d.Options.QuestionCount = 3
	must(t, d.Options.Normalize(owner.Plan))
	key, err := b.blobs.UploadOriginal(b.ctx, owner.ID, d.ID, strings.NewReader("# Biology\n"), d.ContentType)
	must(t, err)
	d.BlobKey = key
	must(t, b.store.CreateDocument(b.ctx, d))
	switch o.Status {
	case quizflow.DocumentUploaded:
	case quizflow.DocumentExtracted:
		key, err := b.blobs.PutText(b.ctx, owner.ID, d.ID, o.Pages)
		must(t, err)
		must(t, b.store.SetDocumentExtracted(b.ctx, d.ID, key, len(o.Pages), 40))
	default:
		must(t, b.store.SetDocumentStatus(b.ctx, d.ID, o.Status))
	}
	got, ok := b.store.storedDocument(d.ID)
	if !ok {
		t.Fatal("fixture document not stored")
	}
	return &got
}

// quizOpts describe a fixture quiz.
type quizOpts struct {
	Questions []quizflow.Question // default: sampleQuestions()
}

// quiz records a quiz of doc made by a succeeded quiz job.
// quizOf stores a default quiz of a new document of the other user if
// other is set, else of the user.
func (b *bundle) quizOf(t *testing.T, other bool) *quizflow.Quiz {
	o := docOpts{}
	if other {
		o.Owner = b.other
	}
	return b.quiz(t, b.document(t, o), quizOpts{})
}

func (b *bundle) quiz(t *testing.T, doc *quizflow.Document, o quizOpts) *quizflow.Quiz {
	t.Helper()
	if o.Questions == nil {
		o.Questions = sampleQuestions()
	}
	job := &quizflow.Job{ID: quizflow.NewID("job"), OwnerID: doc.OwnerID, Kind: quizflow.JobQuiz, DocumentID: doc.ID}
	must(t, b.store.CreateJob(b.ctx, job))
	q := &quizflow.Quiz{
		ID: quizflow.NewID("quiz"), OwnerID: doc.OwnerID, DocumentID: doc.ID, JobID: job.ID,
		Title: "Photosynthesis", Language: "en", Options: doc.Options, Questions: o.Questions,
	}
	must(t, b.store.SaveQuiz(b.ctx, q))
	must(t, b.store.SucceedJob(b.ctx, job.ID, quizflow.JobResult{QuizID: q.ID}, nil, nil))
	got, _ := b.store.storedQuiz(q.ID)
	return &got
}

// exportOpts describe a fixture export.
type exportOpts struct {
	Format  string                 // default: gift
	Options quizflow.ExportOptions // normalized
	Status  string                 // default: succeeded, with a file
	Error   *quizflow.JobError     // of a failed export
	NoFile  bool                   // a succeeded export whose record names no file
}

// export records an export of q's current version, built by its own job.
func (b *bundle) export(t *testing.T, q *quizflow.Quiz, o exportOpts) *quizflow.Export {
	t.Helper()
	if o.Format == "" {
		o.Format = "gift"
	}
	if o.Status == "" {
		o.Status = quizflow.StatusSucceeded
	}
	must(t, o.Options.Normalize())
	key := quizflow.ExportCacheKey(q.ID, q.Version, o.Format, o.Options)
	job := &quizflow.Job{
		ID: quizflow.NewID("job"), OwnerID: q.OwnerID, Kind: quizflow.JobExport,
		QuizID: q.ID, DocumentID: q.DocumentID, ExportID: quizflow.ExportIDFor(q.OwnerID, key),
	}
	must(t, b.store.CreateJob(b.ctx, job))
	e := &quizflow.Export{
		ID: job.ExportID, OwnerID: q.OwnerID, QuizID: q.ID, DocumentID: q.DocumentID, QuizVersion: q.Version,
		Format: o.Format, Options: o.Options, JobID: job.ID, CacheKey: key, Warnings: []string{},
	}
	claimed, err := b.store.ClaimExport(b.ctx, e)
	must(t, err)
	if !claimed {
		t.Fatal("fixture export not claimed")
	}
	switch o.Status {
	case quizflow.StatusQueued:
	case quizflow.StatusRunning:
		_, err := b.store.ExportRunning(b.ctx, e.ID, job.ID)
		must(t, err)
	case quizflow.StatusSucceeded:
		f := quizflow.ExportFile{QuizVersion: q.Version, CacheKey: key, FileName: "photosynthesis.gift.txt", ContentType: "text/plain; charset=utf-8", Size: 12}
		if !o.NoFile {
			f.BlobKey, err = b.blobs.PutExport(b.ctx, q.OwnerID, e.ID, f.FileName, []byte("::Q1:: ... {"), f.ContentType)
			must(t, err)
		}
		_, err := b.store.SucceedExport(b.ctx, e.ID, job.ID, f)
		must(t, err)
		must(t, b.store.SucceedJob(b.ctx, job.ID, quizflow.JobResult{ExportID: e.ID}, nil, nil))
	case quizflow.StatusFailed:
		jerr := quizflow.JobError{Code: quizflow.EINTERNAL}
		if o.Error != nil {
			jerr = *o.Error
		}
		must(t, b.store.FailJob(b.ctx, job.ID, jerr))
		must(t, b.store.FailExport(b.ctx, e.ID, job.ID, jerr))
	}
	got, _ := b.store.storedExport(e.ID)
	return &got
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantError fails t unless err carries code (EINTERNAL: is not a user
// error) and, when field is not "", names field. It returns the *Error.
func wantError(t *testing.T, err error, code, field string) *quizflow.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %s", code)
	}
	if got := quizflow.ErrorCode(err); got != code {
		t.Fatalf("code of %v = %q, want %q", err, got, code)
	}
	var qe *quizflow.Error
	if !errors.As(err, &qe) {
		return nil
	}
	if field != "" && qe.Field != field {
		t.Errorf("field of %v = %q, want %q", err, qe.Field, field)
	}
	return qe
}

// storeCalls returns the store calls among calls.
func storeCalls(calls []string) []string {
	return slices.DeleteFunc(slices.Clone(calls), func(c string) bool { return !strings.HasPrefix(c, "store.") })
}

// methods returns the method of each call ("blobs.Delete k1 k2" gives
// "blobs.Delete") that keep accepts.
func methods(calls []string, keep func(string) bool) []string {
	var out []string
	for _, c := range calls {
		m, _, _ := strings.Cut(c, " ")
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// writes keeps the calls that delete something.
func writes(m string) bool { return strings.Contains(m, ".Delete") }

// TestMalformedIDs checks that every method taking an ID refuses a
// malformed one as "not found" before asking the store.
func TestMalformedIDs(t *testing.T) {
	b := setup(t)
	bad := []string{"", "doc_", "doc_short", "quiz_ABCDEFGHIJKLMNOPQRSTUVWX", "../../etc/passwd", strings.Repeat("x", 300)}
	calls := map[string]func(id string) error{
		"Documents.Document": func(id string) error { _, err := b.svc.Documents.Document(b.ctx, b.user, id); return err },
		"Documents.DocumentText": func(id string) error {
			_, err := b.svc.Documents.DocumentText(b.ctx, b.user, id)
			return err
		},
		"Documents.DeleteDocument": func(id string) error { return b.svc.Documents.DeleteDocument(b.ctx, b.user, id) },
		"Quizzes.CreateQuiz": func(id string) error {
			_, err := b.svc.Quizzes.CreateQuiz(b.ctx, b.user, id, quizflow.GenerateOptions{})
			return err
		},
		"Quizzes.Quiz": func(id string) error { _, err := b.svc.Quizzes.Quiz(b.ctx, b.user, id); return err },
		"Quizzes.UpdateQuiz": func(id string) error {
			title := "New"
			_, err := b.svc.Quizzes.UpdateQuiz(b.ctx, b.user, id, quizflow.QuizUpdate{Title: &title})
			return err
		},
		"Quizzes.AddQuestion": func(id string) error {
			_, err := b.svc.Quizzes.AddQuestion(b.ctx, b.user, id, sampleQuestions()[0])
			return err
		},
		"Quizzes.DeleteQuestion": func(id string) error { return b.svc.Quizzes.DeleteQuestion(b.ctx, b.user, id, "q_x") },
		"Quizzes.RegenerateQuestion": func(id string) error {
			_, err := b.svc.Quizzes.RegenerateQuestion(b.ctx, b.user, id, "q_x")
			return err
		},
		"Quizzes.DeleteQuiz": func(id string) error { return b.svc.Quizzes.DeleteQuiz(b.ctx, b.user, id) },
		"Jobs.Job":           func(id string) error { _, err := b.svc.Jobs.Job(b.ctx, b.user, id); return err },
		"Exports.CreateExport": func(id string) error {
			_, err := b.svc.Exports.CreateExport(b.ctx, b.user, id, quizflow.ExportRequest{Format: "gift"})
			return err
		},
		"Exports.Export":      func(id string) error { _, err := b.svc.Exports.Export(b.ctx, b.user, id); return err },
		"Exports.DownloadURL": func(id string) error { _, err := b.svc.Exports.DownloadURL(b.ctx, b.user, id); return err },
	}
	for name, call := range calls {
		for _, id := range bad {
			b.log.take()
			wantError(t, call(id), quizflow.ENOTFOUND, "")
			if got := b.log.take(); len(got) > 0 {
				t.Errorf("%s(%.20q) called %v, want no call", name, id, got)
			}
		}
	}
}

func TestJob(t *testing.T) {
	b := setup(t)
	doc := b.document(t, docOpts{})
	q := b.quiz(t, doc, quizOpts{})
	theirs := b.quiz(t, b.document(t, docOpts{Owner: b.other}), quizOpts{})

	got, err := b.svc.Jobs.Job(b.ctx, b.user, q.JobID)
	must(t, err)
	want, _ := b.store.storedJob(q.JobID)
	if d := diff(want, *got); d != "" {
		t.Errorf("Job (-want +got):\n%s", d)
	}

	_, err = b.svc.Jobs.Job(b.ctx, b.user, theirs.JobID)
	wantError(t, err, quizflow.ENOTFOUND, "")

	list, next, err := b.svc.Jobs.Jobs(b.ctx, b.user, quizflow.PageRequest{Limit: 10})
	must(t, err)
	if len(list) != 1 || list[0].ID != q.JobID || next != "" {
		t.Errorf("Jobs = %v, %q; want only job %s", list, next, q.JobID)
	}
}

func TestNotifyJobChanges(t *testing.T) {
	ctx := t.Context()
	mem := newMemStore(&callLog{})
	var notified []string
	store := usecase.NotifyJobChanges(mem, func(id string) { notified = append(notified, id) })
	newJob := func() *quizflow.Job {
		j := &quizflow.Job{ID: quizflow.NewID("job"), OwnerID: "usr_1", Kind: quizflow.JobQuiz}
		must(t, mem.CreateJob(ctx, j)) // not through store: no notification
		return j
	}
	down := errors.New("mongo is down")

	for _, tc := range []struct {
		method string
		call   func(id string) error
		newJob bool // call on a job created beforehand, rather than a new one
	}{
		{"CreateJob", func(id string) error {
			return store.CreateJob(ctx, &quizflow.Job{ID: id, OwnerID: "usr_1", Kind: quizflow.JobQuiz})
		}, false},
		{"JobProgress", func(id string) error {
			_, err := store.JobProgress(ctx, id, quizflow.StageExtracting, 10, "Reading the document")
			return err
		}, true},
		{"SucceedJob", func(id string) error {
			return store.SucceedJob(ctx, id, quizflow.JobResult{QuizID: "quiz_1"}, nil, nil)
		}, true},
		{"FailJob", func(id string) error {
			return store.FailJob(ctx, id, quizflow.JobError{Code: quizflow.ECORRUPT, Message: "Unreadable."})
		}, true},
	} {
		t.Run(tc.method, func(t *testing.T) {
			id := quizflow.NewID("job")
			if tc.newJob {
				id = newJob().ID
			}
			notified = nil
			mem.failNext(tc.method, down)
			if err := tc.call(id); !errors.Is(err, down) {
				t.Fatalf("failing %s: err = %v, want %v", tc.method, err, down)
			}
			if len(notified) > 0 {
				t.Errorf("failing %s notified %v, want nothing", tc.method, notified)
			}
			must(t, tc.call(id))
			if d := diff([]string{id}, notified); d != "" {
				t.Errorf("%s notified (-want +got):\n%s", tc.method, d)
			}
		})
	}

	t.Run("reads and other writes", func(t *testing.T) {
		j := newJob()
		notified = nil
		_, err := store.Job(ctx, j.ID, "")
		must(t, err)
		must(t, store.JobAttempt(ctx, j.ID))
		must(t, store.DeleteJob(ctx, j.ID))
		if len(notified) > 0 {
			t.Errorf("notified %v, want nothing", notified)
		}
	})
}

// TestNotifyThroughServices checks the services write jobs through the
// wrapped store: an upload's job notifies its creation (and, when it cannot
// be queued, is removed again).
func TestNotifyThroughServices(t *testing.T) {
	var notified []string
	b := setupWith(t, setupOpts{Notify: func(id string) { notified = append(notified, id) }})
	b.queue.fail(errors.New("redis: connection refused"))
	doc, err := b.svc.Documents.ReceiveFile(b.ctx, b.user, "notes.txt", strings.NewReader("Cells are the units of life.\n"))
	must(t, err)
	_, _, err = b.svc.Documents.SubmitUpload(b.ctx, b.user, doc, quizflow.GenerateOptions{})
	wantError(t, err, quizflow.EUNAVAILABLE, "")
	if jobs := b.store.allJobs(); len(jobs) != 0 {
		t.Fatalf("jobs = %v, want the unqueued one removed", jobs)
	}
	if len(notified) != 1 || !quizflow.ValidID("job", notified[0]) {
		t.Errorf("notified = %v, want the job's creation once", notified)
	}
}

// TestFakesDoNotAlias checks the fake store copies records in and out, so
// a test cannot pass by changing what is stored through a pointer.
func TestFakesDoNotAlias(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
	got, err := b.store.Quiz(b.ctx, q.ID, b.user.ID)
	must(t, err)
	got.Questions[0].Options[0].Text = "changed"
	got.Options.QuestionTypes[0] = "changed"
	again, err := b.store.Quiz(b.ctx, q.ID, b.user.ID)
	must(t, err)
	if d := diff(*q, *again); d != "" {
		t.Errorf("stored quiz changed through a returned copy (-want +got):\n%s", d)
	}
}
