package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Share links (owner: create, show, revoke; attempts; a scoring preview)
// and the public routes a link opens (/v1/shared/{token}: the quiz without
// answers, and submitting answers). The public routes are rate limited per
// client IP (Deps.ShareLimit).

var errSharingOff = quizflow.Errorf(quizflow.EUNAVAILABLE, "Sharing is not available on this server.")

// limitShared applies Deps.ShareLimit to the public share routes.
func (s *Server) limitShared(next echo.HandlerFunc) echo.HandlerFunc {
	if s.ShareLimit == nil {
		return next
	}
	return s.limitByIP(s.ShareLimit, nil)(next)
}

// createShare answers 201 with a new share link, or 200 with the active one.
func (s *Server) createShare(c echo.Context) error {
	if s.Shares == nil {
		return errSharingOff
	}
	sh, created, err := s.Shares.CreateShare(c.Request().Context(), currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	if created {
		return c.JSON(http.StatusCreated, sh)
	}
	return c.JSON(http.StatusOK, sh)
}

func (s *Server) getShare(c echo.Context) error {
	if s.Shares == nil {
		return errSharingOff
	}
	sh, err := s.Shares.Share(c.Request().Context(), currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sh)
}

func (s *Server) deleteShare(c echo.Context) error {
	if s.Shares == nil {
		return errSharingOff
	}
	if err := s.Shares.RevokeShare(c.Request().Context(), currentUser(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listAttempts(c echo.Context) error {
	if s.Shares == nil {
		return errSharingOff
	}
	p, err := pageRequest(c)
	if err != nil {
		return err
	}
	as, next, err := s.Shares.Attempts(c.Request().Context(), currentUser(c), c.Param("id"), p)
	if err != nil {
		return err
	}
	if as == nil {
		as = []quizflow.Attempt{}
	}
	return c.JSON(http.StatusOK, listing("attempts", as, next))
}

var errNoAnswers = quizflow.Invalid("answers", "Send {\"answers\": {\"<question id>\": <answer>}}.")

func (s *Server) scoreQuiz(c echo.Context) error {
	if s.Shares == nil {
		return errSharingOff
	}
	var r quizflow.AttemptRequest
	if err := decodeJSON(c, &r, errNoAnswers); err != nil {
		return err
	}
	sc, err := s.Shares.ScoreQuiz(c.Request().Context(), currentUser(c), c.Param("id"), r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sc)
}

type gradeRequest struct {
	Grades map[string]float64 `json:"grades"`
}

// gradeAttempt sets the owner's points for essay answers of an attempt.
func (s *Server) gradeAttempt(c echo.Context) error {
	if s.Shares == nil {
		return errSharingOff
	}
	var r gradeRequest
	if err := decodeJSON(c, &r, quizflow.Invalid("grades", "Send {\"grades\": {\"<essay question id>\": points}}.")); err != nil {
		return err
	}
	a, err := s.Shares.GradeAttempt(c.Request().Context(), currentUser(c), c.Param("id"), c.Param("attempt_id"), r.Grades)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// getSharedQuiz is public: the quiz a share token names, without answers.
func (s *Server) getSharedQuiz(c echo.Context) error {
	if s.Shares == nil {
		return errSharingOff
	}
	q, err := s.Shares.SharedQuiz(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, q)
}

// submitAttempt is public: scores and records answers to a shared quiz;
// 201, or 200 with the attempt first recorded under the same
// Idempotency-Key.
func (s *Server) submitAttempt(c echo.Context) error {
	if s.Shares == nil {
		return errSharingOff
	}
	var r quizflow.AttemptRequest
	if err := decodeJSON(c, &r, errNoAnswers); err != nil {
		return err
	}
	a, replayed, err := s.Shares.SubmitAttempt(c.Request().Context(), c.Param("token"), c.Request().Header.Get("Idempotency-Key"), r)
	if err != nil {
		return err
	}
	if replayed {
		return c.JSON(http.StatusOK, a)
	}
	return c.JSON(http.StatusCreated, a)
}

// getLimits answers the user's upload limits.
func (s *Server) getLimits(c echo.Context) error {
	if s.Limits == nil {
		return quizflow.Errorf(quizflow.EUNAVAILABLE, "Upload limits are not available on this server.")
	}
	l, err := s.Limits.UploadLimits(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

// onePage narrows a document's text to page ?page=N, if asked: 400 for a
// page that is not a whole number from 1, 404 past the last page.
func onePage(c echo.Context, t *quizflow.DocumentText) (*quizflow.DocumentText, error) {
	v := c.QueryParam("page")
	if v == "" {
		return t, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return nil, quizflow.Invalid("page", "page must be a whole number from 1.")
	}
	for _, p := range t.Pages {
		if p.Number == n {
			return &quizflow.DocumentText{Pages: []quizflow.Page{p}}, nil
		}
	}
	return nil, quizflow.Errorf(quizflow.ENOTFOUND, "The document has no page %d (it has %d).", n, len(t.Pages))
}
