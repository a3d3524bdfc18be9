package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/google/go-cmp/cmp"
	"github.com/quizflow/quizflow/internal/mongostore"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// setup opens a Store on a database of the test's own on the embedded
// FerretDB.
func setup(t *testing.T) (context.Context, *mongostore.Store) {
	t.Helper()
	env := testenv.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	s, err := mongostore.Open(ctx, env.MongoURI, env.MongoDB)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return ctx, s
}

// Fixtures with every field set, so a field the records drop or rename
// shows up as a difference.

// created is a fixed creation time as the store keeps times: UTC, whole
// milliseconds.
var created = time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)

func fullOptions() quizflow.GenerateOptions {
	return quizflow.GenerateOptions{
		QuestionCount: 12,
		QuestionTypes: []string{quizflow.MultipleChoice, quizflow.Matching},
		Difficulty:    quizflow.DifficultyHard,
		BloomLevels:   []string{"apply", "analyze"},
		Language:      "fr",
		Instructions:  "Focus on chapter 2.",
		Fresh:         true,
	}
}

func fullQuiz(owner string) *quizflow.Quiz {
	return &quizflow.Quiz{
		ID:         quizflow.NewID("quiz"),
		OwnerID:    owner,
		DocumentID: quizflow.NewID("doc"),
		JobID:      quizflow.NewID("job"),
		Title:      "Cell biology",
		Language:   "fr",
		Options:    fullOptions(),
		Questions: []quizflow.Question{
			{
				ID: "q1", Type: quizflow.MultipleChoice, Prompt: "Which organelle makes ATP?",
				Options: []quizflow.Option{
					{ID: "a", Text: "Mitochondrion", Correct: true},
					{ID: "b", Text: "Ribosome"},
				},
				Answers:     []string{},
				Explanation: "Oxidative phosphorylation happens there.",
				Source:      quizflow.Source{Page: 3, Quote: "the powerhouse of the cell"},
				Verified:    true, Difficulty: quizflow.DifficultyEasy, BloomLevel: "remember", Points: 2.5,
			},
			{
				ID: "q2", Type: quizflow.MultipleAnswer, Prompt: "Which are membranes?",
				Options: []quizflow.Option{
					{ID: "a", Text: "Plasma membrane", Correct: true},
					{ID: "b", Text: "Nuclear envelope", Correct: true},
					{ID: "c", Text: "Cytosol"},
				},
				Answers: []string{}, Explanation: "Both are lipid bilayers.",
				Source: quizflow.Source{Page: 4, Quote: "bilayer"}, BloomLevel: "understand",
			},
			{
				ID: "q3", Type: quizflow.TrueFalse, Prompt: "Plant cells have walls.",
				Options: []quizflow.Option{{ID: "t", Text: "True", Correct: true}, {ID: "f", Text: "False"}},
				Answers: []string{}, Source: quizflow.Source{Page: 5, Quote: "cell wall"}, Verified: true,
			},
			{
				ID: "q4", Type: quizflow.FillInBlank, Prompt: "DNA lives in the " + quizflow.BlankMarker + ".",
				Options: []quizflow.Option{}, Answers: []string{"nucleus", "nuclei"},
				Source: quizflow.Source{Page: 6, Quote: "nucleus"}, Points: 1,
			},
			{
				ID: "q5", Type: quizflow.Matching, Prompt: "Match the organelle to its job.",
				Options: []quizflow.Option{}, Answers: []string{},
				Pairs: []quizflow.Pair{
					{Left: "Ribosome", Right: "Protein synthesis"},
					{Left: "Lysosome", Right: "Digestion"},
				},
				Source: quizflow.Source{Page: 7, Quote: "organelles"}, Difficulty: quizflow.DifficultyMedium,
			},
			{
				ID: "q6", Type: quizflow.Essay, Prompt: "Explain osmosis.",
				Options: []quizflow.Option{}, Answers: []string{"Water moves across a membrane."},
				Explanation: "Graded by hand.", Source: quizflow.Source{Page: 8, Quote: "osmosis"},
				BloomLevel: "evaluate", Points: 10,
			},
		},
		Usage:     quizflow.Usage{Model: "gpt-4o-mini", Calls: 3, PromptTokens: 1200, CompletionTokens: 800, CostUSD: 0.0123, Cached: true},
		Warnings:  []string{"Asked for 12 questions, made 6."},
		CacheKey:  "quiz-cache-key",
		Version:   4,
		CreatedAt: created,
	}
}

func fullDocument(owner string) *quizflow.Document {
	return &quizflow.Document{
		ID: quizflow.NewID("doc"), OwnerID: owner, Filename: "cells.pdf", Kind: quizflow.KindPDF,
		ContentType: "application/pdf", Size: 123456, SHA256: strings.Repeat("ab", 32),
		BlobKey: "documents/o/d/original", TextKey: "documents/o/d/text.json",
		Status: quizflow.DocumentExtracted, PageCount: 9, WordCount: 4321, Options: fullOptions(),
	}
}

func fullJob(owner string) *quizflow.Job {
	o := fullOptions()
	return &quizflow.Job{
		ID: quizflow.NewID("job"), OwnerID: owner, Kind: quizflow.JobQuiz,
		Status: quizflow.StatusRunning, Stage: quizflow.StageGenerating, Progress: 40,
		Message:    "Writing questions",
		Error:      &quizflow.JobError{Code: quizflow.EGENERATION, Message: "The model gave up."},
		Result:     quizflow.JobResult{QuizID: "quiz_r", QuestionID: "q_r", ExportID: "exp_r"},
		DocumentID: quizflow.NewID("doc"), QuizID: quizflow.NewID("quiz"), QuestionID: "q1",
		ExportID: "exp_x", Options: &o, RequestID: quizflow.NewID("req"), Attempts: 2,
		Usage:    &quizflow.Usage{Model: "gpt-4o-mini", Calls: 1, PromptTokens: 10, CompletionTokens: 20, CostUSD: 0.5, Cached: true},
		Warnings: []string{"slow model"},
	}
}

func fullExport(owner string) *quizflow.Export {
	opts := quizflow.ExportOptions{PointsPerQuestion: 2, ShuffleAnswers: true, IncludeFeedback: true}
	key := quizflow.ExportCacheKey("quiz_x", 3, "qti", opts)
	return &quizflow.Export{
		ID: quizflow.ExportIDFor(owner, key), OwnerID: owner, QuizID: "quiz_x", DocumentID: "doc_x",
		QuizVersion: 3, Format: "qti", Options: opts, JobID: quizflow.NewID("job"),
		FileName: "cells.zip", ContentType: "application/zip", Size: 2048,
		BlobKey: "exports/o/e/cells.zip", Warnings: []string{"essay has no key"}, CacheKey: key,
		Error: &quizflow.JobError{Code: quizflow.EINTERNAL, Message: "Earlier try failed."},
	}
}

func TestQuizRoundTrip(t *testing.T) {
	t.Parallel()
	ctx, s := setup(t)
	q := fullQuiz("usr_a")
	if err := s.SaveQuiz(ctx, q); err != nil {
		t.Fatal(err)
	}
	want := *q

	got, err := s.Quiz(ctx, q.ID, "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(want, *got); d != "" {
		t.Errorf("Quiz mismatch (-want +got):\n%s", d)
	}
	got, err = s.QuizByCacheKey(ctx, "usr_a", "quiz-cache-key")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(want, *got); d != "" {
		t.Errorf("QuizByCacheKey mismatch (-want +got):\n%s", d)
	}
	list, _, err := s.Quizzes(ctx, "usr_a", quizflow.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]quizflow.Quiz{want}, list); d != "" {
		t.Errorf("Quizzes mismatch (-want +got):\n%s", d)
	}
	if _, err := s.Quiz(ctx, q.ID, "usr_b"); quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		t.Errorf("another owner's Quiz: error %v, want ENOTFOUND", err)
	}
}

// TestSaveQuizConcurrently saves one new quiz from several deliveries at
// once, as redelivered generation tasks may: every save succeeds and one
// quiz remains.
func TestSaveQuizConcurrently(t *testing.T) {
	t.Parallel()
	ctx, st := setup(t)
	for round := range 5 {
		id := quizflow.NewID("quiz")
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				q := fullQuiz("usr_racer")
				q.ID = id
				errs <- st.SaveQuiz(ctx, q)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: concurrent SaveQuiz: %v", round, err)
			}
		}
		n, err := st.Database().Collection("quizzes").CountDocuments(ctx, bson.M{"_id": id})
		if err != nil || n != 1 {
			t.Fatalf("round %d: %d quizzes with the ID (err %v), want 1", round, n, err)
		}
	}
}

func TestUpdateQuizVersionConflict(t *testing.T) {
	t.Parallel()
	ctx, s := setup(t)
	q := fullQuiz("usr_a")
	q.Version = 0
	if err := s.SaveQuiz(ctx, q); err != nil {
		t.Fatal(err)
	}
	if q.Version != 1 {
		t.Fatalf("saved version %d, want 1", q.Version)
	}
	first, err := s.Quiz(ctx, q.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Quiz(ctx, q.ID, "")
	if err != nil {
		t.Fatal(err)
	}

	first.Title = "First edit"
	if err := s.UpdateQuiz(ctx, first); err != nil {
		t.Fatalf("first update: %v", err)
	}
	if first.Version != 2 {
		t.Errorf("version after update %d, want 2", first.Version)
	}
	second.Title = "Stale edit"
	err = s.UpdateQuiz(ctx, second)
	if quizflow.ErrorCode(err) != quizflow.ECONFLICT {
		t.Fatalf("stale update: error %v, want ECONFLICT", err)
	}
	if second.Version != 1 {
		t.Errorf("version of the refused quiz %d, want 1 (unchanged)", second.Version)
	}
	got, err := s.Quiz(ctx, q.ID, "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(*first, *got); d != "" {
		t.Errorf("stored quiz after conflict (-want +got):\n%s", d)
	}
}

func TestDocumentRoundTrip(t *testing.T) {
	t.Parallel()
	ctx, s := setup(t)
	d := fullDocument("usr_a")
	if err := s.CreateDocument(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, err := s.Document(ctx, d.ID, "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	if df := diff(*d, *got); df != "" {
		t.Errorf("Document mismatch (-want +got):\n%s", df)
	}

	if err := s.SetDocumentExtracted(ctx, d.ID, "new/text.json", 11, 99); err != nil {
		t.Fatal(err)
	}
	got, err = s.Document(ctx, d.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	want := *d
	want.TextKey, want.PageCount, want.WordCount, want.UpdatedAt = "new/text.json", 11, 99, got.UpdatedAt
	if df := diff(want, *got); df != "" {
		t.Errorf("extracted Document mismatch (-want +got):\n%s", df)
	}
}

func TestJobRoundTrip(t *testing.T) {
	t.Parallel()
	ctx, s := setup(t)
	j := fullJob("usr_a")
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(ctx, j.ID, "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(*j, *got); d != "" {
		t.Errorf("Job mismatch (-want +got):\n%s", d)
	}

	// SucceedJob and FailJob write nested values with $set, outside of a
	// whole record: they must use the stored names too.
	ok := &quizflow.Job{ID: quizflow.NewID("job"), OwnerID: "usr_a", Kind: quizflow.JobQuiz}
	if err := s.CreateJob(ctx, ok); err != nil {
		t.Fatal(err)
	}
	result := quizflow.JobResult{QuizID: "quiz_done", QuestionID: "q9", ExportID: "exp_done"}
	usage := &quizflow.Usage{Model: "m", Calls: 4, PromptTokens: 5, CompletionTokens: 6, CostUSD: 0.25}
	if err := s.SucceedJob(ctx, ok.ID, result, usage, []string{"one warning"}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Job(ctx, ok.ID, "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	want := *ok
	want.Status, want.Stage, want.Progress = quizflow.StatusSucceeded, quizflow.StageDone, 100
	want.Result, want.Usage, want.Warnings, want.UpdatedAt = result, usage, []string{"one warning"}, got.UpdatedAt
	if d := diff(want, *got); d != "" {
		t.Errorf("succeeded Job mismatch (-want +got):\n%s", d)
	}

	bad := &quizflow.Job{ID: quizflow.NewID("job"), OwnerID: "usr_a", Kind: quizflow.JobQuiz}
	if err := s.CreateJob(ctx, bad); err != nil {
		t.Fatal(err)
	}
	jerr := quizflow.JobError{Code: quizflow.ENOTEXT, Message: "No text in this scan."}
	if err := s.FailJob(ctx, bad.ID, jerr); err != nil {
		t.Fatal(err)
	}
	got, err = s.Job(ctx, bad.ID, "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	want = *bad
	want.Status, want.Error, want.UpdatedAt = quizflow.StatusFailed, &jerr, got.UpdatedAt
	if d := diff(want, *got); d != "" {
		t.Errorf("failed Job mismatch (-want +got):\n%s", d)
	}

	// Nothing is stale yet; a cut-off in the future finds the unfinished one.
	stale, err := s.StaleJobs(ctx, time.Now().Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]quizflow.Job{*j}, stale); d != "" {
		t.Errorf("StaleJobs mismatch (-want +got):\n%s", d)
	}
}

func TestExportRoundTrip(t *testing.T) {
	t.Parallel()
	ctx, s := setup(t)
	e := fullExport("usr_a")
	claimed, err := s.ClaimExport(ctx, e)
	if err != nil || !claimed {
		t.Fatalf("ClaimExport = %v, %v; want true", claimed, err)
	}
	got, err := s.Export(ctx, e.ID, "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(*e, *got); d != "" {
		t.Errorf("Export mismatch (-want +got):\n%s", d)
	}

	f := quizflow.ExportFile{
		QuizVersion: 5, CacheKey: "key-v5", FileName: "v5.zip", ContentType: "application/zip",
		Size: 4096, BlobKey: "exports/o/e/v5.zip", Warnings: []string{"renamed"},
	}
	done, err := s.SucceedExport(ctx, e.ID, e.JobID, f)
	if err != nil || !done {
		t.Fatalf("SucceedExport = %v, %v; want true", done, err)
	}
	got, err = s.Export(ctx, e.ID, "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	want := *e
	want.Status, want.QuizVersion, want.CacheKey = quizflow.StatusSucceeded, f.QuizVersion, f.CacheKey
	want.FileName, want.ContentType, want.Size, want.BlobKey = f.FileName, f.ContentType, f.Size, f.BlobKey
	want.Warnings, want.UpdatedAt = f.Warnings, got.UpdatedAt
	if d := diff(want, *got); d != "" {
		t.Errorf("succeeded Export mismatch (-want +got):\n%s", d)
	}
	for name, list := range map[string]func() ([]quizflow.Export, error){
		"ExportsOfQuiz":     func() ([]quizflow.Export, error) { return s.ExportsOfQuiz(ctx, "usr_a", e.QuizID) },
		"ExportsOfDocument": func() ([]quizflow.Export, error) { return s.ExportsOfDocument(ctx, "usr_a", e.DocumentID) },
	} {
		got, err := list()
		if err != nil {
			t.Fatal(err)
		}
		if d := diff([]quizflow.Export{want}, got); d != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", name, d)
		}
	}
}

func TestClaimExport(t *testing.T) {
	t.Parallel()
	ctx, s := setup(t)
	e := fullExport("usr_a")
	e.Error = nil
	if ok, err := s.ClaimExport(ctx, e); err != nil || !ok {
		t.Fatalf("first claim = %v, %v; want true", ok, err)
	}

	rival := *e
	rival.JobID = quizflow.NewID("job")
	if ok, err := s.ClaimExport(ctx, &rival); err != nil || ok {
		t.Fatalf("claim of a queued export = %v, %v; want false", ok, err)
	}
	if running, err := s.ExportRunning(ctx, e.ID, e.JobID); err != nil || !running {
		t.Fatalf("ExportRunning = %v, %v; want true", running, err)
	}
	if ok, err := s.ClaimExport(ctx, &rival); err != nil || ok {
		t.Fatalf("claim of a running export = %v, %v; want false", ok, err)
	}
	got, err := s.Export(ctx, e.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.JobID != e.JobID || got.Status != quizflow.StatusRunning {
		t.Fatalf("after refused claims: job %s status %s, want %s running", got.JobID, got.Status, e.JobID)
	}

	jerr := quizflow.JobError{Code: quizflow.EINTERNAL, Message: "Rendering failed."}
	if err := s.FailExport(ctx, e.ID, e.JobID, jerr); err != nil {
		t.Fatal(err)
	}
	got, err = s.Export(ctx, e.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(&jerr, got.Error); d != "" || got.Status != quizflow.StatusFailed {
		t.Fatalf("failed export: status %s, error mismatch (-want +got):\n%s", got.Status, d)
	}

	retry := *e
	retry.JobID = quizflow.NewID("job")
	if ok, err := s.ClaimExport(ctx, &retry); err != nil || !ok {
		t.Fatalf("claim of a failed export = %v, %v; want true", ok, err)
	}
	got, err = s.Export(ctx, e.ID, "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(retry, *got); d != "" {
		t.Errorf("replaced export mismatch (-want +got):\n%s", d)
	}
}

func TestUserRoundTrip(t *testing.T) {
	t.Parallel()
	ctx, s := setup(t)
	u := &quizflow.User{
		Email: "Ada@Example.org", EmailKey: "ada@example.org", Name: "Ada Lovelace", PasswordHash: "$2a$10$hash",
		Plan: quizflow.PlanPro, Admin: true,
	}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if !quizflow.ValidID("usr", u.ID) {
		t.Fatalf("CreateUser filled id %q", u.ID)
	}
	want := *u // Admin is stored: granted by the operators' CLI
	for name, get := range map[string]func() (*quizflow.User, error){
		"UserByID":    func() (*quizflow.User, error) { return s.UserByID(ctx, u.ID) },
		"UserByEmail": func() (*quizflow.User, error) { return s.UserByEmail(ctx, "ada@example.org") },
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := diff(want, *got); d != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", name, d)
		}
	}
	if err := s.CreateUser(ctx, &quizflow.User{Email: "x@example.org"}); err == nil {
		t.Error("CreateUser without an email key succeeded")
	}
	if got, err := s.SetOperator(ctx, "ada@example.org", false); err != nil || got.Admin {
		t.Errorf("SetOperator(false) = %+v, %v", got, err)
	}
	if _, err := s.SetOperator(ctx, "nobody@example.org", true); quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		t.Errorf("SetOperator of an unknown address: %v, want ENOTFOUND", err)
	}
	err := s.CreateUser(ctx, &quizflow.User{Email: "ada@EXAMPLE.org", EmailKey: "ada@example.org", Name: "Copy"})
	if quizflow.ErrorCode(err) != quizflow.ECONFLICT {
		t.Errorf("second user with the same email: error %v, want ECONFLICT", err)
	}
}

func TestConsumeRefreshTokenReuse(t *testing.T) {
	t.Parallel()
	ctx, s := setup(t)
	family := quizflow.NewID("fam")
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	first := quizflow.RefreshToken{ID: quizflow.NewID("rt"), FamilyID: family, UserID: "usr_a", ExpiresAt: expires}
	if err := s.SaveRefreshToken(ctx, first); err != nil {
		t.Fatal(err)
	}
	got, err := s.ConsumeRefreshToken(ctx, first.ID, family)
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	if got.UsedAt == nil {
		t.Fatal("consumed token has no UsedAt")
	}
	want := first
	want.CreatedAt, want.UsedAt = got.CreatedAt, got.UsedAt
	if d := diff(want, *got); d != "" {
		t.Errorf("consumed token mismatch (-want +got):\n%s", d)
	}
	if got.CreatedAt.IsZero() {
		t.Error("consumed token has no CreatedAt")
	}

	// The login rotates to the next token of the family...
	next := quizflow.RefreshToken{ID: quizflow.NewID("rt"), FamilyID: family, UserID: "usr_a", ExpiresAt: expires}
	if err := s.SaveRefreshToken(ctx, next); err != nil {
		t.Fatal(err)
	}
	// ...then someone presents the first one again.
	if _, err := s.ConsumeRefreshToken(ctx, first.ID, family); !errors.Is(err, quizflow.ErrTokenReused) {
		t.Fatalf("second use: error %v, want ErrTokenReused", err)
	}
	if _, err := s.ConsumeRefreshToken(ctx, next.ID, family); quizflow.ErrorCode(err) != quizflow.EUNAUTHORIZED || errors.Is(err, quizflow.ErrTokenReused) {
		t.Fatalf("token of the revoked family: error %v, want EUNAUTHORIZED", err)
	}
	if _, err := s.ConsumeRefreshToken(ctx, quizflow.NewID("rt"), family); quizflow.ErrorCode(err) != quizflow.EUNAUTHORIZED {
		t.Fatalf("unknown token: error %v, want EUNAUTHORIZED", err)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	ctx, s := setup(t)
	var made []quizflow.Document
	for i := range 3 {
		d := fullDocument("usr_a")
		d.Filename = fmt.Sprintf("doc%d.pdf", i)
		if err := s.CreateDocument(ctx, d); err != nil {
			t.Fatal(err)
		}
		made = append(made, *d)
	}
	if err := s.CreateDocument(ctx, fullDocument("usr_b")); err != nil {
		t.Fatal(err)
	}
	// Newest first, by created_at then _id (records made in one millisecond).
	slices.SortFunc(made, func(a, b quizflow.Document) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})

	page1, cursor, err := s.Documents(ctx, "usr_a", quizflow.PageRequest{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(made[:2], page1); d != "" {
		t.Errorf("page 1 mismatch (-want +got):\n%s", d)
	}
	if cursor == "" {
		t.Fatal("page 1 has no next cursor")
	}
	page2, cursor2, err := s.Documents(ctx, "usr_a", quizflow.PageRequest{Limit: 2, Cursor: cursor})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(made[2:], page2); d != "" {
		t.Errorf("page 2 mismatch (-want +got):\n%s", d)
	}
	if cursor2 != "" {
		t.Errorf("last page cursor %q, want none", cursor2)
	}
	if _, _, err := s.Documents(ctx, "usr_a", quizflow.PageRequest{Limit: 2, Cursor: "not-a-cursor"}); quizflow.ErrorCode(err) != quizflow.EINVALID {
		t.Errorf("bad cursor: error %v, want EINVALID", err)
	}
}

// TestStoredFieldNames reads the raw records of every collection and checks
// that they use the historic field names, at every depth: databases written
// before the records moved out of the domain must still read.
func TestStoredFieldNames(t *testing.T) {
	t.Parallel()
	ctx, s := setup(t)

	u := &quizflow.User{Email: "ada@example.org", EmailKey: "ada@example.org", Name: "Ada", PasswordHash: "h"}
	d := fullDocument(quizflow.NewID("usr"))
	j := fullJob(d.OwnerID)
	q := fullQuiz(d.OwnerID)
	e := fullExport(d.OwnerID)
	tok := quizflow.RefreshToken{ID: quizflow.NewID("rt"), FamilyID: quizflow.NewID("fam"), UserID: "usr_a", ExpiresAt: created}
	for _, err := range []error{
		s.CreateUser(ctx, u), s.CreateDocument(ctx, d), s.CreateJob(ctx, j), s.SaveQuiz(ctx, q),
		s.SaveRefreshToken(ctx, tok),
		// Sets revoked_at: the family FerretDB stores from $setOnInsert
		// has no revoked_at at all, not even null.
		s.RevokeTokenFamily(ctx, tok.FamilyID),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.ClaimExport(ctx, e); err != nil || !ok {
		t.Fatalf("ClaimExport = %v, %v", ok, err)
	}

	genOpts := []string{
		"options", "options.question_count", "options.question_types", "options.difficulty",
		"options.bloom_levels", "options.language", "options.instructions", "options.fresh",
	}
	usage := func(prefix string) []string {
		return []string{prefix, prefix + ".model", prefix + ".calls", prefix + ".prompt_tokens",
			prefix + ".completion_tokens", prefix + ".cost_usd", prefix + ".cached"}
	}
	tests := []struct {
		col, id string
		want    []string
	}{
		{"users", u.ID, []string{"_id", "email", "email_key", "name", "password_hash", "plan", "created_at", "updated_at"}},
		{"refresh_tokens", tok.ID, []string{"_id", "family_id", "user_id", "expires_at", "used_at", "created_at"}},
		{"token_families", tok.FamilyID, []string{"_id", "user_id", "revoked_at", "created_at"}},
		{"documents", d.ID, slices.Concat([]string{
			"_id", "owner_id", "filename", "kind", "content_type", "size", "sha256", "blob_key", "text_key",
			"status", "page_count", "word_count", "created_at", "updated_at",
		}, genOpts)},
		{"jobs", j.ID, slices.Concat([]string{
			"_id", "owner_id", "kind", "status", "stage", "progress", "message",
			"error", "error.code", "error.message",
			"result", "result.quiz_id", "result.question_id", "result.export_id",
			"document_id", "quiz_id", "question_id", "export_id", "request_id", "attempts", "warnings",
			"created_at", "updated_at",
		}, genOpts, usage("usage"))},
		{"quizzes", q.ID, slices.Concat([]string{
			"_id", "owner_id", "document_id", "job_id", "title", "language", "warnings", "cache_key",
			"version", "created_at", "updated_at",
			"questions", "questions[].id", "questions[].type", "questions[].prompt",
			"questions[].options", "questions[].options[].id", "questions[].options[].text", "questions[].options[].correct",
			"questions[].answers", "questions[].pairs", "questions[].pairs[].left", "questions[].pairs[].right",
			"questions[].explanation", "questions[].source", "questions[].source.page", "questions[].source.quote",
			"questions[].verified", "questions[].difficulty", "questions[].bloom_level", "questions[].points",
		}, genOpts, usage("usage"))},
		{"exports", e.ID, []string{
			"_id", "owner_id", "quiz_id", "document_id", "quiz_version", "format",
			"options", "options.points_per_question", "options.shuffle_answers", "options.include_feedback",
			"status", "job_id", "file_name", "content_type", "size", "blob_key", "warnings", "cache_key",
			"error", "error.code", "error.message", "created_at", "updated_at",
		}},
	}
	for _, tt := range tests {
		raw, err := s.Database().Collection(tt.col).FindOne(ctx, bson.M{"_id": tt.id}).Raw()
		if err != nil {
			t.Fatalf("%s: %v", tt.col, err)
		}
		got := fieldPaths(t, raw)
		want := slices.Sorted(slices.Values(tt.want))
		if d := diff(want, got); d != "" {
			t.Errorf("%s field names mismatch (-want +got):\n%s\nstored: %s", tt.col, d, raw)
		}
	}
}

// fieldPaths lists every key of doc at every depth, sorted and without
// repeats: "a.b" for a key of an embedded document, "a[].b" for a key of
// the documents in array a.
func fieldPaths(t *testing.T, doc bson.Raw) []string {
	t.Helper()
	seen := map[string]bool{}
	var walk func(prefix string, v bson.RawValue)
	walk = func(prefix string, v bson.RawValue) {
		switch v.Type {
		case bson.TypeEmbeddedDocument:
			elems, err := v.Document().Elements()
			if err != nil {
				t.Fatalf("%s: %v", prefix, err)
			}
			for _, el := range elems {
				path := prefix + el.Key()
				seen[path] = true
				walk(path+".", el.Value())
			}
		case bson.TypeArray:
			vals, err := v.Array().Values()
			if err != nil {
				t.Fatalf("%s: %v", prefix, err)
			}
			for _, el := range vals {
				walk(strings.TrimSuffix(prefix, ".")+"[].", el)
			}
		}
	}
	walk("", bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc})
	return slices.Sorted(maps.Keys(seen))
}

// diff is cmp.Diff: "" when equal, else the differences, (-want +got).
func diff(want, got any) string { return cmp.Diff(want, got) }
