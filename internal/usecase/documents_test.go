package usecase_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/usecase"
	"github.com/quizflow/quizflow/jobs"
)

const (
	markdownBody = "# Photosynthesis\n\nPlants turn **light** into sugar.\n\n- chlorophyll\n- stomata\n\nSee [the notes](https://example.com).\n"
	textBody     = "Cells are the basic units of life. Every living thing is made of one or more cells.\n"
	pdfBody      = "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)

// defaultOptions are GenerateOptions{} normalized for the free plan.
var defaultOptions = quizflow.GenerateOptions{
	QuestionCount: 10, QuestionTypes: []string{quizflow.MultipleChoice, quizflow.TrueFalse, quizflow.FillInBlank},
	Difficulty: quizflow.DifficultyMedium, Language: "en",
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestReceiveFile(t *testing.T) {
	long := strings.Repeat("Mitochondria release energy from food. ", 600) // past the 8 KiB sniffed head
	for _, tc := range []struct {
		name, filename, body string
		wantName             string
		wantKind, wantType   string
	}{
		{"markdown", "notes/chapter-1.md", markdownBody, "chapter-1.md", quizflow.KindMarkdown, extract.ContentTypeMarkdown},
		{"text", "cells.txt", textBody, "cells.txt", quizflow.KindText, extract.ContentTypeText},
		{"pdf", "slides.pdf", pdfBody, "slides.pdf", quizflow.KindPDF, extract.ContentTypePDF},
		{"longer than the sniffed head", "long.txt", long, "long.txt", quizflow.KindText, extract.ContentTypeText},
		{"windows path", `C:\Users\ann\My Notes.txt`, textBody, "My Notes.txt", quizflow.KindText, extract.ContentTypeText},
		{"path traversal", "../../etc/passwd", textBody, "passwd", quizflow.KindText, extract.ContentTypeText},
		{"ASCII control characters", "re\x00po\x1brt\n\x1f\x7f.txt", textBody, "report.txt", quizflow.KindText, extract.ContentTypeText},
		// cleanFilename promises printable UTF-8: C1 controls (NEL, CSI) are
		// control characters too.
		{"C1 control character", "report\u0085\u009b.txt", textBody, "report.txt", quizflow.KindText, extract.ContentTypeText},
		{"right-to-left override", "invoice\u202efdp.exe", textBody, "invoicefdp.exe", quizflow.KindText, extract.ContentTypeText},
		{"parent directory", "..", textBody, "", quizflow.KindText, extract.ContentTypeText},
		{"invalid UTF-8", "r\xffeport.txt", textBody, "report.txt", quizflow.KindText, extract.ContentTypeText},
		{"no name", "", textBody, "", quizflow.KindText, extract.ContentTypeText},
		{"long name", strings.Repeat("é", 250) + ".txt", textBody, strings.Repeat("é", 200), quizflow.KindText, extract.ContentTypeText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			got, err := b.svc.Documents.ReceiveFile(b.ctx, b.user, tc.filename, strings.NewReader(tc.body))
			must(t, err)
			if !quizflow.ValidID("doc", got.ID) {
				t.Errorf("ID = %q, want a doc ID", got.ID)
			}
			want := quizflow.Document{
				ID: got.ID, OwnerID: b.user.ID, Filename: tc.wantName, Kind: tc.wantKind, ContentType: tc.wantType,
				Size: int64(len(tc.body)), SHA256: sha256Hex([]byte(tc.body)), BlobKey: originalKey(b.user.ID, got.ID),
				Status: quizflow.DocumentUploaded,
			}
			if d := diff(want, *got); d != "" {
				t.Errorf("ReceiveFile (-want +got):\n%s", d)
			}
			f, ok := b.blobs.file(want.BlobKey)
			if !ok {
				t.Fatalf("no file at %s; have %v", want.BlobKey, b.blobs.keys())
			}
			if d := diff(blobFile{Data: []byte(tc.body), ContentType: tc.wantType}, f); d != "" {
				t.Errorf("stored file (-want +got):\n%s", d)
			}
			if n := b.store.counts(); n != [4]int{} {
				t.Errorf("records = %v, want none: ReceiveFile does not record", n)
			}
		})
	}
}

func TestReceiveFileAtTheLimit(t *testing.T) {
	b := setupWith(t, setupOpts{Config: usecase.Config{MaxFileSize: 64 << 10}})
	body := bytes.Repeat([]byte("abcdefgh\n"), 64<<10/9)
	body = append(body, bytes.Repeat([]byte("x"), 64<<10-len(body))...)
	got, err := b.svc.Documents.ReceiveFile(b.ctx, b.user, "exact.txt", bytes.NewReader(body))
	must(t, err)
	if got.Size != 64<<10 || got.SHA256 != sha256Hex(body) {
		t.Errorf("size, sha256 = %d, %s; want %d, %s", got.Size, got.SHA256, 64<<10, sha256Hex(body))
	}
}

func TestReceiveFileRefused(t *testing.T) {
	cut := &quizflow.Error{Code: quizflow.EINVALID, Message: "The upload was cut off."}
	reset := errors.New("connection reset by peer")
	text := func(n int) string { return strings.Repeat("a few words\n", n/12+1)[:n] }
	for _, tc := range []struct {
		name    string
		limit   int64
		r       io.Reader
		code    string
		field   string
		message string // a part of the message, if not ""
		is      error  // an error err must wrap, if not nil
	}{
		{name: "empty", r: strings.NewReader(""), code: quizflow.EINVALID, field: "file"},
		{name: "png", r: strings.NewReader("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"), code: quizflow.EUNSUPPORTED},
		{name: "utf-16", r: strings.NewReader("\xff\xfeh\x00i\x00"), code: quizflow.EENCODING},
		{
			name: "over the limit within the sniffed head", limit: 1000, r: strings.NewReader(text(1001)),
			code: quizflow.ETOOLARGE, message: "1000 bytes",
		},
		{
			name: "over the limit past the sniffed head", limit: 64 << 10, r: strings.NewReader(text(64<<10 + 1)),
			code: quizflow.ETOOLARGE, message: "64 KiB",
		},
		{
			name: "reader's error before any byte", r: iotest.ErrReader(cut),
			code: quizflow.EINVALID, is: cut,
		},
		{
			name: "reader's error past the sniffed head", r: io.MultiReader(strings.NewReader(text(20000)), iotest.ErrReader(cut)),
			code: quizflow.EINVALID, is: cut,
		},
		{
			name: "reader's internal error", r: io.MultiReader(strings.NewReader(text(20000)), iotest.ErrReader(reset)),
			code: quizflow.EINTERNAL, is: reset,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setupWith(t, setupOpts{Config: usecase.Config{MaxFileSize: tc.limit}})
			doc, err := b.svc.Documents.ReceiveFile(b.ctx, b.user, "upload.txt", tc.r)
			if doc != nil {
				t.Errorf("doc = %+v, want nil", doc)
			}
			qe := wantError(t, err, tc.code, tc.field)
			if tc.message != "" && !strings.Contains(qe.Message, tc.message) {
				t.Errorf("message %q does not mention %q", qe.Message, tc.message)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want it to wrap %v", err, tc.is)
			}
			if keys := b.blobs.keys(); len(keys) > 0 {
				t.Errorf("files left = %v, want none", keys)
			}
			if n := b.store.counts(); n != [4]int{} {
				t.Errorf("records = %v, want none", n)
			}
		})
	}
}

func TestSubmitUpload(t *testing.T) {
	b := setup(t)
	ctx := quizflow.WithRequestID(b.ctx, "req-upload-1")
	received, err := b.svc.Documents.ReceiveFile(ctx, b.user, "notes.md", strings.NewReader(markdownBody))
	must(t, err)
	doc, job, err := b.svc.Documents.SubmitUpload(ctx, b.user, received, quizflow.GenerateOptions{
		QuestionCount: 5, QuestionTypes: []string{" Multiple_Choice", "true_false", "multiple_choice"},
	})
	must(t, err)

	wantOpts := quizflow.GenerateOptions{
		QuestionCount: 5, QuestionTypes: []string{quizflow.MultipleChoice, quizflow.TrueFalse},
		Difficulty: quizflow.DifficultyMedium, Language: "en",
	}
	if d := diff(wantOpts, doc.Options); d != "" {
		t.Errorf("document options (-want +got):\n%s", d)
	}
	if doc.Status != quizflow.DocumentUploaded {
		t.Errorf("document status = %q, want %q", doc.Status, quizflow.DocumentUploaded)
	}
	stored, ok := b.store.storedDocument(doc.ID)
	if d := diff(*doc, stored); !ok || d != "" {
		t.Errorf("stored document (found %v) (-want +got):\n%s", ok, d)
	}

	wantJob := quizflow.Job{
		ID: job.ID, OwnerID: b.user.ID, Kind: quizflow.JobQuiz, Status: quizflow.StatusQueued, Stage: quizflow.StageQueued,
		DocumentID: doc.ID, Options: &wantOpts, RequestID: "req-upload-1", CreatedAt: job.CreatedAt, UpdatedAt: job.UpdatedAt,
	}
	if d := diff(wantJob, *job); d != "" {
		t.Errorf("job (-want +got):\n%s", d)
	}
	storedJob, _ := b.store.storedJob(job.ID)
	if d := diff(wantJob, storedJob); d != "" {
		t.Errorf("stored job (-want +got):\n%s", d)
	}

	tasks := b.queue.queued()
	if len(tasks) != 1 || tasks[0].Type != jobs.TypeDocumentExtract {
		t.Fatalf("tasks = %v, want one %s", tasks, jobs.TypeDocumentExtract)
	}
	wantPayload := jobs.DocumentPayload{JobID: job.ID, DocumentID: doc.ID, OwnerID: b.user.ID, RequestID: "req-upload-1", MaxPages: quizflow.DefaultPlans().Free.MaxPages}
	if d := diff(wantPayload, payload[jobs.DocumentPayload](t, tasks[0])); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}
	if _, ok := b.blobs.file(doc.BlobKey); !ok {
		t.Errorf("the uploaded file is gone")
	}
}

// received returns a document received (not submitted) by b's user.
func (b *bundle) received(t *testing.T) *quizflow.Document {
	t.Helper()
	doc, err := b.svc.Documents.ReceiveFile(b.ctx, b.user, "notes.md", strings.NewReader(markdownBody))
	must(t, err)
	b.log.take()
	return doc
}

func TestSubmitUploadBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		types   []string // Config.QuestionTypes
		opts    quizflow.GenerateOptions
		field   string
		message string
	}{
		{name: "question count", opts: quizflow.GenerateOptions{QuestionCount: 51}, field: "question_count"},
		{name: "unknown type", opts: quizflow.GenerateOptions{QuestionTypes: []string{"riddle"}}, field: "question_types"},
		{name: "language", opts: quizflow.GenerateOptions{Language: "english"}, field: "language"},
		{
			name: "none of the generator's types", types: []string{quizflow.MultipleChoice, quizflow.TrueFalse},
			opts:  quizflow.GenerateOptions{QuestionTypes: []string{quizflow.Essay, quizflow.ShortAnswer}},
			field: "question_types", message: "multiple_choice, true_false",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setupWith(t, setupOpts{Config: usecase.Config{QuestionTypes: tc.types}})
			doc := b.received(t)
			_, _, err := b.svc.Documents.SubmitUpload(b.ctx, b.user, doc, tc.opts)
			qe := wantError(t, err, quizflow.EINVALID, tc.field)
			if !strings.Contains(qe.Message, tc.message) {
				t.Errorf("message %q does not mention %q", qe.Message, tc.message)
			}
			if keys := b.blobs.keys(); len(keys) > 0 {
				t.Errorf("files left = %v, want the upload discarded", keys)
			}
			if n := b.store.counts(); n != [4]int{} {
				t.Errorf("records = %v, want none", n)
			}
			if tasks := b.queue.queued(); len(tasks) > 0 {
				t.Errorf("tasks = %v, want none", tasks)
			}
		})
	}
}

func TestSubmitUploadQueueFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(b *bundle, cancel context.CancelFunc)
	}{
		{"queue down", func(b *bundle, _ context.CancelFunc) {
			b.queue.fail(errors.New("dial tcp 10.0.0.5:6379: connection refused"))
		}},
		{"client hangs up while enqueueing", func(b *bundle, cancel context.CancelFunc) {
			// The undo work must not die with the request's context.
			b.queue.onEnqueue = func(ctx context.Context, _ *asynq.Task) error { cancel(); return ctx.Err() }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			doc := b.received(t)
			ctx, cancel := context.WithCancel(b.ctx)
			defer cancel()
			tc.fail(b, cancel)
			_, _, err := b.svc.Documents.SubmitUpload(ctx, b.user, doc, quizflow.GenerateOptions{})
			wantError(t, err, quizflow.EUNAVAILABLE, "")

			// Nothing the user would find and wonder about: no job, no
			// document; they upload again.
			if jobs := b.store.allJobs(); len(jobs) != 0 {
				t.Errorf("jobs = %v, want none left", jobs)
			}
			if stored, ok := b.store.storedDocument(doc.ID); ok {
				t.Errorf("document left behind: %+v", stored)
			}
			var qe *quizflow.Error
			if errors.As(err, &qe) && qe.RetryAfter <= 0 {
				t.Error("no Retry-After on a queue outage")
			}
			if keys := b.blobs.keys(); len(keys) > 0 {
				t.Errorf("files left = %v, want the upload discarded", keys)
			}
			if tasks := b.queue.queued(); len(tasks) > 0 {
				t.Errorf("tasks = %v, want none", tasks)
			}
		})
	}
}

// TestSubmitUploadStoreFails checks the promise of SubmitUpload: "on any
// error the document's file is removed and nothing stays recorded as
// pending".
func TestSubmitUploadStoreFails(t *testing.T) {
	for _, method := range []string{"CreateDocument", "CreateJob"} {
		t.Run(method, func(t *testing.T) {
			b := setup(t)
			doc := b.received(t)
			down := errors.New("mongo: server selection timeout")
			b.store.failNext(method, down)
			_, _, err := b.svc.Documents.SubmitUpload(b.ctx, b.user, doc, quizflow.GenerateOptions{})
			if !errors.Is(err, down) {
				t.Fatalf("err = %v, want %v", err, down)
			}
			if keys := b.blobs.keys(); len(keys) > 0 {
				t.Errorf("files left = %v, want the upload discarded", keys)
			}
			if tasks := b.queue.queued(); len(tasks) > 0 {
				t.Errorf("tasks = %v, want none", tasks)
			}
			if stored, ok := b.store.storedDocument(doc.ID); ok && stored.Status != quizflow.DocumentFailed {
				t.Errorf("document left %q, pointing at a deleted file; want it removed or failed", stored.Status)
			}
		})
	}
}

func TestCheckOptions(t *testing.T) {
	pro := quizflow.GenerateOptions{QuestionCount: 60, QuestionTypes: defaultOptions.QuestionTypes, Difficulty: "medium", Language: "en"}
	for _, tc := range []struct {
		name  string
		plan  string
		types []string // Config.QuestionTypes
		opts  quizflow.GenerateOptions
		want  quizflow.GenerateOptions // if field is ""
		field string
	}{
		{name: "defaults", opts: quizflow.GenerateOptions{}, want: defaultOptions},
		{name: "over the free plan", opts: quizflow.GenerateOptions{QuestionCount: 60}, field: "question_count"},
		{name: "within the pro plan", plan: quizflow.PlanPro, opts: quizflow.GenerateOptions{QuestionCount: 60}, want: pro},
		{name: "unknown type", opts: quizflow.GenerateOptions{QuestionTypes: []string{"riddle"}}, field: "question_types"},
		{name: "bad difficulty", opts: quizflow.GenerateOptions{Difficulty: "brutal"}, field: "difficulty"},
		{
			name: "none of the generator's types", types: []string{quizflow.MultipleChoice},
			opts: quizflow.GenerateOptions{QuestionTypes: []string{quizflow.Essay}}, field: "question_types",
		},
		{
			name: "one of the generator's types", types: []string{quizflow.MultipleChoice, quizflow.TrueFalse},
			opts: quizflow.GenerateOptions{QuestionTypes: []string{quizflow.Essay, quizflow.TrueFalse}},
			want: quizflow.GenerateOptions{QuestionCount: 10, QuestionTypes: []string{quizflow.Essay, quizflow.TrueFalse}, Difficulty: "medium", Language: "en"},
		},
		{
			name: "defaults include a generator's type", types: []string{quizflow.FillInBlank},
			opts: quizflow.GenerateOptions{}, want: defaultOptions,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setupWith(t, setupOpts{Config: usecase.Config{QuestionTypes: tc.types}})
			user := *b.user
			if tc.plan != "" {
				user.Plan = tc.plan
			}
			opts := tc.opts
			err := b.svc.Documents.CheckOptions(&user, &opts)
			if tc.field != "" {
				wantError(t, err, quizflow.EINVALID, tc.field)
				return
			}
			must(t, err)
			if d := diff(tc.want, opts); d != "" {
				t.Errorf("options (-want +got):\n%s", d)
			}
		})
	}
}

func TestDocument(t *testing.T) {
	b := setup(t)
	doc := b.document(t, docOpts{})
	theirs := b.document(t, docOpts{Owner: b.other})
	got, err := b.svc.Documents.Document(b.ctx, b.user, doc.ID)
	must(t, err)
	if d := diff(*doc, *got); d != "" {
		t.Errorf("Document (-want +got):\n%s", d)
	}
	_, err = b.svc.Documents.Document(b.ctx, b.user, theirs.ID)
	wantError(t, err, quizflow.ENOTFOUND, "")
}

func TestDocumentsNewestFirst(t *testing.T) {
	b := setup(t)
	var ids []string
	for range 3 {
		ids = append(ids, b.document(t, docOpts{}).ID)
	}
	b.document(t, docOpts{Owner: b.other})
	slices.Reverse(ids)

	var got []string
	p := quizflow.PageRequest{Limit: 2}
	for {
		page, next, err := b.svc.Documents.Documents(b.ctx, b.user, p)
		must(t, err)
		for _, d := range page {
			got = append(got, d.ID)
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if d := diff(ids, got); d != "" {
		t.Errorf("documents (-want +got):\n%s", d)
	}
	_, _, err := b.svc.Documents.Documents(b.ctx, b.user, quizflow.PageRequest{Cursor: "not a cursor"})
	wantError(t, err, quizflow.EINVALID, "cursor")
}

func TestDocumentText(t *testing.T) {
	for _, tc := range []struct {
		status  string
		message string
	}{
		{quizflow.DocumentUploaded, "not extracted yet"},
		{quizflow.DocumentExtracting, "not extracted yet"},
		{quizflow.DocumentFailed, "No text could be read"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			b := setup(t)
			doc := b.document(t, docOpts{Status: tc.status})
			_, err := b.svc.Documents.DocumentText(b.ctx, b.user, doc.ID)
			if qe := wantError(t, err, quizflow.ECONFLICT, ""); !strings.Contains(qe.Message, tc.message) {
				t.Errorf("message %q does not say %q", qe.Message, tc.message)
			}
		})
	}

	t.Run("extracted", func(t *testing.T) {
		b := setup(t)
		doc := b.document(t, docOpts{})
		got, err := b.svc.Documents.DocumentText(b.ctx, b.user, doc.ID)
		must(t, err)
		if d := diff(&quizflow.DocumentText{Pages: samplePages}, got); d != "" {
			t.Errorf("DocumentText (-want +got):\n%s", d)
		}
	})

	t.Run("another user's", func(t *testing.T) {
		b := setup(t)
		doc := b.document(t, docOpts{Owner: b.other})
		_, err := b.svc.Documents.DocumentText(b.ctx, b.user, doc.ID)
		wantError(t, err, quizflow.ENOTFOUND, "")
	})

	t.Run("recorded text missing", func(t *testing.T) {
		b := setup(t)
		doc := b.document(t, docOpts{})
		must(t, b.blobs.Delete(b.ctx, doc.TextKey))
		_, err := b.svc.Documents.DocumentText(b.ctx, b.user, doc.ID)
		wantError(t, err, quizflow.EINTERNAL, "") // our fault, not "not found"
	})
}

func TestDeleteDocument(t *testing.T) {
	b := setup(t)
	doc := b.document(t, docOpts{})
	q := b.quiz(t, doc, quizOpts{})
	ready := b.export(t, q, exportOpts{})
	b.export(t, q, exportOpts{Format: "aiken", Status: quizflow.StatusQueued})
	b.export(t, q, exportOpts{Format: "csv", Status: quizflow.StatusFailed})
	regen, err := b.svc.Quizzes.RegenerateQuestion(b.ctx, b.user, q.ID, q.Questions[0].ID)
	must(t, err)
	// Kept: the user's other document and another user's.
	keptDoc := b.document(t, docOpts{})
	keptQuiz := b.quiz(t, keptDoc, quizOpts{})
	keptExport := b.export(t, keptQuiz, exportOpts{})
	theirs := b.document(t, docOpts{Owner: b.other})
	theirQuiz := b.quiz(t, theirs, quizOpts{})
	theirExport := b.export(t, theirQuiz, exportOpts{})

	b.log.take()
	must(t, b.svc.Documents.DeleteDocument(b.ctx, b.user, doc.ID))

	wantOrder := []string{
		"blobs.DeleteDocumentFiles", "blobs.Delete", // files first
		"store.DeleteExportsOfDocument", "store.DeleteQuizzesOfDocument", "store.DeleteJobsOfDocument", "store.DeleteDocument",
	}
	if d := diff(wantOrder, methods(b.log.take(), writes)); d != "" {
		t.Errorf("deletions (-want +got):\n%s", d)
	}
	wantKeys := []string{keptDoc.BlobKey, keptDoc.TextKey, keptExport.BlobKey, theirs.BlobKey, theirs.TextKey, theirExport.BlobKey}
	slices.Sort(wantKeys)
	if d := diff(wantKeys, b.blobs.keys()); d != "" {
		t.Errorf("files left (-want +got):\n%s", d)
	}
	if _, ok := b.store.storedDocument(doc.ID); ok {
		t.Error("document still recorded")
	}
	if _, ok := b.store.storedQuiz(q.ID); ok {
		t.Error("quiz still recorded")
	}
	if _, ok := b.store.storedExport(ready.ID); ok {
		t.Error("export still recorded")
	}
	for _, j := range b.store.allJobs() {
		if j.DocumentID == doc.ID || j.ID == regen.ID {
			t.Errorf("job %s (%s) of the document still recorded", j.ID, j.Kind)
		}
	}
	// Three documents' worth of records minus the deleted one's.
	if got, want := b.store.counts(), [4]int{2, 4, 2, 2}; got != want {
		t.Errorf("records (documents, jobs, quizzes, exports) = %v, want %v", got, want)
	}
}

func TestDeleteDocumentUnrecordedText(t *testing.T) {
	// The worker stored the text but crashed before recording it.
	b := setup(t)
	doc := b.document(t, docOpts{Status: quizflow.DocumentExtracting})
	_, err := b.blobs.PutText(b.ctx, doc.OwnerID, doc.ID, samplePages)
	must(t, err)
	must(t, b.svc.Documents.DeleteDocument(b.ctx, b.user, doc.ID))
	if keys := b.blobs.keys(); len(keys) > 0 {
		t.Errorf("files left = %v, want none", keys)
	}
}

func TestDeleteDocumentRefused(t *testing.T) {
	t.Run("another user's", func(t *testing.T) {
		b := setup(t)
		theirs := b.document(t, docOpts{Owner: b.other})
		b.export(t, b.quiz(t, theirs, quizOpts{}), exportOpts{})
		keys, counts := b.blobs.keys(), b.store.counts()
		err := b.svc.Documents.DeleteDocument(b.ctx, b.user, theirs.ID)
		wantError(t, err, quizflow.ENOTFOUND, "")
		if d := diff(keys, b.blobs.keys()); d != "" {
			t.Errorf("files (-want +got):\n%s", d)
		}
		if got := b.store.counts(); got != counts {
			t.Errorf("records = %v, want %v", got, counts)
		}
	})

	// When deleting files fails, no record is deleted, so the deletion can
	// be tried again and no file is orphaned.
	for _, method := range []string{"DeleteDocumentFiles", "Delete"} {
		t.Run("blobs."+method+" fails", func(t *testing.T) {
			b := setup(t)
			doc := b.document(t, docOpts{})
			b.export(t, b.quiz(t, doc, quizOpts{}), exportOpts{})
			counts := b.store.counts()
			down := errors.New("s3: service unavailable")
			b.blobs.failNext(method, down)
			if err := b.svc.Documents.DeleteDocument(b.ctx, b.user, doc.ID); !errors.Is(err, down) {
				t.Fatalf("err = %v, want %v", err, down)
			}
			if got := b.store.counts(); got != counts {
				t.Errorf("records = %v, want %v (none deleted)", got, counts)
			}
			must(t, b.svc.Documents.DeleteDocument(b.ctx, b.user, doc.ID))
			if got := b.store.counts(); got != [4]int{} {
				t.Errorf("records after retry = %v, want none", got)
			}
			if keys := b.blobs.keys(); len(keys) > 0 {
				t.Errorf("files after retry = %v, want none", keys)
			}
		})
	}
}

// TestSubmitUploadUndoFails: when even removing the unstarted job and
// document fails, they are marked failed rather than left pending.
func TestSubmitUploadUndoFails(t *testing.T) {
	b := setup(t)
	doc := b.received(t)
	down := errors.New("mongo: connection refused")
	b.queue.fail(errors.New("redis: connection refused"))
	b.store.failNext("DeleteJob", down)
	b.store.failNext("DeleteDocument", down)
	_, _, err := b.svc.Documents.SubmitUpload(b.ctx, b.user, doc, quizflow.GenerateOptions{})
	wantError(t, err, quizflow.EUNAVAILABLE, "")
	jobs := b.store.allJobs()
	if len(jobs) != 1 || jobs[0].Status != quizflow.StatusFailed || jobs[0].Error == nil || jobs[0].Error.Code != quizflow.EUNAVAILABLE {
		t.Errorf("jobs = %+v, want one failed unavailable", jobs)
	}
	if stored, ok := b.store.storedDocument(doc.ID); !ok || stored.Status != quizflow.DocumentFailed {
		t.Errorf("document (found %v) status = %q, want failed", ok, stored.Status)
	}
}

// TestReceiveFileStoreDown: the file store failing is no fault of the
// upload: EUNAVAILABLE with Retry-After, never a 400 "ended early".
func TestReceiveFileStoreDown(t *testing.T) {
	b := setup(t)
	b.blobs.failNext("UploadOriginal", errors.New("s3: CreateMultipartUpload: connection refused"))
	doc, err := b.svc.Documents.ReceiveFile(b.ctx, b.user, "notes.md", strings.NewReader("# Notes\n\nSome words to read."))
	qe := wantError(t, err, quizflow.EUNAVAILABLE, "")
	if doc != nil || qe.RetryAfter <= 0 || strings.Contains(qe.Message, "multipart") {
		t.Errorf("store outage = %+v, %+v; want EUNAVAILABLE with Retry-After and no internal detail", doc, qe)
	}
}
