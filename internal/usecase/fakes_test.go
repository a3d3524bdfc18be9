package usecase_test

// In-memory fakes of the three ports of package usecase, faithful to the
// production adapters where the rules depend on them:
//
//   - memStore copies internal/mongostore: another owner's record is "not
//     found"; finished jobs and exports are never updated again; UpdateQuiz
//     is a compare-and-set on Version; ClaimExport inserts, or replaces a
//     failed export, and answers false when a live one holds the ID;
//     listings are newest first with an opaque cursor. Records are copied in
//     and out, so a test cannot alias what is stored.
//   - memBlobs copies internal/s3blob's key layout; a failed upload stores
//     nothing (S3 aborts it) and returns the reader's error wrapped.
//   - memQueue records the tasks it is given, as jobs.Client would enqueue
//     them, and can be told to fail.
//
// All three write to one callLog, so a test can check the order of work
// across them ("files first, then records").

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/usecase"
)

var (
	_ usecase.Store = (*memStore)(nil)
	_ usecase.Blobs = (*memBlobs)(nil)
	_ usecase.Queue = (*memQueue)(nil)
)

// callLog records the calls made to the fakes, in order, as
// "store.Method", "blobs.Method arg..." or "queue.Enqueue type".
type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *callLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, fmt.Sprintf(format, args...))
}

// take returns the calls logged since the last take and forgets them.
func (l *callLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

// failures holds errors to return from the next call of a method, by
// method name, each once.
type failures struct {
	mu   sync.Mutex
	next map[string]error
}

// failNext makes the next call of method return err.
func (f *failures) failNext(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.next == nil {
		f.next = map[string]error{}
	}
	f.next[method] = err
}

func (f *failures) take(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err, ok := f.next[method]
	if ok {
		delete(f.next, method)
	}
	return err
}

// ---- memStore ----

type memStore struct {
	failures
	log *callLog

	mu        sync.Mutex
	clock     time.Time
	documents map[string]quizflow.Document
	jobs      map[string]quizflow.Job
	quizzes   map[string]quizflow.Quiz
	exports   map[string]quizflow.Export

	// onUpdateQuiz, if set, runs inside UpdateQuiz (lock held) on the
	// stored quiz before the version is compared, so a test can make a
	// concurrent edit win: change stored and bump stored.Version.
	onUpdateQuiz func(stored *quizflow.Quiz)
	// onClaimExport, if set, runs at the start of ClaimExport (lock not
	// held), so a test can let a concurrent identical request claim first.
	onClaimExport func(e *quizflow.Export)
}

func newMemStore(log *callLog) *memStore {
	return &memStore{
		log:       log,
		clock:     time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		documents: map[string]quizflow.Document{},
		jobs:      map[string]quizflow.Job{},
		quizzes:   map[string]quizflow.Quiz{},
		exports:   map[string]quizflow.Export{},
	}
}

// now returns the fake clock, one millisecond later on every call, so
// records made one after the other sort newest first. s.mu is held.
func (s *memStore) now() time.Time {
	s.clock = s.clock.Add(time.Millisecond)
	return s.clock
}

// begin logs a call of method and returns the error it must fail with:
// the context's, as the driver would, or one injected with failNext.
// s.mu is held.
func (s *memStore) begin(ctx context.Context, method string) error {
	s.log.add("store.%s", method)
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.take(method)
}

func notFound(what string) error { return quizflow.Errorf(quizflow.ENOTFOUND, "%s not found", what) }

func finished(status string) bool {
	return status == quizflow.StatusSucceeded || status == quizflow.StatusFailed
}

// getOwned returns record id of m if owner owns it (owner "" skips the
// check), as mongostore.findOwned does.
func getOwned[T any](m map[string]T, id, owner, what string, ownerOf func(T) string, clone func(T) T) (*T, error) {
	r, ok := m[id]
	if !ok || owner != "" && ownerOf(r) != owner {
		return nil, notFound(what)
	}
	c := clone(r)
	return &c, nil
}

// pageOf returns one page of rs, newest first (created_at, then ID), as
// mongostore.pageOwned does; the cursor is opaque and bad ones EINVALID.
func pageOf[T any](rs []T, p quizflow.PageRequest, key func(T) (time.Time, string)) ([]T, string, error) {
	slices.SortFunc(rs, func(a, b T) int {
		ta, ia := key(a)
		tb, ib := key(b)
		return cmp.Or(tb.Compare(ta), strings.Compare(ib, ia))
	})
	if p.Cursor != "" {
		at, id, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, "", err
		}
		rs = slices.DeleteFunc(rs, func(r T) bool {
			t, i := key(r)
			return !(t.Before(at) || t.Equal(at) && i < id)
		})
	}
	next := ""
	if p.Limit > 0 && len(rs) > p.Limit {
		rs = rs[:p.Limit]
		t, i := key(rs[len(rs)-1])
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixNano(), 10) + "|" + i))
	}
	return rs, next, nil
}

func decodeCursor(c string) (time.Time, string, error) {
	bad := quizflow.Invalid("cursor", "The cursor is not one this API returned; start again without it.")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", bad
	}
	ns, id, ok := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", bad
	}
	return time.Unix(0, n).UTC(), id, nil
}

// selectOwned returns copies of owner's records of m that keep accepts.
func selectOwned[T any](m map[string]T, owner string, ownerOf func(T) string, keep func(T) bool, clone func(T) T) []T {
	var out []T
	for _, r := range m {
		if ownerOf(r) == owner && (keep == nil || keep(r)) {
			out = append(out, clone(r))
		}
	}
	return out
}

func deleteOwned[T any](m map[string]T, owner string, ownerOf func(T) string, match func(T) bool) {
	for id, r := range m {
		if ownerOf(r) == owner && match(r) {
			delete(m, id)
		}
	}
}

// Deep copies, so that neither a caller nor the store can change the
// other's records.

func cloneOptions(o quizflow.GenerateOptions) quizflow.GenerateOptions {
	o.QuestionTypes = slices.Clone(o.QuestionTypes)
	o.BloomLevels = slices.Clone(o.BloomLevels)
	return o
}

func cloneDocument(d quizflow.Document) quizflow.Document {
	d.Options = cloneOptions(d.Options)
	return d
}

func cloneJobError(e *quizflow.JobError) *quizflow.JobError {
	if e == nil {
		return nil
	}
	c := *e
	return &c
}

func cloneJob(j quizflow.Job) quizflow.Job {
	if j.Options != nil {
		o := cloneOptions(*j.Options)
		j.Options = &o
	}
	if j.Usage != nil {
		u := *j.Usage
		j.Usage = &u
	}
	j.Error = cloneJobError(j.Error)
	j.Warnings = slices.Clone(j.Warnings)
	return j
}

func cloneQuestion(q quizflow.Question) quizflow.Question {
	q.Options = slices.Clone(q.Options)
	q.Answers = slices.Clone(q.Answers)
	q.Pairs = slices.Clone(q.Pairs)
	return q
}

func cloneQuiz(q quizflow.Quiz) quizflow.Quiz {
	q.Options = cloneOptions(q.Options)
	q.Warnings = slices.Clone(q.Warnings)
	if q.Questions != nil {
		qs := make([]quizflow.Question, len(q.Questions))
		for i, qu := range q.Questions {
			qs[i] = cloneQuestion(qu)
		}
		q.Questions = qs
	}
	return q
}

func cloneExport(e quizflow.Export) quizflow.Export {
	e.Warnings = slices.Clone(e.Warnings)
	e.Error = cloneJobError(e.Error)
	return e
}

func docOwner(d quizflow.Document) string  { return d.OwnerID }
func jobOwner(j quizflow.Job) string       { return j.OwnerID }
func quizOwner(q quizflow.Quiz) string     { return q.OwnerID }
func exportOwner(e quizflow.Export) string { return e.OwnerID }

// DocumentStore

func (s *memStore) CreateDocument(ctx context.Context, d *quizflow.Document) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "CreateDocument"); err != nil {
		return err
	}
	if _, dup := s.documents[d.ID]; dup {
		return fmt.Errorf("insert document: duplicate key %s", d.ID)
	}
	d.CreatedAt = s.now()
	d.UpdatedAt = d.CreatedAt
	s.documents[d.ID] = cloneDocument(*d)
	return nil
}

func (s *memStore) Document(ctx context.Context, id, owner string) (*quizflow.Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "Document"); err != nil {
		return nil, err
	}
	return getOwned(s.documents, id, owner, "document", docOwner, cloneDocument)
}

func (s *memStore) Documents(ctx context.Context, owner string, p quizflow.PageRequest) ([]quizflow.Document, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "Documents"); err != nil {
		return nil, "", err
	}
	return pageOf(selectOwned(s.documents, owner, docOwner, nil, cloneDocument), p,
		func(d quizflow.Document) (time.Time, string) { return d.CreatedAt, d.ID })
}

func (s *memStore) updateDocument(ctx context.Context, method, id string, set func(*quizflow.Document)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, method); err != nil {
		return err
	}
	d, ok := s.documents[id]
	if !ok {
		return quizflow.Errorf(quizflow.ENOTFOUND, "The document was deleted.")
	}
	set(&d)
	d.UpdatedAt = s.now()
	s.documents[id] = d
	return nil
}

func (s *memStore) SetDocumentStatus(ctx context.Context, id, status string) error {
	return s.updateDocument(ctx, "SetDocumentStatus", id, func(d *quizflow.Document) { d.Status = status })
}

func (s *memStore) SetDocumentExtracted(ctx context.Context, id, textKey string, pages, words int) error {
	return s.updateDocument(ctx, "SetDocumentExtracted", id, func(d *quizflow.Document) {
		d.Status, d.TextKey, d.PageCount, d.WordCount = quizflow.DocumentExtracted, textKey, pages, words
	})
}

func (s *memStore) DeleteDocument(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "DeleteDocument"); err != nil {
		return err
	}
	delete(s.documents, id)
	return nil
}

// JobStore

func (s *memStore) CreateJob(ctx context.Context, j *quizflow.Job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "CreateJob"); err != nil {
		return err
	}
	if _, dup := s.jobs[j.ID]; dup {
		return fmt.Errorf("insert job: duplicate key %s", j.ID)
	}
	j.CreatedAt = s.now()
	j.UpdatedAt = j.CreatedAt
	if j.Status == "" {
		j.Status, j.Stage = quizflow.StatusQueued, quizflow.StageQueued
	}
	s.jobs[j.ID] = cloneJob(*j)
	return nil
}

func (s *memStore) Job(ctx context.Context, id, owner string) (*quizflow.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "Job"); err != nil {
		return nil, err
	}
	return getOwned(s.jobs, id, owner, "job", jobOwner, cloneJob)
}

func (s *memStore) Jobs(ctx context.Context, owner string, p quizflow.PageRequest) ([]quizflow.Job, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "Jobs"); err != nil {
		return nil, "", err
	}
	return pageOf(selectOwned(s.jobs, owner, jobOwner, nil, cloneJob), p,
		func(j quizflow.Job) (time.Time, string) { return j.CreatedAt, j.ID })
}

// updateJob applies set to job id unless it is missing or finished, and
// reports whether it did.
func (s *memStore) updateJob(ctx context.Context, method, id string, set func(*quizflow.Job)) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, method); err != nil {
		return false, err
	}
	j, ok := s.jobs[id]
	if !ok || finished(j.Status) {
		return false, nil
	}
	set(&j)
	j.UpdatedAt = s.now()
	s.jobs[id] = j
	return true, nil
}

func (s *memStore) JobProgress(ctx context.Context, id, stage string, progress int, message string) (bool, error) {
	return s.updateJob(ctx, "JobProgress", id, func(j *quizflow.Job) {
		j.Status, j.Stage, j.Progress, j.Message = quizflow.StatusRunning, stage, progress, message
	})
}

func (s *memStore) JobAttempt(ctx context.Context, id string) error {
	_, err := s.updateJob(ctx, "JobAttempt", id, func(j *quizflow.Job) { j.Attempts++ })
	return err
}

func (s *memStore) SucceedJob(ctx context.Context, id string, result quizflow.JobResult, usage *quizflow.Usage, warnings []string) error {
	_, err := s.updateJob(ctx, "SucceedJob", id, func(j *quizflow.Job) {
		j.Status, j.Stage, j.Progress, j.Message, j.Result = quizflow.StatusSucceeded, quizflow.StageDone, 100, "", result
		if usage != nil {
			u := *usage
			j.Usage = &u
		}
		if len(warnings) > 0 {
			j.Warnings = slices.Clone(warnings)
		}
	})
	return err
}

func (s *memStore) FailJob(ctx context.Context, id string, jerr quizflow.JobError) error {
	_, err := s.updateJob(ctx, "FailJob", id, func(j *quizflow.Job) {
		j.Status, j.Error, j.Message = quizflow.StatusFailed, &jerr, ""
	})
	return err
}

func (s *memStore) DeleteJob(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "DeleteJob"); err != nil {
		return err
	}
	delete(s.jobs, id)
	return nil
}

func (s *memStore) DeleteJobsOfDocument(ctx context.Context, owner, docID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "DeleteJobsOfDocument"); err != nil {
		return err
	}
	deleteOwned(s.jobs, owner, jobOwner, func(j quizflow.Job) bool { return j.DocumentID == docID })
	return nil
}

func (s *memStore) StaleJobs(ctx context.Context, before time.Time, limit int64) ([]quizflow.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "StaleJobs"); err != nil {
		return nil, err
	}
	var out []quizflow.Job
	for _, j := range s.jobs {
		if !finished(j.Status) && j.UpdatedAt.Before(before) && (limit <= 0 || int64(len(out)) < limit) {
			out = append(out, cloneJob(j))
		}
	}
	return out, nil
}

func (s *memStore) TouchJob(ctx context.Context, id string) error {
	_, err := s.updateJob(ctx, "TouchJob", id, func(*quizflow.Job) {})
	return err
}

// QuizStore

func (s *memStore) SaveQuiz(ctx context.Context, q *quizflow.Quiz) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "SaveQuiz"); err != nil {
		return err
	}
	q.FillEmptyLists()
	now := s.now()
	if q.CreatedAt.IsZero() {
		q.CreatedAt = now
	}
	q.UpdatedAt = now
	if q.Version == 0 {
		q.Version = 1
	}
	s.quizzes[q.ID] = cloneQuiz(*q)
	return nil
}

func (s *memStore) UpdateQuiz(ctx context.Context, q *quizflow.Quiz) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "UpdateQuiz"); err != nil {
		return err
	}
	q.FillEmptyLists()
	stored, ok := s.quizzes[q.ID]
	if ok && s.onUpdateQuiz != nil {
		s.onUpdateQuiz(&stored)
		s.quizzes[q.ID] = stored
	}
	if !ok || stored.Version != q.Version {
		return quizflow.Errorf(quizflow.ECONFLICT, "The quiz was changed by another request; reload it and try again.")
	}
	q.Version++
	q.UpdatedAt = s.now()
	s.quizzes[q.ID] = cloneQuiz(*q)
	return nil
}

func (s *memStore) Quiz(ctx context.Context, id, owner string) (*quizflow.Quiz, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "Quiz"); err != nil {
		return nil, err
	}
	return getOwned(s.quizzes, id, owner, "quiz", quizOwner, cloneQuiz)
}

func (s *memStore) Quizzes(ctx context.Context, owner string, p quizflow.PageRequest) ([]quizflow.Quiz, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "Quizzes"); err != nil {
		return nil, "", err
	}
	return pageOf(selectOwned(s.quizzes, owner, quizOwner, nil, cloneQuiz), p,
		func(q quizflow.Quiz) (time.Time, string) { return q.CreatedAt, q.ID })
}

func (s *memStore) QuizByCacheKey(ctx context.Context, owner, key string) (*quizflow.Quiz, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "QuizByCacheKey"); err != nil {
		return nil, err
	}
	qs, _, _ := pageOf(selectOwned(s.quizzes, owner, quizOwner, func(q quizflow.Quiz) bool { return q.CacheKey == key }, cloneQuiz),
		quizflow.PageRequest{}, func(q quizflow.Quiz) (time.Time, string) { return q.CreatedAt, q.ID })
	if len(qs) == 0 {
		return nil, notFound("quiz")
	}
	return &qs[0], nil
}

func (s *memStore) DeleteQuiz(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "DeleteQuiz"); err != nil {
		return err
	}
	delete(s.quizzes, id)
	return nil
}

func (s *memStore) DeleteQuizzesOfDocument(ctx context.Context, owner, docID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "DeleteQuizzesOfDocument"); err != nil {
		return err
	}
	deleteOwned(s.quizzes, owner, quizOwner, func(q quizflow.Quiz) bool { return q.DocumentID == docID })
	return nil
}

// ExportStore

func (s *memStore) ClaimExport(ctx context.Context, e *quizflow.Export) (bool, error) {
	if s.onClaimExport != nil {
		s.onClaimExport(e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "ClaimExport"); err != nil {
		return false, err
	}
	e.CreatedAt = s.now()
	e.UpdatedAt = e.CreatedAt
	e.Status = quizflow.StatusQueued
	if old, ok := s.exports[e.ID]; ok && (old.OwnerID != e.OwnerID || old.Status != quizflow.StatusFailed) {
		return false, nil
	}
	s.exports[e.ID] = cloneExport(*e)
	return true, nil
}

func (s *memStore) Export(ctx context.Context, id, owner string) (*quizflow.Export, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "Export"); err != nil {
		return nil, err
	}
	return getOwned(s.exports, id, owner, "export", exportOwner, cloneExport)
}

func (s *memStore) Exports(ctx context.Context, owner, quizID string, p quizflow.PageRequest) ([]quizflow.Export, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "Exports"); err != nil {
		return nil, "", err
	}
	keep := func(e quizflow.Export) bool { return quizID == "" || e.QuizID == quizID }
	return pageOf(selectOwned(s.exports, owner, exportOwner, keep, cloneExport), p,
		func(e quizflow.Export) (time.Time, string) { return e.CreatedAt, e.ID })
}

// updateExport applies set to export id if job jobID builds it and it has
// not finished, and reports whether it did.
func (s *memStore) updateExport(ctx context.Context, method, id, jobID string, set func(*quizflow.Export)) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, method); err != nil {
		return false, err
	}
	e, ok := s.exports[id]
	if !ok || e.JobID != jobID || finished(e.Status) {
		return false, nil
	}
	set(&e)
	e.UpdatedAt = s.now()
	s.exports[id] = e
	return true, nil
}

func (s *memStore) ExportRunning(ctx context.Context, id, jobID string) (bool, error) {
	return s.updateExport(ctx, "ExportRunning", id, jobID, func(e *quizflow.Export) { e.Status = quizflow.StatusRunning })
}

func (s *memStore) SucceedExport(ctx context.Context, id, jobID string, f quizflow.ExportFile) (bool, error) {
	return s.updateExport(ctx, "SucceedExport", id, jobID, func(e *quizflow.Export) {
		e.Status, e.QuizVersion, e.CacheKey = quizflow.StatusSucceeded, f.QuizVersion, f.CacheKey
		e.FileName, e.ContentType, e.Size, e.BlobKey = f.FileName, f.ContentType, f.Size, f.BlobKey
		e.Warnings = slices.Clone(f.Warnings)
		if e.Warnings == nil {
			e.Warnings = []string{}
		}
	})
}

func (s *memStore) FailExport(ctx context.Context, id, jobID string, jerr quizflow.JobError) error {
	_, err := s.updateExport(ctx, "FailExport", id, jobID, func(e *quizflow.Export) {
		e.Status, e.Error = quizflow.StatusFailed, &jerr
	})
	return err
}

func (s *memStore) exportsWhere(ctx context.Context, method, owner string, keep func(quizflow.Export) bool) ([]quizflow.Export, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, method); err != nil {
		return nil, err
	}
	es, _, err := pageOf(selectOwned(s.exports, owner, exportOwner, keep, cloneExport), quizflow.PageRequest{},
		func(e quizflow.Export) (time.Time, string) { return e.CreatedAt, e.ID })
	return es, err
}

func (s *memStore) ExportsOfQuiz(ctx context.Context, owner, quizID string) ([]quizflow.Export, error) {
	return s.exportsWhere(ctx, "ExportsOfQuiz", owner, func(e quizflow.Export) bool { return e.QuizID == quizID })
}

func (s *memStore) ExportsOfDocument(ctx context.Context, owner, docID string) ([]quizflow.Export, error) {
	return s.exportsWhere(ctx, "ExportsOfDocument", owner, func(e quizflow.Export) bool { return e.DocumentID == docID })
}

func (s *memStore) deleteExportsWhere(ctx context.Context, method, owner string, match func(quizflow.Export) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, method); err != nil {
		return err
	}
	deleteOwned(s.exports, owner, exportOwner, match)
	return nil
}

func (s *memStore) DeleteExportsOfQuiz(ctx context.Context, owner, quizID string) error {
	return s.deleteExportsWhere(ctx, "DeleteExportsOfQuiz", owner, func(e quizflow.Export) bool { return e.QuizID == quizID })
}

func (s *memStore) DeleteExportsOfDocument(ctx context.Context, owner, docID string) error {
	return s.deleteExportsWhere(ctx, "DeleteExportsOfDocument", owner, func(e quizflow.Export) bool { return e.DocumentID == docID })
}

// Inspection helpers for assertions: they bypass logging and failures.

func (s *memStore) storedDocument(id string) (quizflow.Document, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.documents[id]
	return cloneDocument(d), ok
}

func (s *memStore) storedJob(id string) (quizflow.Job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	return cloneJob(j), ok
}

func (s *memStore) storedQuiz(id string) (quizflow.Quiz, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.quizzes[id]
	return cloneQuiz(q), ok
}

func (s *memStore) storedExport(id string) (quizflow.Export, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.exports[id]
	return cloneExport(e), ok
}

// allJobs returns every stored job, oldest first.
func (s *memStore) allJobs() []quizflow.Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []quizflow.Job
	for _, j := range s.jobs {
		out = append(out, cloneJob(j))
	}
	slices.SortFunc(out, func(a, b quizflow.Job) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// counts returns how many documents, jobs, quizzes and exports are stored.
func (s *memStore) counts() [4]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return [4]int{len(s.documents), len(s.jobs), len(s.quizzes), len(s.exports)}
}

// ---- memBlobs ----

// Keys as internal/s3blob lays them out.
func originalKey(owner, id string) string { return "documents/" + owner + "/" + id + "/original" }
func textKey(owner, id string) string     { return "documents/" + owner + "/" + id + "/text.json" }
func exportKey(owner, id, filename string) string {
	return "exports/" + owner + "/" + id + "/" + strings.ReplaceAll(filename, "/", "_")
}

type blobFile struct {
	Data        []byte
	ContentType string
}

type presignCall struct {
	Key, Filename, ContentType string
	TTL                        time.Duration
}

type memBlobs struct {
	failures
	log *callLog

	mu        sync.Mutex
	files     map[string]blobFile
	presigned []presignCall
}

func newMemBlobs(log *callLog) *memBlobs {
	return &memBlobs{log: log, files: map[string]blobFile{}}
}

func (b *memBlobs) begin(ctx context.Context, method string, args ...string) error {
	b.log.add("%s", strings.Join(append([]string{"blobs." + method}, args...), " "))
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.take(method)
}

func (b *memBlobs) put(key string, data []byte, contentType string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.files[key] = blobFile{Data: bytes.Clone(data), ContentType: contentType}
}

func (b *memBlobs) UploadOriginal(ctx context.Context, owner, docID string, r io.Reader, contentType string) (string, error) {
	key := originalKey(owner, docID)
	if err := b.begin(ctx, "UploadOriginal", key); err != nil {
		return "", err
	}
	// Like S3's multipart upload, the whole stream is read, and a read
	// error aborts the upload, leaving no object.
	data, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("upload %s: %w", key, err)
	}
	b.put(key, data, contentType)
	return key, nil
}

func (b *memBlobs) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if err := b.begin(ctx, "Open", key); err != nil {
		return nil, 0, err
	}
	f, ok := b.file(key)
	if !ok {
		return nil, 0, quizflow.Errorf(quizflow.ENOTFOUND, "file not found")
	}
	return io.NopCloser(bytes.NewReader(f.Data)), int64(len(f.Data)), nil
}

func (b *memBlobs) PutText(ctx context.Context, owner, docID string, pages []quizflow.Page) (string, error) {
	key := textKey(owner, docID)
	if err := b.begin(ctx, "PutText", key); err != nil {
		return "", err
	}
	data, err := json.Marshal(quizflow.DocumentText{Pages: pages})
	if err != nil {
		return "", fmt.Errorf("encode text: %w", err)
	}
	b.put(key, data, "application/json")
	return key, nil
}

func (b *memBlobs) GetText(ctx context.Context, key string) ([]quizflow.Page, error) {
	if err := b.begin(ctx, "GetText", key); err != nil {
		return nil, err
	}
	f, ok := b.file(key)
	if !ok {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "file not found")
	}
	var t quizflow.DocumentText
	if err := json.Unmarshal(f.Data, &t); err != nil {
		return nil, fmt.Errorf("decode text %s: %w", key, err)
	}
	return t.Pages, nil
}

func (b *memBlobs) PutExport(ctx context.Context, owner, exportID, filename string, data []byte, contentType string) (string, error) {
	key := exportKey(owner, exportID, filename)
	if err := b.begin(ctx, "PutExport", key); err != nil {
		return "", err
	}
	b.put(key, data, contentType)
	return key, nil
}

func (b *memBlobs) PresignGet(ctx context.Context, key, filename, contentType string, ttl time.Duration) (string, error) {
	if err := b.begin(ctx, "PresignGet", key); err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.presigned = append(b.presigned, presignCall{Key: key, Filename: filename, ContentType: contentType, TTL: ttl})
	// Like S3, presigning does not look at the object.
	return "https://blobs.test/" + key + "?" + url.Values{"filename": {filename}, "ttl": {ttl.String()}}.Encode(), nil
}

func (b *memBlobs) Delete(ctx context.Context, keys ...string) error {
	if err := b.begin(ctx, "Delete", keys...); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		delete(b.files, k) // "" and missing keys are no error, as in s3blob
	}
	return nil
}

func (b *memBlobs) DeleteDocumentFiles(ctx context.Context, owner, docID string) error {
	if err := b.begin(ctx, "DeleteDocumentFiles", owner, docID); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.files, originalKey(owner, docID))
	delete(b.files, textKey(owner, docID))
	return nil
}

func (b *memBlobs) file(key string) (blobFile, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, ok := b.files[key]
	f.Data = bytes.Clone(f.Data)
	return f, ok
}

// keys returns the stored keys, sorted.
func (b *memBlobs) keys() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	ks := make([]string, 0, len(b.files))
	for k := range b.files {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// ---- memQueue ----

// queuedTask is what memQueue keeps of an enqueued task.
type queuedTask struct {
	Type    string
	Payload []byte
}

type memQueue struct {
	log *callLog

	mu    sync.Mutex
	tasks []queuedTask
	// err, while set, is returned by every Enqueue.
	err error
	// onEnqueue, if set, runs before a task is accepted; an error it
	// returns is Enqueue's.
	onEnqueue func(ctx context.Context, t *asynq.Task) error
}

func (q *memQueue) Enqueue(ctx context.Context, t *asynq.Task) error {
	q.log.add("queue.Enqueue %s", t.Type())
	q.mu.Lock()
	hook, qerr := q.onEnqueue, q.err
	q.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, t); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("enqueue %s: %w", t.Type(), err)
	}
	if qerr != nil {
		return fmt.Errorf("enqueue %s: %w", t.Type(), qerr)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks = append(q.tasks, queuedTask{Type: t.Type(), Payload: bytes.Clone(t.Payload())})
	return nil
}

func (q *memQueue) fail(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.err = err
}

// queued returns the tasks enqueued so far.
func (q *memQueue) queued() []queuedTask {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.tasks)
}

// payload decodes the payload of task into a T.
func payload[T any](t *testing.T, task queuedTask) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(task.Payload, &v); err != nil {
		t.Fatalf("decode %s payload %s: %v", task.Type, task.Payload, err)
	}
	return v
}

// ---- diff ----

// diff is cmp.Diff: "" when equal, else the differences, (-want +got).
func diff(want, got any) string { return gocmp.Diff(want, got) }
