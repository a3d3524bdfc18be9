package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

func (s *Server) getQuiz(c echo.Context) error {
	q, err := s.Quizzes.Quiz(c.Request().Context(), currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", quizETag(q))
	return c.JSON(http.StatusOK, q)
}

// quizSummary is a quiz in a listing: everything but the questions.
type quizSummary struct {
	ID            string         `json:"id"`
	DocumentID    string         `json:"document_id"`
	Title         string         `json:"title"`
	Language      string         `json:"language"`
	QuestionCount int            `json:"question_count"`
	Usage         quizflow.Usage `json:"usage"`
	Version       int            `json:"version"`
	CreatedAt     any            `json:"created_at"`
	UpdatedAt     any            `json:"updated_at"`
}

func (s *Server) listQuizzes(c echo.Context) error {
	p, err := pageRequest(c)
	if err != nil {
		return err
	}
	qs, next, err := s.Quizzes.Quizzes(c.Request().Context(), currentUser(c), p)
	if err != nil {
		return err
	}
	out := make([]quizSummary, len(qs))
	for i, q := range qs {
		out[i] = quizSummary{ID: q.ID, DocumentID: q.DocumentID, Title: q.Title, Language: q.Language,
			QuestionCount: len(q.Questions), Usage: q.Usage, Version: q.Version, CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt}
	}
	return c.JSON(http.StatusOK, listing("quizzes", out, next))
}

// deleteQuiz removes a quiz and its exports; its document and jobs stay.
func (s *Server) deleteQuiz(c echo.Context) error {
	if err := s.Quizzes.DeleteQuiz(c.Request().Context(), currentUser(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
