package notify

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quizflow/quizflow/internal/metrics"
)

// Metrics counts deliveries as quizflow_emails_total{kind,outcome}. A nil
// *Metrics counts nothing.
type Metrics struct{ emails *prometheus.CounterVec }

// NewMetrics registers quizflow_emails_total on reg (nil: no metrics).
// Call it once per registry.
func NewMetrics(reg *metrics.Registry) *Metrics {
	if reg == nil {
		return nil
	}
	m := &Metrics{emails: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: metrics.Namespace, Name: "emails_total",
		Help: "Email deliveries, by kind and outcome (sent, duplicate, suppressed, retry, bounced, failed).",
	}, []string{"kind", "outcome"})}
	reg.Prometheus().MustRegister(m.emails)
	return m
}

func (m *Metrics) count(kind, outcome string) {
	if m == nil {
		return
	}
	m.emails.WithLabelValues(kind, outcome).Inc()
}
