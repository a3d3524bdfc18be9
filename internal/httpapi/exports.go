package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/export"
	"github.com/quizflow/quizflow/internal/quizflow"
)

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

// createExport starts (or reuses) the export of the caller's quiz in a
// format: 202 with the export and its job, or 200 for a reused export whose
// file is ready.
func (s *Server) createExport(c echo.Context) error {
	var req exportRequest
	if err := decodeJSON(c, &req, quizflow.Invalid("format", "Send a JSON object with the export format, e.g. {\"format\":\"qti12-canvas\"}; formats: %s.", export.FormatNames())); err != nil {
		return err
	}
	r := quizflow.ExportRequest{Format: req.Format, Options: quizflow.ExportOptions{
		ShuffleAnswers: req.Options.ShuffleAnswers, IncludeFeedback: req.Options.IncludeFeedback,
	}}
	if p := req.Options.PointsPerQuestion; p != nil {
		if *p == 0 {
			return quizflow.Invalid("options.points_per_question", "points_per_question must be more than 0 and at most %d.", quizflow.MaxPointsPerQuestion)
		}
		r.Options.PointsPerQuestion = *p
	}
	st, err := s.Exports.CreateExport(c.Request().Context(), currentUser(c), c.Param("id"), r)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if st.Reused && st.Export.Status == quizflow.StatusSucceeded {
		status = http.StatusOK
	}
	return c.JSON(status, exportResponse{Export: viewExport(st.Export), Job: st.Job, Reused: st.Reused})
}

func (s *Server) getExport(c echo.Context) error {
	e, err := s.Exports.Export(c.Request().Context(), currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewExport(e))
}

// listExports lists the caller's exports, newest first, optionally of one
// quiz (?quiz_id=).
func (s *Server) listExports(c echo.Context) error {
	p, err := pageRequest(c)
	if err != nil {
		return err
	}
	es, next, err := s.Exports.Exports(c.Request().Context(), currentUser(c), c.QueryParam("quiz_id"), p)
	if err != nil {
		return err
	}
	out := make([]exportView, len(es))
	for i := range es {
		out[i] = viewExport(&es[i])
	}
	return c.JSON(http.StatusOK, listing("exports", out, next))
}

// downloadExport redirects the owner to a short-lived presigned link to
// the file, which serves it as an attachment with its file name and
// content type. It answers 409 while the export is not ready.
func (s *Server) downloadExport(c echo.Context) error {
	url, err := s.Exports.DownloadURL(c.Request().Context(), currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	if wantsJSON(c) {
		// A page's script cannot follow a redirect to another origin (the
		// object store) under its CSP, nor can a link carry the token: it
		// asks for the link and opens it.
		return c.JSON(http.StatusOK, map[string]string{"url": url})
	}
	return c.Redirect(http.StatusFound, url)
}

// wantsJSON reports whether the request's Accept names application/json
// with a quality above zero (a browser's navigation does not name it).
func wantsJSON(c echo.Context) bool {
	for _, part := range strings.Split(c.Request().Header.Get(echo.HeaderAccept), ",") {
		fields := strings.Split(part, ";")
		if !strings.EqualFold(strings.TrimSpace(fields[0]), echo.MIMEApplicationJSON) {
			continue
		}
		q := 1.0
		for _, f := range fields[1:] {
			if k, v, ok := strings.Cut(strings.TrimSpace(f), "="); ok && strings.EqualFold(k, "q") {
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					q = x
				}
			}
		}
		return q > 0
	}
	return false
}

// exportFormats lists the export formats, their files and the question
// types each carries. It needs no login: the list is the same for all.
func (s *Server) exportFormats(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
	return c.JSON(http.StatusOK, map[string]any{"formats": export.Formats()})
}
