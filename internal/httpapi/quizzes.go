package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// ownedQuiz loads the path's quiz if the caller owns it.
func (s *Server) ownedQuiz(c echo.Context) (*quizflow.Quiz, error) {
	id := c.Param("id")
	if !quizflow.ValidID("quiz", id) {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "quiz not found")
	}
	return s.Store.Quiz(c.Request().Context(), id, currentUser(c).ID)
}

func (s *Server) getQuiz(c echo.Context) error {
	q, err := s.ownedQuiz(c)
	if err != nil {
		return err
	}
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
	qs, next, err := s.Store.Quizzes(c.Request().Context(), currentUser(c).ID, p)
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

// deleteQuiz removes a quiz and its exports (files first); its document
// and jobs stay.
func (s *Server) deleteQuiz(c echo.Context) error {
	ctx := c.Request().Context()
	q, err := s.ownedQuiz(c)
	if err != nil {
		return err
	}
	if err := s.deleteExportsOfQuiz(ctx, q.OwnerID, q.ID); err != nil {
		return err
	}
	if err := s.Store.DeleteQuiz(ctx, q.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
