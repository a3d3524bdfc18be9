package httpapi

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// pageRequest reads ?limit= (1-200, default 50) and ?cursor= of a listing.
func pageRequest(c echo.Context) (quizflow.PageRequest, error) {
	p := quizflow.PageRequest{Limit: quizflow.DefaultPageSize, Cursor: c.QueryParam("cursor")}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > quizflow.MaxPageSize {
			return p, quizflow.Invalid("limit", "limit must be a whole number from 1 to %d.", quizflow.MaxPageSize)
		}
		p.Limit = n
	}
	return p, nil
}

// listing is the shape of every list response: the items under their
// name, and next_cursor to pass as ?cursor= for the next page ("" after
// the last page).
func listing(name string, items any, next string) map[string]any {
	return map[string]any{name: items, "next_cursor": next}
}
