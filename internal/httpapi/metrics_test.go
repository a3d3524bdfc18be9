package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/metrics/metricstest"
)

func TestRequestMetricsLabelsByRouteTemplate(t *testing.T) {
	m := metrics.New()
	e := echo.New()
	e.Use(requestMetrics(m))
	e.Use(middleware.Recover())
	e.GET("/v1/items/:id", func(c echo.Context) error { return c.JSON(http.StatusOK, c.Param("id")) })
	e.POST("/v1/items", func(c echo.Context) error { return echo.NewHTTPError(http.StatusConflict, "taken") })
	e.GET("/panic", func(c echo.Context) error { panic("handler bug") })

	do := func(method, path string) int {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code
	}
	for _, id := range []string{"itm_secret1", "itm_secret2", "itm_secret3"} {
		if c := do(http.MethodGet, "/v1/items/"+id); c != http.StatusOK {
			t.Fatalf("GET item: %d", c)
		}
	}
	if c := do(http.MethodPost, "/v1/items"); c != http.StatusConflict {
		t.Fatalf("POST: %d", c)
	}
	if c := do(http.MethodGet, "/no/such/path/usr_12345"); c != http.StatusNotFound {
		t.Fatalf("unknown path: %d", c)
	}
	if c := do(http.MethodGet, "/panic"); c != http.StatusInternalServerError {
		t.Fatalf("panic: %d", c)
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	mfs := metricstest.Parse(t, rec.Body)
	for _, tc := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"method": "GET", "route": "/v1/items/:id", "status": "200"}, 3},
		{map[string]string{"method": "POST", "route": "/v1/items", "status": "409"}, 1},
		{map[string]string{"method": "GET", "route": unmatchedRoute, "status": "404"}, 1},
		{map[string]string{"method": "GET", "route": "/panic", "status": "500"}, 1},
	} {
		if got, ok := mfs.Value("quizflow_http_requests_total", tc.labels); !ok || got != tc.want {
			t.Errorf("requests %v = %v (present %v), want %v", tc.labels, got, ok, tc.want)
		}
	}
	if n, ok := mfs.Value("quizflow_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/v1/items/:id"}); !ok || n != 3 {
		t.Errorf("duration histogram count = %v (present %v), want 3", n, ok)
	}
	// No raw URL (and so no ID) may become a label value.
	for _, name := range []string{"quizflow_http_requests_total", "quizflow_http_request_duration_seconds"} {
		for _, s := range mfs[name].GetMetric() {
			for _, lp := range s.GetLabel() {
				if strings.Contains(lp.GetValue(), "secret") || strings.Contains(lp.GetValue(), "usr_") {
					t.Errorf("%s has label %s=%q", name, lp.GetName(), lp.GetValue())
				}
			}
		}
	}
}
