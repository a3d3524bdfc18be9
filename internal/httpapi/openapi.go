package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openapiSpec is the hand-written OpenAPI 3.1 description of the API. A
// test keeps its paths and methods equal to the routes the server registers.
//
//go:embed openapi.yaml
var openapiSpec []byte

// openapi serves the API's OpenAPI description. It needs no login.
func (s *Server) openapi(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
	return c.Blob(http.StatusOK, "application/yaml", openapiSpec)
}
