package httpapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// maxJSONBody bounds JSON request bodies.
const maxJSONBody = 1 << 20

// bindJSON decodes a bounded JSON body into v, with a clear error for
// anything that is not a JSON object of the expected shape.
func bindJSON(c echo.Context, v any) error {
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxJSONBody)
	if err := (&echo.DefaultBinder{}).BindBody(c, v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return quizflow.Errorf(quizflow.ETOOLARGE, "The request body is larger than %s.", quizflow.HumanBytes(maxJSONBody))
		}
		return quizflow.Errorf(quizflow.EINVALID, "The request body must be a JSON object with the documented fields.")
	}
	return nil
}

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

func (s *Server) register(c echo.Context) error {
	var r registerRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	sess, err := s.Accounts.Register(c.Request().Context(), r.Email, r.Password, r.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sess)
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) login(c echo.Context) error {
	var r loginRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	sess, err := s.Accounts.Login(c.Request().Context(), r.Email, r.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sess)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (s *Server) refresh(c echo.Context) error {
	var r refreshRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	sess, err := s.Accounts.Refresh(c.Request().Context(), r.RefreshToken)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sess)
}

func (s *Server) logout(c echo.Context) error {
	var r refreshRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	if err := s.Accounts.Logout(c.Request().Context(), r.RefreshToken); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) me(c echo.Context) error {
	return c.JSON(http.StatusOK, currentUser(c))
}
