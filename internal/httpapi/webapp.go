package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/webapp"
	"github.com/quizflow/quizflow/web"
)

// appRoute is the route label (c.Path(): metrics, logs) of the requests
// the web app answers.
const appRoute = "/*app"

// apiPrefixes are the paths the web app never answers, so they keep the
// API's JSON 404: the API, health, metrics, the spec, the operators' UI and
// the pages mailed links open.
var apiPrefixes = []string{"/v1", "/healthz", "/readyz", "/metrics", "/openapi.yaml", "/admin", "/unsubscribe"}

// mountWebApp serves the browser app (package web's build, through
// internal/webapp) to the GET and HEAD requests no route matched, but for
// API paths (apiPrefixes): those keep their JSON 404. It is a middleware
// rather than a catch-all route, so that the routes keep their 405 for a
// wrong method and the router's matches are untouched. A file missing
// under /assets/ is a JSON 404 too.
func (s *Server) mountWebApp(e *echo.Echo) {
	app, err := webapp.New(web.Dist())
	if err != nil {
		s.Log.Warn().Err(err).Msg("web app: not served")
		return
	}
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			r := c.Request()
			if !errors.Is(err, echo.ErrNotFound) || c.Response().Committed ||
				(r.Method != http.MethodGet && r.Method != http.MethodHead) || apiPath(r.URL.Path) {
				return err
			}
			c.SetPath(appRoute)
			if err := app.Serve(c.Response(), r); err != nil {
				return quizflow.Errorf(quizflow.ENOTFOUND, "No such file.")
			}
			return nil
		}
	})
}

// apiPath reports whether p is one of apiPrefixes or under one.
func apiPath(p string) bool {
	for _, pre := range apiPrefixes {
		if rest, ok := strings.CutPrefix(p, pre); ok && (rest == "" || rest[0] == '/') {
			return true
		}
	}
	return false
}
