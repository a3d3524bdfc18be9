package httpapi

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// sniffLen is how much of an upload is read to decide its type.
const sniffLen = 8 << 10

// maxFormField bounds each non-file multipart field.
const maxFormField = 4 << 10

type documentResponse struct {
	Document *quizflow.Document `json:"document"`
	Job      *quizflow.Job      `json:"job"`
}

// uploadDocument accepts a multipart upload, streams the file to S3 while
// hashing it, records the document and its job, and enqueues extraction.
func (s *Server) uploadDocument(c echo.Context) (err error) {
	defer func() {
		if err != nil {
			// The body may be unread (a refused or endless upload): close
			// the connection after the answer instead of draining it, so
			// the client gets its error at once.
			c.Response().Header().Set(echo.HeaderConnection, "close")
		}
	}()
	ctx := c.Request().Context()
	user := currentUser(c)
	mediaType, params, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return quizflow.Errorf(quizflow.EINVALID, "Send the document as multipart/form-data with a 'file' field.")
	}
	// The whole body is bounded: the file plus room for the small fields.
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, s.Config.MaxFileSize+64<<10)
	reader, err := c.Request().MultipartReader()
	if err != nil {
		return quizflow.Errorf(quizflow.EINVALID, "The multipart body cannot be read.")
	}

	doc := &quizflow.Document{ID: quizflow.NewID("doc"), OwnerID: user.ID, Status: quizflow.DocumentUploaded}
	doc.BlobKey = quizflow.OriginalKey(user.ID, doc.ID)
	fields := map[string][]string{}
	uploaded := false
	cleanup := func() {
		if uploaded {
			// Best effort, detached from the request so a client hang-up
			// does not leave the blob behind.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := s.Blobs.Delete(ctx, doc.BlobKey); err != nil {
				s.Log.Warn().Err(err).Str("key", doc.BlobKey).Msg("delete abandoned upload")
			}
		}
	}
	for {
		part, err := reader.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			cleanup()
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return s.tooLarge()
			}
			return quizflow.Errorf(quizflow.EINVALID, "The multipart body is malformed.")
		}
		name := part.FormName()
		switch {
		case name == "file" && !uploaded:
			// Fields sent before the file are checked before it is read,
			// so a typo does not cost the whole upload.
			if len(fields) > 0 {
				if _, err := s.parseOptions(fields, user.Plan); err != nil {
					return err // answer now; draining the part would wait for the whole file
				}
			}
			if err := s.receiveFile(ctx, part, doc); err != nil {
				part.Close()
				return err
			}
			uploaded = true
		case name == "file":
			part.Close()
			cleanup()
			return quizflow.Invalid("file", "Send exactly one file per upload.")
		default:
			b, err := io.ReadAll(io.LimitReader(part, maxFormField+1))
			part.Close()
			if err != nil || len(b) > maxFormField || !utf8.Valid(b) {
				cleanup()
				return quizflow.Invalid(truncateName(name), "The field %q is too long or not text.", truncateName(name))
			}
			fields[name] = append(fields[name], string(b))
		}
	}
	if !uploaded {
		return quizflow.Invalid("file", "Attach the document in a multipart field named 'file'.")
	}
	opts, err := s.parseOptions(fields, user.Plan)
	if err != nil {
		cleanup()
		return err
	}
	doc.Options = opts
	job, err := s.startQuizJob(ctx, c, doc, opts, true)
	if err != nil {
		cleanup()
		return err
	}
	return c.JSON(http.StatusAccepted, documentResponse{Document: doc, Job: job})
}

func truncateName(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

func (s *Server) tooLarge() error {
	return quizflow.Errorf(quizflow.ETOOLARGE, "The file is larger than the %s limit.", humanBytes(s.Config.MaxFileSize))
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

// receiveFile checks the file part's content type, then streams it to S3,
// hashing and counting it on the way.
func (s *Server) receiveFile(ctx context.Context, part io.Reader, doc *quizflow.Document) error {
	if p, ok := part.(interface{ FileName() string }); ok {
		doc.Filename = cleanFilename(p.FileName())
	}
	br := bufio.NewReaderSize(&limitReader{r: part, n: s.Config.MaxFileSize}, sniffLen)
	head, err := br.Peek(sniffLen)
	switch {
	case errors.Is(err, errFileTooLarge):
		return s.tooLarge()
	case err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull):
		return s.bodyError(err)
	}
	if len(head) == 0 {
		return quizflow.Invalid("file", "The file is empty.")
	}
	kind, contentType, err := extract.Detect(head)
	if err != nil {
		return err
	}
	doc.Kind, doc.ContentType = kind, contentType
	h := sha256.New()
	cr := &countingReader{r: io.TeeReader(br, h)}
	if err := s.Blobs.Upload(ctx, doc.BlobKey, cr, contentType); err != nil {
		// The upload may have been cut by our own limit or by the body.
		if errors.Is(err, errFileTooLarge) {
			return s.tooLarge()
		}
		if berr := s.bodyError(err); berr != nil && !isInternal(berr) {
			return berr
		}
		return fmt.Errorf("store upload: %w", err)
	}
	doc.Size, doc.SHA256 = cr.n, hex.EncodeToString(h.Sum(nil))
	return nil
}

func isInternal(err error) bool { return quizflow.ErrorCode(err) == quizflow.EINTERNAL }

// bodyError classifies an error met while reading the request body.
func (s *Server) bodyError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, errFileTooLarge):
		return s.tooLarge()
	case errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "multipart"):
		return quizflow.Errorf(quizflow.EINVALID, "The upload ended early or is malformed.")
	}
	return fmt.Errorf("read upload: %w", err)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// cleanFilename keeps the base name of a client-supplied file name, as
// valid, printable UTF-8 of bounded length.
func cleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" {
		name = ""
	}
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	return name
}

// parseOptions reads and validates generation options from form fields.
func (s *Server) parseOptions(fields map[string][]string, plan string) (quizflow.GenerateOptions, error) {
	opts, err := optionsFromForm(fields)
	if err == nil {
		err = s.checkOptions(&opts, plan)
	}
	return opts, err
}

// checkOptions normalises opts for plan and checks the configured
// generator can write at least one of the requested question types.
func (s *Server) checkOptions(opts *quizflow.GenerateOptions, plan string) error {
	if err := opts.Normalize(plan); err != nil {
		return err
	}
	can := s.Config.QuestionTypes
	if len(can) == 0 || slices.ContainsFunc(opts.QuestionTypes, func(t string) bool { return slices.Contains(can, t) }) {
		return nil
	}
	return quizflow.Invalid("question_types", "This server has no AI model configured; its built-in generator writes only %s questions. Ask for one of those (or set OPENAI_API_KEY).",
		strings.Join(can, ", "))
}

// optionsFromForm reads generation options from multipart fields. List
// fields accept repeated fields or comma-separated values.
func optionsFromForm(f map[string][]string) (quizflow.GenerateOptions, error) {
	var o quizflow.GenerateOptions
	one := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	list := func(k string) []string {
		var out []string
		for _, v := range f[k] {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
		return out
	}
	if v := one("question_count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return o, quizflow.Invalid("question_count", "question_count must be a whole number.")
		}
		if n == 0 {
			n = -1 // explicitly zero is invalid, not "default"
		}
		o.QuestionCount = n
	}
	o.QuestionTypes = list("question_types")
	o.BloomLevels = list("bloom_levels")
	o.Difficulty = one("difficulty")
	o.Language = one("language")
	o.Instructions = one("instructions")
	if v := one("fresh"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return o, quizflow.Invalid("fresh", "fresh must be true or false.")
		}
		o.Fresh = b
	}
	return o, nil
}

// startQuizJob records doc (if new) and a quiz job for it with opts, then
// enqueues its first task: extraction for a new upload, generation otherwise.
func (s *Server) startQuizJob(ctx context.Context, c echo.Context, doc *quizflow.Document, opts quizflow.GenerateOptions, isNew bool) (*quizflow.Job, error) {
	if isNew {
		if err := s.Store.CreateDocument(ctx, doc); err != nil {
			return nil, err
		}
	}
	job := &quizflow.Job{
		ID: quizflow.NewID("job"), OwnerID: doc.OwnerID, Kind: quizflow.JobQuiz,
		DocumentID: doc.ID, RequestID: requestID(c), Options: &opts,
	}
	if err := s.Store.CreateJob(ctx, job); err != nil {
		return nil, err
	}
	p := jobs.DocumentPayload{JobID: job.ID, DocumentID: doc.ID, OwnerID: doc.OwnerID, RequestID: job.RequestID}
	var task *asynq.Task
	var err error
	if isNew {
		task, err = jobs.NewExtractTask(p)
	} else {
		task, err = jobs.NewGenerateTask(p)
	}
	if err := s.enqueue(ctx, job, task, err); err != nil {
		if isNew {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = s.Store.SetDocumentStatus(fctx, doc.ID, quizflow.DocumentFailed)
		}
		return nil, err
	}
	return job, nil
}

// enqueue queues a job's task (made with error mkErr). If that fails, the
// job is marked failed, so it never sits "queued" forever, and the client
// is told to retry.
func (s *Server) enqueue(ctx context.Context, job *quizflow.Job, task *asynq.Task, mkErr error) error {
	err := mkErr
	if err == nil {
		_, err = s.Queue.EnqueueContext(ctx, task)
	}
	if err == nil || errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	s.Log.Error().Err(err).Str("job_id", job.ID).Msg("enqueue failed")
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = s.Store.FailJob(fctx, job.ID, quizflow.JobError{Code: quizflow.EUNAVAILABLE, Message: "The job could not be queued; please try again."})
	return quizflow.Errorf(quizflow.EUNAVAILABLE, "The job queue is unavailable; please try again shortly.")
}

// newQuiz starts a new quiz job from a stored document, with options given
// as JSON, so a user need not upload again.
func (s *Server) newQuiz(c echo.Context) error {
	ctx := c.Request().Context()
	doc, err := s.ownedDocument(c)
	if err != nil {
		return err
	}
	// question_count is a pointer here so an explicit 0 is refused rather
	// than taken as "default".
	var req struct {
		quizflow.GenerateOptions
		QuestionCount *int `json:"question_count"`
	}
	if c.Request().ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			return err
		}
	}
	opts := req.GenerateOptions
	if req.QuestionCount != nil {
		opts.QuestionCount = *req.QuestionCount
		if opts.QuestionCount == 0 {
			opts.QuestionCount = -1
		}
	}
	if err := s.checkOptions(&opts, currentUser(c).Plan); err != nil {
		return err
	}
	switch doc.Status {
	case quizflow.DocumentExtracted:
	case quizflow.DocumentFailed:
		return quizflow.Errorf(quizflow.ECONFLICT, "No text could be read from this document, so no quiz can be made from it.")
	default:
		return quizflow.Errorf(quizflow.ECONFLICT, "The document is still being read; try again when its first job has finished.")
	}
	job, err := s.startQuizJob(ctx, c, doc, opts, false)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"job": job})
}

func (s *Server) listDocuments(c echo.Context) error {
	p, err := pageRequest(c)
	if err != nil {
		return err
	}
	docs, next, err := s.Store.Documents(c.Request().Context(), currentUser(c).ID, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listing("documents", docs, next))
}

// ownedDocument loads the path's document if the caller owns it.
func (s *Server) ownedDocument(c echo.Context) (*quizflow.Document, error) {
	id := c.Param("id")
	if !quizflow.ValidID("doc", id) {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "document not found")
	}
	return s.Store.Document(c.Request().Context(), id, currentUser(c).ID)
}

func (s *Server) getDocument(c echo.Context) error {
	doc, err := s.ownedDocument(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, doc)
}

// deleteDocument removes a document's blobs, its exports (files, then
// records), then its quizzes, jobs and record. Blobs go first: a crash midway leaves a record that can be
// deleted again, never an orphaned file.
func (s *Server) deleteDocument(c echo.Context) error {
	ctx := c.Request().Context()
	doc, err := s.ownedDocument(c)
	if err != nil {
		return err
	}
	if err := s.Blobs.Delete(ctx, doc.BlobKey, doc.TextKey, quizflow.TextKey(doc.OwnerID, doc.ID)); err != nil {
		return err
	}
	if err := s.deleteExportsOfDocument(ctx, doc.OwnerID, doc.ID); err != nil {
		return err
	}
	if err := s.Store.DeleteQuizzesOfDocument(ctx, doc.OwnerID, doc.ID); err != nil {
		return err
	}
	if err := s.Store.DeleteJobsOfDocument(ctx, doc.OwnerID, doc.ID); err != nil {
		return err
	}
	if err := s.Store.DeleteDocument(ctx, doc.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) getDocumentText(c echo.Context) error {
	doc, err := s.ownedDocument(c)
	if err != nil {
		return err
	}
	if doc.TextKey == "" {
		if doc.Status == quizflow.DocumentFailed {
			return quizflow.Errorf(quizflow.ECONFLICT, "No text could be read from this document; see its job for why.")
		}
		return quizflow.Errorf(quizflow.ECONFLICT, "The text of this document is not extracted yet; poll its job.")
	}
	b, err := s.Blobs.Get(c.Request().Context(), doc.TextKey, quizflow.MaxTextBytes)
	if err != nil {
		return err
	}
	if !json.Valid(b) {
		return fmt.Errorf("stored text of %s is not JSON", doc.ID)
	}
	return c.JSONBlob(http.StatusOK, b)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
