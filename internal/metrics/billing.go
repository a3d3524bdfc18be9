package metrics

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// BillingEventTypes are the Stripe event types QuizFlow applies; any other
// type is counted as "other", and a webhook refused before its type is
// known as "unverified".
var BillingEventTypes = []string{
	"checkout.session.completed", "customer.subscription.created", "customer.subscription.updated",
	"customer.subscription.deleted", "invoice.paid", "invoice.payment_failed",
}

// Billing holds the plan and billing families.
type Billing struct {
	refusals *prometheus.CounterVec
	events   *prometheus.CounterVec
}

// NewBilling registers the billing families on r (once per registry) and
// returns them; a nil r gives a Billing that records nothing.
func NewBilling(r *Registry) *Billing {
	if r == nil {
		return nil
	}
	b := &Billing{
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "quota_refusals_total",
			Help: "Requests refused with 402 quota_exceeded because the plan's allowance for the period was spent, by plan and kind (quizzes, regenerations).",
		}, []string{"plan", "kind"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "billing_events_total",
			Help: "Stripe webhook events, by type and outcome: applied, stale (older than the state applied: ignored), ignored (not acted on), replay (applied before), invalid (refused at the webhook: bad signature or timestamp).",
		}, []string{"type", "outcome"}),
	}
	for _, p := range []string{quizflow.PlanFree, quizflow.PlanPro} {
		for _, k := range quizflow.QuotaKinds {
			b.refusals.WithLabelValues(p, k)
		}
	}
	r.reg.MustRegister(b.refusals, b.events)
	return b
}

// ObserveQuotaRefusal counts one refusal of kind on plan.
func (b *Billing) ObserveQuotaRefusal(plan, kind string) {
	if b == nil {
		return
	}
	if plan != quizflow.PlanPro {
		plan = quizflow.PlanFree
	}
	if !slices.Contains(quizflow.QuotaKinds, kind) {
		kind = "other"
	}
	b.refusals.WithLabelValues(plan, kind).Inc()
}

// ObserveBillingEvent counts one webhook event of typ with outcome.
func (b *Billing) ObserveBillingEvent(typ, outcome string) {
	if b == nil {
		return
	}
	if typ != "unverified" && !slices.Contains(BillingEventTypes, typ) {
		typ = "other"
	}
	switch outcome {
	case "applied", "stale", "ignored", "replay", "invalid":
	default:
		outcome = "other"
	}
	b.events.WithLabelValues(typ, outcome).Inc()
}
