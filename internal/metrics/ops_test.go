package metrics_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/metrics/metricstest"
)

// TestDependencyUp: the gauge runs the checks at each scrape, so it
// follows a dependency going down and coming back.
func TestDependencyUp(t *testing.T) {
	redisDown := false
	r := metrics.New().WithDependencies(map[string]func(context.Context) error{
		"mongodb": func(context.Context) error { return nil },
		"redis": func(ctx context.Context) error {
			if redisDown {
				return errors.New("dial tcp: connection refused")
			}
			return ctx.Err()
		},
	})
	scrape := func() metricstest.Families { return scrape(t, r) }
	for _, tc := range []struct {
		down      bool
		wantRedis float64
	}{{false, 1}, {true, 0}, {false, 1}} {
		redisDown = tc.down
		f := scrape()
		if v, ok := f.Value("quizflow_dependency_up", map[string]string{"dependency": "redis"}); !ok || v != tc.wantRedis {
			t.Errorf("redis down=%v: quizflow_dependency_up = %v (%v), want %v", tc.down, v, ok, tc.wantRedis)
		}
		if v, ok := f.Value("quizflow_dependency_up", map[string]string{"dependency": "mongodb"}); !ok || v != 1 {
			t.Errorf("mongodb: %v (%v), want 1", v, ok)
		}
	}
}

// TestLLMResponses: every class starts at 0 (so rate() sees the first
// 429) and each status lands in its class.
func TestLLMResponses(t *testing.T) {
	r := metrics.New()
	l := metrics.NewLLMResponses(r)
	for _, st := range []int{200, 201, 429, 429, 400, 503, 0} {
		l.ObserveLLMResponse(st)
	}
	f := scrape(t, r)
	for class, want := range map[string]float64{"2xx": 2, "429": 2, "4xx": 1, "5xx": 1, "error": 1} {
		if v, ok := f.Value("quizflow_llm_responses_total", map[string]string{"class": class}); !ok || v != want {
			t.Errorf("class %s: %v (%v), want %v", class, v, ok, want)
		}
	}
	var nilL *metrics.LLMResponses
	nilL.ObserveLLMResponse(500) // a nil one counts nothing and does not panic
}

// scrape GETs r's handler and parses what it serves.
func scrape(t *testing.T, r *metrics.Registry) metricstest.Families {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	return metricstest.Parse(t, rec.Body)
}
