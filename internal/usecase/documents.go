package usecase

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Documents implements quizflow.DocumentService.
type Documents struct{ *core }

var _ quizflow.DocumentService = (*Documents)(nil)

// sniffLen is how much of an upload is read to decide its type.
const sniffLen = 8 << 10

// CheckOptions implements quizflow.DocumentService.
func (s *Documents) CheckOptions(user *quizflow.User, opts *quizflow.GenerateOptions) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	plan, _, _, err := s.standing(ctx, user)
	if err != nil {
		return err
	}
	return s.checkOptions(plan, opts)
}

// checkOptions normalises opts for plan and checks the configured
// generator can write at least one of the requested question types.
func (c *core) checkOptions(plan quizflow.Plan, opts *quizflow.GenerateOptions) error {
	if err := opts.NormalizeFor(plan, c.plans().Pro.MaxQuestions); err != nil {
		return err
	}
	can := c.Config.QuestionTypes
	if len(can) == 0 || slices.ContainsFunc(opts.QuestionTypes, func(t string) bool { return slices.Contains(can, t) }) {
		return nil
	}
	return quizflow.Invalid("question_types", "This server has no AI model configured; its built-in generator writes only %s questions. Ask for one of those (or set OPENAI_API_KEY).",
		strings.Join(can, ", "))
}

// ReceiveFile implements quizflow.DocumentService. The quiz the upload
// asks for is charged to the user's allowance first, before anything is
// stored; any failure after gives the unit back.
func (s *Documents) ReceiveFile(ctx context.Context, user *quizflow.User, filename string, r io.Reader) (_ *quizflow.Document, err error) {
	plan, st, _, err := s.standing(ctx, user)
	if err != nil {
		return nil, err
	}
	limit := min(plan.MaxFileSize, s.Config.MaxFileSize)
	if limit <= 0 {
		limit = max(plan.MaxFileSize, s.Config.MaxFileSize)
	}
	jobID := quizflow.NewID("job")
	if err := s.charge(ctx, user, plan, st, quizflow.QuotaQuizzes, jobID); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.Refund(ctx, jobID)
		}
	}()
	doc := &quizflow.Document{
		ID: quizflow.NewID("doc"), OwnerID: user.ID, Status: quizflow.DocumentUploaded,
		Filename: cleanFilename(filename),
	}
	if s.BillingStore != nil {
		doc.QuotaCharge = jobID
	}
	br := bufio.NewReaderSize(&limitReader{r: r, n: limit}, sniffLen)
	head, err := br.Peek(sniffLen)
	switch {
	case errors.Is(err, errFileTooLarge):
		return nil, s.tooLarge(plan, limit)
	case err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull):
		return nil, s.readError(err, plan, limit)
	}
	if len(head) == 0 {
		return nil, quizflow.Invalid("file", "The file is empty.")
	}
	kind, contentType, err := extract.Detect(head)
	if err != nil {
		return nil, err
	}
	doc.Kind, doc.ContentType = kind, contentType
	h := sha256.New()
	cr := &countingReader{r: io.TeeReader(br, h)}
	key, err := s.Blobs.UploadOriginal(ctx, user.ID, doc.ID, cr, contentType)
	if err != nil {
		if cr.err != nil { // the upload failed reading the file, not storing it
			return nil, s.readError(err, plan, limit)
		}
		return nil, s.uploadError(err)
	}
	doc.BlobKey, doc.Size, doc.SHA256 = key, cr.n, hex.EncodeToString(h.Sum(nil))
	return doc, nil
}

// readError classifies an error met while reading an upload: past our
// limit, a user error the reader returned (a cut or malformed body), or an
// internal one.
func (c *core) readError(err error, plan quizflow.Plan, limit int64) error {
	var qe *quizflow.Error
	switch {
	case errors.Is(err, errFileTooLarge):
		return c.tooLarge(plan, limit)
	case errors.As(err, &qe):
		return qe
	}
	return fmt.Errorf("read upload: %w", err)
}

// uploadError reports the file store failing to take an upload, which the
// client may retry (EUNAVAILABLE with Retry-After), and logs the cause.
func (c *core) uploadError(err error) error {
	c.Log.Error().Err(err).Msg("store upload")
	return errStoreUnavailable
}

var errStoreUnavailable = &quizflow.Error{Code: quizflow.EUNAVAILABLE, RetryAfter: 5 * time.Second,
	Message: "File storage is unavailable right now; please upload again shortly."}

func (c *core) tooLarge(plan quizflow.Plan, limit int64) error {
	if pro := min(c.plans().Pro.MaxFileSize, c.Config.MaxFileSize); plan.Name != quizflow.PlanPro && pro > limit {
		return quizflow.Errorf(quizflow.ETOOLARGE, "The file is larger than the %s limit of the %s plan (Pro allows %s).",
			quizflow.HumanBytes(limit), plan.Name, quizflow.HumanBytes(pro))
	}
	return quizflow.Errorf(quizflow.ETOOLARGE, "The file is larger than the %s limit.", quizflow.HumanBytes(limit))
}

// SubmitUpload implements quizflow.DocumentService.
func (s *Documents) SubmitUpload(ctx context.Context, user *quizflow.User, doc *quizflow.Document, opts quizflow.GenerateOptions) (*quizflow.Document, *quizflow.Job, error) {
	plan, _, _, err := s.standing(ctx, user)
	if err == nil {
		err = s.checkOptions(plan, &opts)
	}
	if err != nil {
		s.DiscardUpload(ctx, doc)
		return nil, nil, err
	}
	doc.Options = opts
	jobID := doc.QuotaCharge
	if jobID == "" {
		jobID = quizflow.NewID("job")
	}
	job, err := s.startQuizJob(ctx, doc, opts, true, jobID, plan.MaxPages)
	if err != nil {
		s.DiscardUpload(ctx, doc)
		return nil, nil, err
	}
	return doc, job, nil
}

// DiscardUpload implements quizflow.DocumentService.
func (s *Documents) DiscardUpload(ctx context.Context, doc *quizflow.Document) {
	if doc == nil {
		return
	}
	s.Refund(ctx, doc.QuotaCharge)
	if doc.BlobKey == "" {
		return
	}
	// Detached from the request, so a client hang-up does not leave the
	// file behind.
	dctx, cancel := detached(ctx)
	defer cancel()
	if err := s.Blobs.Delete(dctx, doc.BlobKey); err != nil {
		s.Log.Warn().Err(err).Str("key", doc.BlobKey).Msg("delete abandoned upload")
	}
}

// startQuizJob records doc (if new) and a quiz job for it with opts, then
// enqueues its first task: extraction for a new upload, generation
// otherwise. A new document whose job cannot be queued is marked failed.
//
// jobID is the job's ID (the quota unit charged for it) and maxPages the
// plan's bound on pages read.
func (c *core) startQuizJob(ctx context.Context, doc *quizflow.Document, opts quizflow.GenerateOptions, isNew bool, jobID string, maxPages int) (*quizflow.Job, error) {
	if isNew {
		if err := c.Store.CreateDocument(ctx, doc); err != nil {
			return nil, err
		}
	}
	job := &quizflow.Job{
		ID: jobID, OwnerID: doc.OwnerID, Kind: quizflow.JobQuiz,
		DocumentID: doc.ID, RequestID: quizflow.RequestID(ctx), Options: &opts,
	}
	if err := c.Store.CreateJob(ctx, job); err != nil {
		if isNew {
			c.failNewDocument(ctx, doc.ID)
		}
		return nil, err
	}
	p := jobs.DocumentPayload{JobID: job.ID, DocumentID: doc.ID, OwnerID: doc.OwnerID, RequestID: job.RequestID, MaxPages: maxPages}
	mk := jobs.NewGenerateTask
	if isNew {
		mk = jobs.NewExtractTask
	}
	task, err := mk(p)
	if err := c.enqueue(ctx, job, task, err); err != nil {
		if isNew {
			c.failNewDocument(ctx, doc.ID)
		}
		return nil, err
	}
	return job, nil
}

// failNewDocument undoes the record of a new document whose job could not
// be started (its file goes with DiscardUpload): the user retries the
// upload and finds no stray document. Should the removal fail, it is
// marked failed instead, never left "uploaded" with nothing coming.
func (c *core) failNewDocument(ctx context.Context, id string) {
	fctx, cancel := detached(ctx)
	defer cancel()
	err := c.Store.DeleteDocument(fctx, id)
	if err == nil {
		return
	}
	c.Log.Error().Err(err).Str("document_id", id).Msg("remove a document whose job could not start")
	if err := c.Store.SetDocumentStatus(fctx, id, quizflow.DocumentFailed); err != nil {
		c.Log.Error().Err(err).Str("document_id", id).Msg("record a document whose job could not start")
	}
}

// Document implements quizflow.DocumentService.
func (s *Documents) Document(ctx context.Context, user *quizflow.User, id string) (*quizflow.Document, error) {
	return s.ownedDocument(ctx, user, id)
}

func (c *core) ownedDocument(ctx context.Context, user *quizflow.User, id string) (*quizflow.Document, error) {
	if err := validID("doc", id, "document"); err != nil {
		return nil, err
	}
	return c.Store.Document(ctx, id, user.ID)
}

// Documents implements quizflow.DocumentService.
func (s *Documents) Documents(ctx context.Context, user *quizflow.User, p quizflow.PageRequest) ([]quizflow.Document, string, error) {
	return s.Store.Documents(ctx, user.ID, p)
}

// DocumentText implements quizflow.DocumentService.
func (s *Documents) DocumentText(ctx context.Context, user *quizflow.User, id string) (*quizflow.DocumentText, error) {
	doc, err := s.ownedDocument(ctx, user, id)
	if err != nil {
		return nil, err
	}
	if doc.TextKey == "" {
		if doc.Status == quizflow.DocumentFailed {
			return nil, quizflow.Errorf(quizflow.ECONFLICT, "No text could be read from this document; see its job for why.")
		}
		return nil, quizflow.Errorf(quizflow.ECONFLICT, "The text of this document is not extracted yet; poll its job.")
	}
	pages, err := s.Blobs.GetText(ctx, doc.TextKey)
	if err != nil {
		// The record names the text, so a missing file is our fault.
		return nil, fmt.Errorf("text of %s: %w", doc.ID, internal(err))
	}
	return &quizflow.DocumentText{Pages: pages}, nil
}

// DeleteDocument implements quizflow.DocumentService. Files go first,
// then exports (files, then records), quizzes, jobs and the record: a
// crash midway leaves a record that can be deleted again, never an
// orphaned file.
func (s *Documents) DeleteDocument(ctx context.Context, user *quizflow.User, id string) error {
	doc, err := s.ownedDocument(ctx, user, id)
	if err != nil {
		return err
	}
	if err := s.Blobs.DeleteDocumentFiles(ctx, doc.OwnerID, doc.ID); err != nil {
		return err
	}
	if err := s.deleteExports(ctx,
		func() ([]quizflow.Export, error) { return s.Store.ExportsOfDocument(ctx, doc.OwnerID, doc.ID) },
		func() error { return s.Store.DeleteExportsOfDocument(ctx, doc.OwnerID, doc.ID) },
	); err != nil {
		return err
	}
	if err := s.Store.DeleteQuizzesOfDocument(ctx, doc.OwnerID, doc.ID); err != nil {
		return err
	}
	if err := s.Store.DeleteJobsOfDocument(ctx, doc.OwnerID, doc.ID); err != nil {
		return err
	}
	return s.Store.DeleteDocument(ctx, doc.ID)
}

// internal hides a user error's code from an error that is not the
// caller's fault (a stored file that should exist but does not).
func internal(err error) error {
	if quizflow.IsUserError(err) {
		return errors.New(err.Error())
	}
	return err
}

// errFileTooLarge is returned by limitReader past its limit.
var errFileTooLarge = errors.New("file exceeds the size limit")

// limitReader fails with errFileTooLarge once more than n bytes are read,
// unlike io.LimitReader, which would silently truncate the file.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errFileTooLarge
	}
	return n, err
}

// countingReader counts what it reads and keeps the read error other than
// io.EOF, so a failed upload can tell the file's fault from the store's.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = err
	}
	return n, err
}

// cleanFilename keeps the base name of a client-supplied file name, as
// valid, printable UTF-8 of bounded length: control and format characters
// (C0, C1, bidirectional overrides such as U+202E) are dropped.
func cleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, name)
	if name == "." || name == ".." || name == "/" {
		name = ""
	}
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	return name
}
