package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

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
