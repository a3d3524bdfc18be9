package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// maxJSONBody bounds JSON request bodies.
const maxJSONBody = 1 << 20

var errNotJSONObject = quizflow.Errorf(quizflow.EINVALID, "The request body must be a JSON object with the documented fields.")

// bindJSON decodes a bounded JSON body into v, with a clear error for
// anything that is not one JSON object of the expected shape. An empty
// body leaves v as it is, for the service to say what is missing.
func bindJSON(c echo.Context, v any) error { return decodeJSON(c, v, nil) }

// decodeJSON decodes the request body, at most maxJSONBody bytes of one
// JSON value, into v. It refuses a body that is not declared JSON (415),
// an empty body (with ifEmpty, unless that is nil), a body larger than the
// bound (413), a value of the wrong type (400 naming the field) and
// anything after the value.
func decodeJSON(c echo.Context, v any, ifEmpty error) error {
	req := c.Request()
	if req.ContentLength != 0 {
		mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
		if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
			return quizflow.Errorf(quizflow.EUNSUPPORTED, "Send the request body as JSON, with Content-Type: application/json.")
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, maxJSONBody))
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON value")
	}
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF):
		return ifEmpty // nil: an empty body is allowed
	case errors.As(err, &mbe):
		return quizflow.Errorf(quizflow.ETOOLARGE, "The request body is larger than %s.", quizflow.HumanBytes(maxJSONBody))
	case errors.As(err, &te) && te.Field != "":
		return quizflow.Invalid(te.Field, "%s has the wrong type (want %s).", te.Field, jsonKind(te.Type.Kind()))
	}
	return errNotJSONObject
}

// jsonKind names a Go kind as the JSON type a client should send.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "an object"
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
	return s.sendSession(c, http.StatusCreated, sess)
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
	return s.sendSession(c, http.StatusOK, sess)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (s *Server) refresh(c echo.Context) error {
	if cookieMode(c) {
		return s.cookieRefresh(c)
	}
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
	if cookieMode(c) {
		return s.cookieLogout(c)
	}
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

func (s *Server) logoutAll(c echo.Context) error {
	if err := s.Accounts.LogoutAll(c.Request().Context(), currentPrincipal(c)); err != nil {
		return err
	}
	if cookieMode(c) {
		s.setRefreshCookie(c, "", 0) // its login ended too
	}
	return c.NoContent(http.StatusNoContent)
}

type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword sets a new password; every other session ends and the
// caller gets a fresh one.
func (s *Server) changePassword(c echo.Context) error {
	var r passwordChange
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	sess, err := s.Accounts.ChangePassword(c.Request().Context(), currentPrincipal(c), r.CurrentPassword, r.NewPassword)
	if err != nil {
		return err
	}
	return s.sendSession(c, http.StatusOK, sess)
}

// createAPIKey answers 201 with the key and its secret, shown this once.
func (s *Server) createAPIKey(c echo.Context) error {
	var r quizflow.APIKeyRequest
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	k, err := s.Accounts.CreateAPIKey(c.Request().Context(), currentPrincipal(c), r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, k)
}

func (s *Server) listAPIKeys(c echo.Context) error {
	ks, err := s.Accounts.APIKeys(c.Request().Context(), currentPrincipal(c))
	if err != nil {
		return err
	}
	if ks == nil {
		ks = []quizflow.APIKey{}
	}
	return c.JSON(http.StatusOK, map[string]any{"api_keys": ks})
}

func (s *Server) deleteAPIKey(c echo.Context) error {
	if err := s.Accounts.DeleteAPIKey(c.Request().Context(), currentPrincipal(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
