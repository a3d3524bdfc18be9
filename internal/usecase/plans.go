package usecase

import (
	"context"
	"fmt"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// BillingStore keeps plans' state: subscriptions, quota units, Stripe
// events and customers (internal/mongostore).
type BillingStore interface {
	// Subscription returns the billing state of a user, or ENOTFOUND.
	Subscription(ctx context.Context, userID string) (*quizflow.Subscription, error)
	// SaveSubscription writes s if its stored version is still s.Version;
	// ECONFLICT otherwise.
	SaveSubscription(ctx context.Context, s *quizflow.Subscription) error
	// ChargeQuota counts one unit against counter key if fewer than limit
	// are used, atomically, under chargeID; false when spent.
	ChargeQuota(ctx context.Context, chargeID, key string, limit int) (bool, error)
	// RefundQuota gives the unit of chargeID back, once.
	RefundQuota(ctx context.Context, chargeID string) (bool, error)
	// QuotaUsed returns the units counted against key.
	QuotaUsed(ctx context.Context, key string) (int, error)
	// SaveBillingEvent stores an event under its ID; false for a replay.
	SaveBillingEvent(ctx context.Context, e *quizflow.BillingEvent) (bool, error)
	BillingEvent(ctx context.Context, id string) (*quizflow.BillingEvent, error)
	FinishBillingEvent(ctx context.Context, id, outcome string) error
	SetCustomerUser(ctx context.Context, customerID, userID string) error
	CustomerUser(ctx context.Context, customerID string) (string, error)
	// SetUserPlan records the plan an account shows; ENOTFOUND if gone.
	SetUserPlan(ctx context.Context, userID, plan string) error
}

// Observer counts what the plan rules decide (internal/metrics).
type Observer interface {
	ObserveQuotaRefusal(plan, kind string)
	ObserveBillingEvent(typ, outcome string)
}

// now is the use cases' clock (Config.Now, else the wall clock).
func (c *core) now() time.Time {
	if f := c.clock.Load(); f != nil {
		return (*f)()
	}
	return time.Now().UTC()
}

// SetClock replaces the clock of every use case (tests of period
// roll-over and grace); nil restores the wall clock.
func (s *Services) SetClock(now func() time.Time) {
	if now == nil {
		s.core.clock.Store(nil)
		return
	}
	s.core.clock.Store(&now)
}

// plans returns the configured plans (the defaults when unset).
func (c *core) plans() quizflow.Plans {
	if c.Config.Plans.Free.Name == "" {
		return quizflow.DefaultPlans()
	}
	return c.Config.Plans
}

// standing returns the plan user is on now, the period its allowances
// count in, and the billing state it comes from (nil without one).
func (c *core) standing(ctx context.Context, user *quizflow.User) (quizflow.Plan, quizflow.Standing, *quizflow.Subscription, error) {
	if c.BillingStore == nil {
		st := (&quizflow.Subscription{ManualPlan: user.Plan}).StandingAt(c.now(), 0)
		return c.plans().Get(st.Plan), st, nil, nil
	}
	sub, err := c.BillingStore.Subscription(ctx, user.ID)
	if err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		return quizflow.Plan{}, quizflow.Standing{}, nil, err
	}
	if err != nil {
		sub = nil
	}
	st := sub.StandingAt(c.now(), c.Config.BillingGrace)
	return c.plans().Get(st.Plan), st, sub, nil
}

// quotaKey names the counter of user's units of kind in period.
func quotaKey(userID, kind, period string) string {
	return userID + "/" + kind + "/" + period
}

// charge spends one unit of kind of user's allowance for the work
// chargeID (the job that will do it), or answers EQUOTA with the upgrade
// link. Without a billing store nothing is counted.
func (c *core) charge(ctx context.Context, user *quizflow.User, plan quizflow.Plan, st quizflow.Standing, kind, chargeID string) error {
	if c.BillingStore == nil {
		return nil
	}
	limit := plan.Allowance(kind)
	ok, err := c.BillingStore.ChargeQuota(ctx, chargeID, quotaKey(user.ID, kind, st.PeriodKey), limit)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	if c.Observer != nil {
		c.Observer.ObserveQuotaRefusal(plan.Name, kind)
	}
	what := "quizzes"
	if kind == quizflow.QuotaRegenerations {
		what = "question regenerations"
	}
	msg := fmt.Sprintf("You have used all %d %s of the %s plan for this period (it renews %s).",
		limit, what, plan.Name, st.PeriodEnd.Format("2 January 2006"))
	if plan.Name != quizflow.PlanPro {
		msg += fmt.Sprintf(" Pro allows %d.", c.plans().Pro.Allowance(kind))
	}
	return &quizflow.Error{Code: quizflow.EQUOTA, Message: msg, UpgradeURL: c.Config.UpgradeURL}
}

// Refund gives back the unit charged for job chargeID, once: the work
// failed through no fault of the user, or cost nothing (a reused quiz).
// A failure is logged, not returned.
func (c *core) Refund(ctx context.Context, chargeID string) {
	if c.BillingStore == nil || chargeID == "" {
		return
	}
	fctx, cancel := detached(ctx)
	defer cancel()
	if _, err := c.BillingStore.RefundQuota(fctx, chargeID); err != nil {
		c.Log.Error().Err(err).Str("job_id", chargeID).Msg("give back a quota unit")
	}
}

// usage returns user's use of every allowance this period.
func (c *core) usage(ctx context.Context, user *quizflow.User, plan quizflow.Plan, st quizflow.Standing) ([]quizflow.QuotaUsage, error) {
	out := make([]quizflow.QuotaUsage, 0, len(quizflow.QuotaKinds))
	for _, k := range quizflow.QuotaKinds {
		u := quizflow.QuotaUsage{Kind: k, Limit: plan.Allowance(k)}
		if c.BillingStore != nil {
			n, err := c.BillingStore.QuotaUsed(ctx, quotaKey(user.ID, k, st.PeriodKey))
			if err != nil {
				return nil, err
			}
			u.Used = n
		}
		out = append(out, u)
	}
	return out, nil
}
