package quizflow

import (
	"context"
	"fmt"
	"time"
)

// Error codes of plans and billing.
const (
	// EQUOTA: the plan's allowance for this period is spent (402, with an
	// upgrade_url).
	EQUOTA = "quota_exceeded"
	// EBILLINGDISABLED: billing routes on a server without Stripe keys (503).
	EBILLINGDISABLED = "billing_disabled"
)

// Kinds of work a plan allows so much of per period; the kind label of
// quizflow_quota_refusals_total.
const (
	QuotaQuizzes       = "quizzes"
	QuotaRegenerations = "regenerations"
)

// QuotaKinds lists every kind of counted work.
var QuotaKinds = []string{QuotaQuizzes, QuotaRegenerations}

// Plan is what an account on it may do. Allowances count per period: the
// subscription's billing period on Pro, the calendar month (UTC) on free.
type Plan struct {
	Name string `json:"name"`
	// QuizzesPerMonth is how many quizzes (uploads and new quizzes of a
	// stored document) may be generated per period.
	QuizzesPerMonth int `json:"quizzes_per_month"`
	// RegenerationsPerMonth is how many questions may be regenerated.
	RegenerationsPerMonth int `json:"regenerations_per_month"`
	// MaxFileSize is the largest upload, in bytes.
	MaxFileSize int64 `json:"max_file_size"`
	// MaxPages is how many pages of one document are read.
	MaxPages int `json:"max_pages"`
	// MaxQuestions bounds question_count.
	MaxQuestions int `json:"max_questions"`
}

// Allowance returns the plan's allowance of kind per period.
func (p Plan) Allowance(kind string) int {
	if kind == QuotaRegenerations {
		return p.RegenerationsPerMonth
	}
	return p.QuizzesPerMonth
}

// DefaultPlans are the plans before PLAN_* overrides.
func DefaultPlans() Plans {
	return Plans{
		Free: Plan{Name: PlanFree, QuizzesPerMonth: 10, RegenerationsPerMonth: 30,
			MaxFileSize: 10 << 20, MaxPages: 50, MaxQuestions: MaxQuestionsFree},
		Pro: Plan{Name: PlanPro, QuizzesPerMonth: 300, RegenerationsPerMonth: 1000,
			MaxFileSize: 50 << 20, MaxPages: 500, MaxQuestions: MaxQuestionsPro},
	}
}

// Plans holds both plans.
type Plans struct {
	Free, Pro Plan
}

// Get returns the plan named name (free for anything but "pro").
func (ps Plans) Get(name string) Plan {
	if name == PlanPro {
		return ps.Pro
	}
	return ps.Free
}

// List returns the plans, free first.
func (ps Plans) List() []Plan { return []Plan{ps.Free, ps.Pro} }

// Validate reports the first impossible limit.
func (ps Plans) Validate() error {
	for _, p := range ps.List() {
		switch {
		case p.QuizzesPerMonth < 0 || p.RegenerationsPerMonth < 0:
			return fmt.Errorf("plan %s: allowances must not be negative", p.Name)
		case p.MaxFileSize <= 0 || p.MaxPages <= 0:
			return fmt.Errorf("plan %s: upload size and pages must be positive", p.Name)
		case p.MaxQuestions < 1 || p.MaxQuestions > MaxQuestionsPro:
			return fmt.Errorf("plan %s: question count must be 1-%d", p.Name, MaxQuestionsPro)
		}
	}
	return nil
}

// Subscription statuses as Stripe names them (those QuizFlow acts on).
const (
	SubActive   = "active"
	SubTrialing = "trialing"
	SubPastDue  = "past_due"
	SubCanceled = "canceled"
	SubUnpaid   = "unpaid"
)

// Subscription is a user's billing state: their Stripe customer and
// subscription as the last applied webhook events left them, and a plan
// granted by hand (`quizflow admin set-plan`).
type Subscription struct {
	UserID         string
	CustomerID     string
	SubscriptionID string
	// Status is Stripe's subscription status ("" for none).
	Status            string
	PeriodStart       time.Time
	PeriodEnd         time.Time
	CancelAtPeriodEnd bool
	// PastDueSince is when a payment first failed, for the grace period.
	PastDueSince *time.Time
	// EventAt is the creation time of the newest subscription or invoice
	// event applied: an older one never overwrites what it left.
	EventAt time.Time
	// ManualPlan and ManualUntil are a plan granted by an operator, until
	// a time (nil: for good).
	ManualPlan  string
	ManualUntil *time.Time
	// Version counts writes, for compare-and-set.
	Version int
}

// Standing is which plan a subscription gives at a moment, why, and the
// period its allowances count in.
type Standing struct {
	Plan string
	// PeriodKey names the period allowances count in; PeriodStart and
	// PeriodEnd bound it.
	PeriodKey              string
	PeriodStart, PeriodEnd time.Time
	// GraceEnds, for a past-due subscription still on Pro, is when it
	// falls back to free.
	GraceEnds *time.Time
}

// StandingAt returns the plan s gives at now with grace for past-due
// payments. s may be nil (no billing state: free).
func (s *Subscription) StandingAt(now time.Time, grace time.Duration) Standing {
	now = now.UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	free := Standing{Plan: PlanFree, PeriodKey: month.Format("2006-01"), PeriodStart: month, PeriodEnd: month.AddDate(0, 1, 0)}
	if s == nil {
		return free
	}
	if s.paidPro(now, grace) {
		st := Standing{Plan: PlanPro, PeriodStart: s.PeriodStart, PeriodEnd: s.PeriodEnd,
			PeriodKey: fmt.Sprintf("pro-%d", s.PeriodStart.Unix())}
		if s.Status == SubPastDue && s.PastDueSince != nil {
			g := s.PastDueSince.Add(grace)
			st.GraceEnds = &g
		}
		return st
	}
	if s.ManualPlan == PlanPro && (s.ManualUntil == nil || now.Before(*s.ManualUntil)) {
		free.Plan = PlanPro
		free.PeriodKey = "pro-" + free.PeriodKey
		return free
	}
	return free
}

// paidPro reports whether the Stripe subscription gives Pro at now.
func (s *Subscription) paidPro(now time.Time, grace time.Duration) bool {
	if s.SubscriptionID == "" {
		return false
	}
	// A cancelled-at-period-end subscription keeps Pro until the period ends.
	if s.CancelAtPeriodEnd && !s.PeriodEnd.IsZero() && !now.Before(s.PeriodEnd) {
		return false
	}
	switch s.Status {
	case SubActive, SubTrialing:
		return true
	case SubPastDue:
		return s.PastDueSince == nil || now.Before(s.PastDueSince.Add(grace))
	}
	return false
}

// Usage of one allowance in the current period.
type QuotaUsage struct {
	Kind  string `json:"kind"`
	Used  int    `json:"used"`
	Limit int    `json:"limit"`
}

// BillingStatus is what GET /v1/billing answers.
type BillingStatus struct {
	Plan Plan `json:"plan"`
	// Enabled is false on a server without Stripe keys.
	Enabled            bool         `json:"billing_enabled"`
	Status             string       `json:"subscription_status"`
	CurrentPeriodStart time.Time    `json:"current_period_start"`
	CurrentPeriodEnd   time.Time    `json:"current_period_end"`
	CancelAtPeriodEnd  bool         `json:"cancel_at_period_end"`
	GraceEndsAt        *time.Time   `json:"grace_ends_at,omitempty"`
	PlanUntil          *time.Time   `json:"plan_until,omitempty"`
	Usage              []QuotaUsage `json:"usage"`
}

// BillingService lists plans, shows a user's standing and usage, and
// moves accounts between plans through Stripe.
type BillingService interface {
	// Plans lists the plans and their limits.
	Plans(ctx context.Context) []Plan
	// Billing returns the user's plan, subscription and usage against
	// every allowance.
	Billing(ctx context.Context, user *User) (*BillingStatus, error)
	// Checkout returns the URL of a Stripe Checkout session that
	// subscribes the user to Pro. It returns EBILLINGDISABLED without
	// Stripe keys, ECONFLICT when already on a paid Pro subscription and
	// EUNAVAILABLE when Stripe cannot be reached.
	Checkout(ctx context.Context, user *User) (string, error)
	// Portal returns the URL of a Stripe Customer Portal session. It
	// returns EBILLINGDISABLED, ECONFLICT for a user who never subscribed
	// and EUNAVAILABLE.
	Portal(ctx context.Context, user *User) (string, error)
	// ReceiveWebhook verifies a Stripe webhook on its raw body, stores the
	// event under its ID and queues it for the worker; a replay changes
	// nothing. It returns EBILLINGDISABLED, EINVALID for a bad signature,
	// a stale timestamp or a body that is not an event, and EUNAVAILABLE
	// when the event cannot be stored or queued (Stripe retries).
	ReceiveWebhook(ctx context.Context, payload []byte, signature string) error
}

// BillingEvent is a verified Stripe webhook event as received, kept under
// its event ID so a replay is recognised.
type BillingEvent struct {
	ID      string
	Type    string
	Payload []byte
	// Created is when Stripe created the event.
	Created time.Time
	// Outcome is "" until the worker applied it ("applied", "stale",
	// "ignored").
	Outcome string
}

// Kinds of BillingChange: what a Stripe event says happened.
const (
	ChangeCheckout      = "checkout"       // checkout.session.completed
	ChangeSubscription  = "subscription"   // customer.subscription.created / .updated
	ChangeDeleted       = "deleted"        // customer.subscription.deleted
	ChangeInvoicePaid   = "invoice_paid"   // invoice.paid
	ChangeInvoiceFailed = "invoice_failed" // invoice.payment_failed
)

// BillingChange is what one Stripe event says about a user's subscription,
// decoded by the payments adapter.
type BillingChange struct {
	Kind string
	// UserID is the user the event names itself (client_reference_id or
	// the subscription's metadata), "" if only the customer is known.
	UserID            string
	CustomerID        string
	SubscriptionID    string
	Status            string
	PeriodStart       time.Time
	PeriodEnd         time.Time
	CancelAtPeriodEnd bool
}
