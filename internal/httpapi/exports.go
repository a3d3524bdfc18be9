package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/export"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// downloadTTL is how long a presigned export download link stays valid.
const downloadTTL = 5 * time.Minute

// exportView is an export as the API shows it: with a download link once
// the file is ready.
type exportView struct {
	*quizflow.Export
	// DownloadURL is relative to the API's base URL; it answers with a
	// redirect to a short-lived presigned link to the file.
	DownloadURL string `json:"download_url,omitempty"`
}

func viewExport(e *quizflow.Export) exportView {
	if e.Warnings == nil {
		e.Warnings = []string{}
	}
	v := exportView{Export: e}
	if e.Ready() {
		v.DownloadURL = "/v1/exports/" + e.ID + "/download"
	}
	return v
}

// exportResponse answers POST /v1/quizzes/{id}/exports.
type exportResponse struct {
	Export exportView    `json:"export"`
	Job    *quizflow.Job `json:"job"`
	// Reused is true when an identical export (same quiz version, format
	// and options) already existed and is returned instead of a new one.
	Reused bool `json:"reused"`
}

// exportRequest is the body of POST /v1/quizzes/{id}/exports.
type exportRequest struct {
	Format  string `json:"format"`
	Options struct {
		// PointsPerQuestion is a pointer so that an explicit 0 is
		// rejected rather than taken for "default".
		PointsPerQuestion *float64 `json:"points_per_question"`
		ShuffleAnswers    bool     `json:"shuffle_answers"`
		IncludeFeedback   bool     `json:"include_feedback"`
	} `json:"options"`
}

// decodeExportRequest reads the bounded JSON body, naming the field of a
// value of the wrong type.
func decodeExportRequest(c echo.Context) (*exportRequest, error) {
	body := http.MaxBytesReader(c.Response(), c.Request().Body, maxJSONBody)
	b, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, quizflow.Errorf(quizflow.ETOOLARGE, "The request body is too large.")
		}
		return nil, quizflow.Errorf(quizflow.EINVALID, "The request body could not be read.")
	}
	var r exportRequest
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, quizflow.Invalid("format", "Send a JSON object with the export format, e.g. {\"format\":\"qti12-canvas\"}; formats: %s.", formatList())
	}
	if err := json.Unmarshal(b, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, quizflow.Invalid(te.Field, "%s has the wrong type (want %s).", te.Field, te.Type)
		}
		return nil, quizflow.Errorf(quizflow.EINVALID, "The request body must be a JSON object with the documented fields.")
	}
	return &r, nil
}

func formatList() string {
	var names []string
	for _, f := range export.Formats() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// createExport starts (or reuses) the export of the caller's quiz in a
// format.
//
// The export's identity is its cache key: quiz ID, quiz version, format and
// normalized options. If the caller already has an export with that key:
//   - succeeded: it is returned with 200 and no new job (the job is the
//     one that built it);
//   - queued or running: it is returned with 202 and its job, rather than
//     starting a duplicate;
//   - failed: it is retried under a new job (202).
//
// Otherwise a new export and job are created and the quiz:export task is
// enqueued (202). Editing the quiz bumps its version, so the next request
// builds a new export.
func (s *Server) createExport(c echo.Context) error {
	ctx := c.Request().Context()
	user := currentUser(c)
	q, err := s.ownedQuiz(c)
	if err != nil {
		return err
	}
	req, err := decodeExportRequest(c)
	if err != nil {
		return err
	}
	format := strings.ToLower(strings.TrimSpace(req.Format))
	if format == "" {
		return quizflow.Invalid("format", "Choose an export format: %s.", formatList())
	}
	if _, ok := export.Lookup(format); !ok {
		return quizflow.Invalid("format", "Unknown export format %q; use one of: %s.", truncateName(format), formatList())
	}
	opts := quizflow.ExportOptions{ShuffleAnswers: req.Options.ShuffleAnswers, IncludeFeedback: req.Options.IncludeFeedback}
	if p := req.Options.PointsPerQuestion; p != nil {
		if *p == 0 {
			return quizflow.Invalid("options.points_per_question", "points_per_question must be more than 0 and at most %d.", quizflow.MaxPointsPerQuestion)
		}
		opts.PointsPerQuestion = *p
	}
	if err := opts.Normalize(); err != nil {
		return err
	}
	key := quizflow.ExportCacheKey(q.ID, q.Version, format, opts)
	id := quizflow.ExportIDFor(user.ID, key)

	if resp, ok, err := s.reuseExport(ctx, id, user.ID); err != nil || ok {
		if err != nil {
			return err
		}
		return c.JSON(reuseStatus(resp), resp)
	}

	job := &quizflow.Job{
		ID: quizflow.NewID("job"), OwnerID: user.ID, Kind: quizflow.JobExport,
		QuizID: q.ID, DocumentID: q.DocumentID, ExportID: id, RequestID: requestID(c),
	}
	if err := s.Store.CreateJob(ctx, job); err != nil {
		return err
	}
	e := &quizflow.Export{
		ID: id, OwnerID: user.ID, QuizID: q.ID, DocumentID: q.DocumentID, QuizVersion: q.Version,
		Format: format, Options: opts, JobID: job.ID, CacheKey: key, Warnings: []string{},
	}
	claimed, err := s.Store.ClaimExport(ctx, e)
	if err != nil {
		return err
	}
	if !claimed {
		// A concurrent identical request won: drop our job, reuse theirs.
		if err := s.Store.DeleteJob(ctx, job.ID); err != nil {
			s.Log.Warn().Err(err).Str("job_id", job.ID).Msg("delete unused export job")
		}
		resp, ok, err := s.reuseExport(ctx, id, user.ID)
		if err != nil {
			return err
		}
		if !ok {
			return quizflow.Errorf(quizflow.ECONFLICT, "An identical export changed while it was being requested; please try again.")
		}
		return c.JSON(reuseStatus(resp), resp)
	}
	if err := s.enqueueExport(ctx, job, e); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, exportResponse{Export: viewExport(e), Job: job})
}

// reuseExport returns the caller's export id with its job if it exists and
// has not failed.
func (s *Server) reuseExport(ctx context.Context, id, owner string) (*exportResponse, bool, error) {
	e, err := s.Store.Export(ctx, id, owner)
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if e.Status == quizflow.StatusFailed {
		return nil, false, nil
	}
	job, err := s.Store.Job(ctx, e.JobID, owner)
	if err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		return nil, false, err
	}
	return &exportResponse{Export: viewExport(e), Job: job, Reused: true}, true, nil
}

// reuseStatus is 200 for a reused export that is ready and 202 for one
// still being built.
func reuseStatus(r *exportResponse) int {
	if r.Export.Status == quizflow.StatusSucceeded {
		return http.StatusOK
	}
	return http.StatusAccepted
}

// enqueueExport enqueues the quiz:export task of job; if the queue refuses
// it, the job and export fail with a message saying to try again.
func (s *Server) enqueueExport(ctx context.Context, job *quizflow.Job, e *quizflow.Export) error {
	task, err := jobs.NewExportTask(jobs.ExportPayload{JobID: job.ID, ExportID: e.ID, OwnerID: e.OwnerID, RequestID: job.RequestID})
	if err == nil {
		_, err = s.Queue.EnqueueContext(ctx, task)
	}
	if err == nil || errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	s.Log.Error().Err(err).Str("job_id", job.ID).Str("export_id", e.ID).Msg("enqueue export failed")
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	jerr := quizflow.JobError{Code: quizflow.EUNAVAILABLE, Message: "The export could not be queued; please try again."}
	if ferr := s.Store.FailJob(fctx, job.ID, jerr); ferr != nil {
		s.Log.Error().Err(ferr).Str("job_id", job.ID).Msg("record enqueue failure")
	}
	if ferr := s.Store.FailExport(fctx, e.ID, job.ID, jerr); ferr != nil {
		s.Log.Error().Err(ferr).Str("export_id", e.ID).Msg("record enqueue failure")
	}
	return quizflow.Errorf(quizflow.EUNAVAILABLE, "The job queue is unavailable; please try again shortly.")
}

// ownedExport loads the path's export if the caller owns it.
func (s *Server) ownedExport(c echo.Context) (*quizflow.Export, error) {
	id := c.Param("id")
	if !quizflow.ValidID("exp", id) {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "export not found")
	}
	return s.Store.Export(c.Request().Context(), id, currentUser(c).ID)
}

func (s *Server) getExport(c echo.Context) error {
	e, err := s.ownedExport(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewExport(e))
}

// listExports lists the caller's exports, newest first, optionally of one
// quiz (?quiz_id=).
func (s *Server) listExports(c echo.Context) error {
	quizID := c.QueryParam("quiz_id")
	if quizID != "" && !quizflow.ValidID("quiz", quizID) {
		return quizflow.Invalid("quiz_id", "quiz_id is not a quiz ID.")
	}
	p, err := pageRequest(c)
	if err != nil {
		return err
	}
	es, next, err := s.Store.Exports(c.Request().Context(), currentUser(c).ID, quizID, p)
	if err != nil {
		return err
	}
	out := make([]exportView, len(es))
	for i := range es {
		out[i] = viewExport(&es[i])
	}
	return c.JSON(http.StatusOK, listing("exports", out, next))
}

// downloadExport redirects the owner to a presigned link to the file,
// valid for downloadTTL, which serves it as an attachment with its file
// name and content type. It answers 409 while the export is not ready.
func (s *Server) downloadExport(c echo.Context) error {
	e, err := s.ownedExport(c)
	if err != nil {
		return err
	}
	switch {
	case e.Status == quizflow.StatusFailed:
		msg := "This export failed"
		if e.Error != nil && e.Error.Message != "" {
			msg += ": " + strings.TrimSuffix(e.Error.Message, ".")
		}
		return quizflow.Errorf(quizflow.ECONFLICT, "%s. Request it again to retry.", msg)
	case !e.Ready():
		return quizflow.Errorf(quizflow.ECONFLICT, "The export is not ready yet; poll its job and download it once it has succeeded.")
	}
	url, err := s.Blobs.PresignGet(c.Request().Context(), e.BlobKey, e.FileName, e.ContentType, downloadTTL)
	if err != nil {
		return fmt.Errorf("presign export %s: %w", e.ID, err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.Redirect(http.StatusFound, url)
}

// exportFormats lists the export formats, their files and the question
// types each carries. It needs no login: the list is the same for all.
func (s *Server) exportFormats(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
	return c.JSON(http.StatusOK, map[string]any{"formats": export.Formats()})
}

// deleteExportsOfDocument removes the files, then the records, of every
// export of the quizzes of owner's document docID. deleteDocument calls it
// before deleting the quizzes (files first: a crash midway leaves records
// that can be deleted again, never an orphaned file).
func (s *Server) deleteExportsOfDocument(ctx context.Context, owner, docID string) error {
	es, err := s.Store.ExportsOfDocument(ctx, owner, docID)
	if err != nil {
		return err
	}
	return s.deleteExports(ctx, es, func() error { return s.Store.DeleteExportsOfDocument(ctx, owner, docID) })
}

// deleteExportsOfQuiz removes the files, then the records, of every export
// of owner's quiz quizID.
func (s *Server) deleteExportsOfQuiz(ctx context.Context, owner, quizID string) error {
	es, err := s.Store.ExportsOfQuiz(ctx, owner, quizID)
	if err != nil {
		return err
	}
	return s.deleteExports(ctx, es, func() error { return s.Store.DeleteExportsOfQuiz(ctx, owner, quizID) })
}

// deleteExports deletes the files of es, then runs deleteRecords.
func (s *Server) deleteExports(ctx context.Context, es []quizflow.Export, deleteRecords func() error) error {
	keys := make([]string, 0, len(es))
	for _, e := range es {
		keys = append(keys, e.BlobKey)
	}
	if err := s.Blobs.Delete(ctx, keys...); err != nil {
		return err
	}
	return deleteRecords()
}
