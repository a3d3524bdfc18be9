package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// ifMatch is middleware for the quiz edit routes: an If-Match header names
// the quiz version the client saw ("7", W/"7" or 7; * matches any), and the
// edit then applies only to that version (409 conflict otherwise) rather
// than over a change the client has not seen. Without the header an edit
// applies to the latest version.
func ifMatch(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
		if h == "" || h == "*" {
			return next(c)
		}
		v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(h, "W/"), `"`))
		if err != nil || v < 1 {
			return &quizflow.Error{Code: quizflow.EINVALID, Field: "If-Match", Message: "If-Match must be the quiz's version, as its ETag gives it (for example \"3\")."}
		}
		r := c.Request()
		c.SetRequest(r.WithContext(quizflow.WithIfVersion(r.Context(), v)))
		return next(c)
	}
}

// quizETag is the ETag of a quiz: its version, which every edit bumps.
func quizETag(q *quizflow.Quiz) string { return `"` + strconv.Itoa(q.Version) + `"` }

// patchQuiz changes a quiz's title and/or question order.
func (s *Server) patchQuiz(c echo.Context) error {
	var u quizflow.QuizUpdate
	if err := bindJSON(c, &u); err != nil {
		return err
	}
	q, err := s.Quizzes.UpdateQuiz(c.Request().Context(), currentUser(c), c.Param("id"), u)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", quizETag(q))
	return c.JSON(http.StatusOK, q)
}

// patchQuestion edits one question; absent fields stay.
func (s *Server) patchQuestion(c echo.Context) error {
	var u quizflow.QuestionUpdate
	if err := bindJSON(c, &u); err != nil {
		return err
	}
	q, err := s.Quizzes.UpdateQuestion(c.Request().Context(), currentUser(c), c.Param("id"), c.Param("qid"), u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, q)
}

// addQuestion appends a question written by the user.
func (s *Server) addQuestion(c echo.Context) error {
	var nq quizflow.Question
	if err := bindJSON(c, &nq); err != nil {
		return err
	}
	q, err := s.Quizzes.AddQuestion(c.Request().Context(), currentUser(c), c.Param("id"), nq)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, q)
}

// deleteQuestion removes one question.
func (s *Server) deleteQuestion(c echo.Context) error {
	if err := s.Quizzes.DeleteQuestion(c.Request().Context(), currentUser(c), c.Param("id"), c.Param("qid")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// regenerateQuestion starts a job that replaces one question with a new one
// that duplicates none of the others.
func (s *Server) regenerateQuestion(c echo.Context) error {
	job, err := s.Quizzes.RegenerateQuestion(c.Request().Context(), currentUser(c), c.Param("id"), c.Param("qid"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"job": job})
}
