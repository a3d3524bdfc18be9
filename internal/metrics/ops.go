package metrics

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DependencyTimeout bounds each dependency check of one scrape.
const DependencyTimeout = 3 * time.Second

// dependencyUp is quizflow_dependency_up: 1 when the named dependency
// answered its check during this scrape, 0 when it did not.
var dependencyUp = prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "dependency_up"),
	"1 if the backing service answered its readiness check (the same check as GET /readyz) during this scrape, else 0, by dependency (mongodb, redis, s3).",
	[]string{"dependency"}, nil)

// dependencyCollector runs the checks at scrape time, concurrently, each
// bounded by DependencyTimeout, so the gauge is as fresh as the scrape.
type dependencyCollector struct {
	checks map[string]func(context.Context) error
}

func (d dependencyCollector) Describe(ch chan<- *prometheus.Desc) { ch <- dependencyUp }

func (d dependencyCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), DependencyTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for name, check := range d.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			up := 0.0
			if check(ctx) == nil {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(dependencyUp, prometheus.GaugeValue, up, name)
		}()
	}
	wg.Wait()
}

// WithDependencies registers quizflow_dependency_up, whose value per
// dependency is the outcome of checks[dependency] run at each scrape (the
// API passes its readiness checks). A nil r or empty checks is ignored.
// Call it once per registry. It returns r for chaining.
func (r *Registry) WithDependencies(checks map[string]func(context.Context) error) *Registry {
	if r == nil || len(checks) == 0 {
		return r
	}
	r.reg.MustRegister(dependencyCollector{checks: checks})
	return r
}

// LLMResponseClasses are the values of the "class" label of
// quizflow_llm_responses_total.
var LLMResponseClasses = []string{"2xx", "429", "4xx", "5xx", "error"}

// LLMResponses counts every HTTP answer of the model server (each attempt,
// retries included) by class: "429" (rate limit or spent quota) apart
// from the other 4xx, "error" for calls that got no answer (timeout,
// connection refused).
type LLMResponses struct{ c *prometheus.CounterVec }

// NewLLMResponses registers quizflow_llm_responses_total on r (once per
// registry) with every class at 0; a nil r gives one that counts nothing.
func NewLLMResponses(r *Registry) *LLMResponses {
	if r == nil {
		return nil
	}
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "llm_responses_total",
		Help: "HTTP answers of the model server, each attempt counted (retries included), by class: 2xx, 429 (rate limit or quota), 4xx (other), 5xx, error (no answer: timeout, connection).",
	}, []string{"class"})
	for _, cl := range LLMResponseClasses {
		c.WithLabelValues(cl)
	}
	r.reg.MustRegister(c)
	return &LLMResponses{c: c}
}

// ObserveLLMResponse counts one answer with HTTP status (0: no answer).
func (l *LLMResponses) ObserveLLMResponse(status int) {
	if l == nil {
		return
	}
	l.c.WithLabelValues(responseClass(status)).Inc()
}

// responseClass is the class label of status.
func responseClass(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "429"
	case status >= 200 && status < 300:
		return "2xx"
	case status >= 400 && status < 500:
		return "4xx"
	case status >= 500 && status < 600:
		return "5xx"
	}
	return "error"
}
