package usecase

import (
	"context"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Payments is the payment provider (internal/stripepay over Stripe).
type Payments interface {
	// CreateCustomer makes the provider's customer of user, once per
	// idempotency key, and returns its ID.
	CreateCustomer(ctx context.Context, user *quizflow.User, idempotencyKey string) (string, error)
	// CheckoutURL opens a subscription checkout of the Pro price for
	// customerID on behalf of userID.
	CheckoutURL(ctx context.Context, customerID, userID, successURL, cancelURL string) (string, error)
	// PortalURL opens the customer portal of customerID.
	PortalURL(ctx context.Context, customerID, returnURL string) (string, error)
	// VerifyWebhook checks a webhook's signature on its raw body and
	// returns the event; EINVALID if it does not verify.
	VerifyWebhook(payload []byte, signature string) (*quizflow.BillingEvent, error)
	// Change decodes what a stored event says; nil for a type QuizFlow
	// does not act on.
	Change(e *quizflow.BillingEvent) (*quizflow.BillingChange, error)
}

// Notifier queues an email, once per ID (notify.Queue).
type Notifier interface {
	Notify(ctx context.Context, m quizflow.Mail) error
}

// Billing implements quizflow.BillingService, and applies Stripe events
// (ApplyEvent, for the worker) and plans granted by hand (SetPlan, for
// the operators' CLI).
type Billing struct{ *core }

var _ quizflow.BillingService = (*Billing)(nil)

// Outcomes of applying a billing event: the outcome label of
// quizflow_billing_events_total.
const (
	OutcomeApplied = "applied"
	OutcomeStale   = "stale"   // older than what was applied last: ignored
	OutcomeIgnored = "ignored" // a type or customer QuizFlow does not act on
	OutcomeReplay  = "replay"  // applied before
	OutcomeInvalid = "invalid" // refused at the webhook (bad signature, stale timestamp)
)

func errBillingDisabled() error {
	return quizflow.Errorf(quizflow.EBILLINGDISABLED,
		"Billing is not enabled on this server: set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_PRO_PRICE_ID to enable it.")
}

// Plans implements quizflow.BillingService.
func (b *Billing) Plans(context.Context) []quizflow.Plan { return b.plans().List() }

// Billing implements quizflow.BillingService.
func (b *Billing) Billing(ctx context.Context, user *quizflow.User) (*quizflow.BillingStatus, error) {
	plan, st, sub, err := b.standing(ctx, user)
	if err != nil {
		return nil, err
	}
	usage, err := b.usage(ctx, user, plan, st)
	if err != nil {
		return nil, err
	}
	out := &quizflow.BillingStatus{
		Plan: plan, Enabled: b.Payments != nil, CurrentPeriodStart: st.PeriodStart, CurrentPeriodEnd: st.PeriodEnd,
		GraceEndsAt: st.GraceEnds, Usage: usage,
	}
	if sub != nil {
		out.Status, out.CancelAtPeriodEnd = sub.Status, sub.CancelAtPeriodEnd
		if sub.ManualPlan == quizflow.PlanPro && st.Plan == quizflow.PlanPro && sub.Status != quizflow.SubActive {
			out.PlanUntil = sub.ManualUntil
		}
	}
	return out, nil
}

// Checkout implements quizflow.BillingService. The user's Stripe customer
// is made on first use, with an idempotency key derived from the user, so
// two racing first checkouts make one customer.
func (b *Billing) Checkout(ctx context.Context, user *quizflow.User) (string, error) {
	if b.Payments == nil {
		return "", errBillingDisabled()
	}
	plan, _, sub, err := b.standing(ctx, user)
	if err != nil {
		return "", err
	}
	if plan.Name == quizflow.PlanPro && sub != nil && sub.SubscriptionID != "" && sub.Status != quizflow.SubCanceled {
		return "", quizflow.Errorf(quizflow.ECONFLICT, "You already have a Pro subscription; manage it with POST /v1/billing/portal.")
	}
	customer, err := b.customer(ctx, user, sub)
	if err != nil {
		return "", err
	}
	base := b.Config.PublicURL
	return b.Payments.CheckoutURL(ctx, customer, user.ID, base+"/?billing=success&session_id={CHECKOUT_SESSION_ID}", base+"/?billing=cancel")
}

// customer returns the user's Stripe customer, making and recording it
// on first use.
func (b *Billing) customer(ctx context.Context, user *quizflow.User, sub *quizflow.Subscription) (string, error) {
	if sub != nil && sub.CustomerID != "" {
		return sub.CustomerID, nil
	}
	id, err := b.Payments.CreateCustomer(ctx, user, "customer-"+user.ID)
	if err != nil {
		return "", err
	}
	if err := b.BillingStore.SetCustomerUser(ctx, id, user.ID); err != nil {
		return "", err
	}
	err = b.updateSubscription(ctx, user.ID, func(s *quizflow.Subscription) bool {
		if s.CustomerID != "" {
			id = s.CustomerID
			return false
		}
		s.CustomerID = id
		return true
	})
	return id, err
}

// Portal implements quizflow.BillingService.
func (b *Billing) Portal(ctx context.Context, user *quizflow.User) (string, error) {
	if b.Payments == nil {
		return "", errBillingDisabled()
	}
	_, _, sub, err := b.standing(ctx, user)
	if err != nil {
		return "", err
	}
	if sub == nil || sub.CustomerID == "" {
		return "", quizflow.Errorf(quizflow.ECONFLICT, "You have no subscription to manage yet; subscribe with POST /v1/billing/checkout.")
	}
	return b.Payments.PortalURL(ctx, sub.CustomerID, b.Config.PublicURL+"/?billing=portal")
}

// ReceiveWebhook implements quizflow.BillingService.
func (b *Billing) ReceiveWebhook(ctx context.Context, payload []byte, signature string) error {
	if b.Payments == nil {
		return errBillingDisabled()
	}
	ev, err := b.Payments.VerifyWebhook(payload, signature)
	if err != nil {
		if b.Observer != nil {
			b.Observer.ObserveBillingEvent("unverified", OutcomeInvalid)
		}
		return err
	}
	if _, err := b.BillingStore.SaveBillingEvent(ctx, ev); err != nil {
		b.Log.Error().Err(err).Str("event_id", ev.ID).Msg("store billing event")
		return errBillingUnavailable
	}
	// Queued even for a replay: a first delivery stored but not queued
	// (a crash in between) is queued now; one already queued or done is
	// recognised by its task ID and its outcome.
	t, err := jobs.NewBillingEventTask(jobs.BillingEventPayload{EventID: ev.ID, RequestID: quizflow.RequestID(ctx)})
	if err == nil {
		err = b.Queue.Enqueue(ctx, t)
	}
	if err != nil {
		b.Log.Error().Err(err).Str("event_id", ev.ID).Msg("queue billing event")
		return errBillingUnavailable
	}
	return nil
}

var errBillingUnavailable = &quizflow.Error{Code: quizflow.EUNAVAILABLE, RetryAfter: 10 * time.Second,
	Message: "The event could not be recorded; Stripe will deliver it again."}

// subscriptionAttempts bounds the compare-and-set loop of a subscription.
const subscriptionAttempts = 8

// updateSubscription applies change to the user's subscription (a fresh
// one if none) and saves it, again on a fresh copy when a concurrent
// write came first. change returns false to write nothing.
func (b *Billing) updateSubscription(ctx context.Context, userID string, change func(*quizflow.Subscription) bool) error {
	var err error
	for i := range subscriptionAttempts {
		var sub *quizflow.Subscription
		sub, err = b.BillingStore.Subscription(ctx, userID)
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			sub, err = &quizflow.Subscription{UserID: userID}, nil
		}
		if err != nil {
			return err
		}
		if !change(sub) {
			return nil
		}
		if err = b.BillingStore.SaveSubscription(ctx, sub); quizflow.ErrorCode(err) != quizflow.ECONFLICT {
			return err
		}
		time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
	}
	return err
}

// ApplyEvent applies stored Stripe event id to the subscription it is
// about and returns the outcome. An event older than the last one applied
// to the subscription changes nothing (events arrive out of order); an
// event applied before changes nothing (they arrive more than once).
// Downgrading deletes nothing: only limits change.
func (b *Billing) ApplyEvent(ctx context.Context, id string) (string, error) {
	if b.BillingStore == nil || b.Payments == nil {
		return "", errBillingDisabled()
	}
	ev, err := b.BillingStore.BillingEvent(ctx, id)
	if err != nil {
		return "", err
	}
	outcome, err := b.applyEvent(ctx, ev)
	if err != nil {
		return "", err
	}
	if b.Observer != nil {
		b.Observer.ObserveBillingEvent(ev.Type, outcome)
	}
	return outcome, nil
}

func (b *Billing) applyEvent(ctx context.Context, ev *quizflow.BillingEvent) (string, error) {
	if ev.Outcome != "" {
		return OutcomeReplay, nil
	}
	ch, err := b.Payments.Change(ev)
	if err != nil {
		return "", err
	}
	if ch == nil {
		return OutcomeIgnored, b.BillingStore.FinishBillingEvent(ctx, ev.ID, OutcomeIgnored)
	}
	userID := ch.UserID
	if userID == "" && ch.CustomerID != "" {
		userID, err = b.BillingStore.CustomerUser(ctx, ch.CustomerID)
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			b.Log.Warn().Str("event_id", ev.ID).Str("customer", ch.CustomerID).Msg("billing event for a customer QuizFlow does not know")
			return OutcomeIgnored, b.BillingStore.FinishBillingEvent(ctx, ev.ID, OutcomeIgnored)
		}
		if err != nil {
			return "", err
		}
	}
	if userID == "" {
		return OutcomeIgnored, b.BillingStore.FinishBillingEvent(ctx, ev.ID, OutcomeIgnored)
	}
	if ch.CustomerID != "" {
		if err := b.BillingStore.SetCustomerUser(ctx, ch.CustomerID, userID); err != nil {
			return "", err
		}
	}
	now := b.now()
	var before, after quizflow.Standing
	var mail string
	outcome := OutcomeApplied
	err = b.updateSubscription(ctx, userID, func(s *quizflow.Subscription) bool {
		before = s.StandingAt(now, b.Config.BillingGrace)
		wasPastDue := s.Status == quizflow.SubPastDue
		outcome = applyChange(s, ch, ev.Created)
		after = s.StandingAt(now, b.Config.BillingGrace)
		mail = ""
		switch {
		case outcome != OutcomeApplied:
		case ch.Kind == quizflow.ChangeDeleted:
			mail = quizflow.MailSubscriptionEnded
		case ch.Kind == quizflow.ChangeInvoiceFailed || (s.Status == quizflow.SubPastDue && !wasPastDue):
			mail = quizflow.MailPaymentFailed
		case before.Plan != quizflow.PlanPro && after.Plan == quizflow.PlanPro:
			mail = quizflow.MailSubscriptionStarted
		}
		return outcome == OutcomeApplied
	})
	if err != nil {
		return "", err
	}
	if outcome == OutcomeApplied {
		if err := b.BillingStore.SetUserPlan(ctx, userID, after.Plan); err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
			b.Log.Warn().Err(err).Str("user_id", userID).Msg("record the account's plan")
		}
		b.Log.Info().Str("event_id", ev.ID).Str("type", ev.Type).Str("user_id", userID).
			Str("plan_before", before.Plan).Str("plan", after.Plan).Msg("billing event applied")
		if mail != "" && b.Notify != nil {
			data := map[string]string{}
			if after.GraceEnds != nil && mail == quizflow.MailPaymentFailed {
				data["when"] = after.GraceEnds.UTC().Format("2 January 2006 at 15:04 UTC")
			}
			if mail != quizflow.MailSubscriptionEnded && ch.CustomerID != "" {
				if u, err := b.Payments.PortalURL(ctx, ch.CustomerID, b.Config.PublicURL+"/?billing=portal"); err == nil {
					data["action_url"] = u
				}
			}
			// One message per event: the cause is the event.
			if err := b.Notify.Notify(ctx, quizflow.Mail{ID: mail + ":" + ev.ID, Kind: mail, UserID: userID, Data: data}); err != nil {
				b.Log.Error().Err(err).Str("event_id", ev.ID).Str("kind", mail).Msg("queue billing mail")
			}
		}
	}
	return outcome, b.BillingStore.FinishBillingEvent(ctx, ev.ID, outcome)
}

// applyChange applies ch, of an event created at, to s, and returns the
// outcome: OutcomeStale (s unchanged) for an event older than the newest
// one applied to the subscription.
func applyChange(s *quizflow.Subscription, ch *quizflow.BillingChange, at time.Time) string {
	if ch.CustomerID != "" {
		s.CustomerID = ch.CustomerID
	}
	if ch.Kind == quizflow.ChangeCheckout {
		// Checkout links the subscription; its state comes from the
		// subscription's own events, but until one arrives the paid
		// checkout already counts as active, for a provisional month.
		if ch.SubscriptionID == "" {
			return OutcomeIgnored
		}
		if s.SubscriptionID != ch.SubscriptionID {
			s.SubscriptionID = ch.SubscriptionID
			if s.EventAt.IsZero() || s.Status == quizflow.SubCanceled || s.Status == "" {
				s.Status, s.PeriodStart, s.PeriodEnd, s.CancelAtPeriodEnd, s.PastDueSince = quizflow.SubActive, at, at.AddDate(0, 1, 0), false, nil
			}
		}
		return OutcomeApplied
	}
	if at.Before(s.EventAt) {
		return OutcomeStale
	}
	if ch.SubscriptionID != "" && s.SubscriptionID != "" && ch.SubscriptionID != s.SubscriptionID && ch.Kind != quizflow.ChangeSubscription {
		// An event of an earlier subscription (deleted, or its last
		// invoice) says nothing about the current one.
		return OutcomeStale
	}
	s.EventAt = at
	if ch.SubscriptionID != "" {
		s.SubscriptionID = ch.SubscriptionID
	}
	switch ch.Kind {
	case quizflow.ChangeSubscription:
		s.Status, s.CancelAtPeriodEnd = ch.Status, ch.CancelAtPeriodEnd
		if !ch.PeriodStart.IsZero() {
			s.PeriodStart, s.PeriodEnd = ch.PeriodStart, ch.PeriodEnd
		}
	case quizflow.ChangeDeleted:
		s.Status, s.CancelAtPeriodEnd = quizflow.SubCanceled, false
	case quizflow.ChangeInvoicePaid:
		if s.Status != quizflow.SubCanceled {
			s.Status = quizflow.SubActive
		}
		if !ch.PeriodStart.IsZero() {
			s.PeriodStart, s.PeriodEnd = ch.PeriodStart, ch.PeriodEnd
		}
	case quizflow.ChangeInvoiceFailed:
		if s.Status != quizflow.SubCanceled {
			s.Status = quizflow.SubPastDue
		}
	}
	switch s.Status {
	case quizflow.SubPastDue:
		if s.PastDueSince == nil {
			t := at
			s.PastDueSince = &t
		}
	default:
		s.PastDueSince = nil
	}
	return OutcomeApplied
}

// SetPlan puts the user on plan by hand until until (nil: for good), for
// comp accounts and servers without Stripe; a paid subscription still
// counts when it gives more. It is logged.
func (b *Billing) SetPlan(ctx context.Context, user *quizflow.User, plan string, until *time.Time) error {
	if plan != quizflow.PlanFree && plan != quizflow.PlanPro {
		return quizflow.Invalid("plan", "The plan must be free or pro.")
	}
	if b.BillingStore == nil {
		return quizflow.Errorf(quizflow.EUNAVAILABLE, "No billing store is configured.")
	}
	err := b.updateSubscription(ctx, user.ID, func(s *quizflow.Subscription) bool {
		s.ManualPlan, s.ManualUntil = plan, until
		if plan == quizflow.PlanFree {
			s.ManualPlan, s.ManualUntil = "", nil
		}
		return true
	})
	if err != nil {
		return err
	}
	_, st, _, err := b.standing(ctx, user)
	if err != nil {
		return err
	}
	if err := b.BillingStore.SetUserPlan(ctx, user.ID, st.Plan); err != nil {
		return err
	}
	ev := b.Log.Warn().Str("user_id", user.ID).Str("email", user.Email).Str("plan", plan).Str("effective_plan", st.Plan)
	if until != nil {
		ev = ev.Time("until", *until)
	}
	ev.Msg("plan set by an operator")
	return nil
}
