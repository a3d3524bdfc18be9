package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

func (s *Server) getJob(c echo.Context) error {
	id := c.Param("id")
	if !quizflow.ValidID("job", id) {
		return quizflow.Errorf(quizflow.ENOTFOUND, "job not found")
	}
	job, err := s.Store.Job(c.Request().Context(), id, currentUser(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (s *Server) listJobs(c echo.Context) error {
	p, err := pageRequest(c)
	if err != nil {
		return err
	}
	js, next, err := s.Store.Jobs(c.Request().Context(), currentUser(c).ID, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listing("jobs", js, next))
}
