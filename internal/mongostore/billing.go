package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Collections of plans and billing. Every lookup is by _id.
const (
	// colSubscriptions: one record per user (_id = user ID).
	colSubscriptions = "subscriptions"
	// colSubscriptionVersions: one record per version written ("user#v").
	colSubscriptionVersions = "subscription_versions"
	// colQuotaSlots: one record per unit used (_id = "user/kind/period#n");
	// colQuotaCounters: the next free slot's hint per counter.
	colQuotaSlots    = "quota_slots"
	colQuotaCounters = "quota_counters"
	// colQuotaCharges: one record per charged unit (_id = the job that
	// spent it), so a refund happens once.
	colQuotaCharges = "quota_charges"
	// colBillingEvents: verified Stripe events (_id = event ID).
	colBillingEvents = "billing_events"
	// colBillingCustomers: Stripe customer -> user (_id = customer ID).
	colBillingCustomers = "billing_customers"
)

type subscriptionRecord struct {
	ID                string     `bson:"_id"`
	CustomerID        string     `bson:"customer_id,omitempty"`
	SubscriptionID    string     `bson:"subscription_id,omitempty"`
	Status            string     `bson:"status,omitempty"`
	PeriodStart       time.Time  `bson:"period_start"`
	PeriodEnd         time.Time  `bson:"period_end"`
	CancelAtPeriodEnd bool       `bson:"cancel_at_period_end"`
	PastDueSince      *time.Time `bson:"past_due_since,omitempty"`
	EventAt           time.Time  `bson:"event_at"`
	ManualPlan        string     `bson:"manual_plan,omitempty"`
	ManualUntil       *time.Time `bson:"manual_until,omitempty"`
	Version           int        `bson:"version"`
	UpdatedAt         time.Time  `bson:"updated_at"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (r subscriptionRecord) domain() *quizflow.Subscription {
	return &quizflow.Subscription{
		UserID: r.ID, CustomerID: r.CustomerID, SubscriptionID: r.SubscriptionID, Status: r.Status,
		PeriodStart: r.PeriodStart.UTC(), PeriodEnd: r.PeriodEnd.UTC(), CancelAtPeriodEnd: r.CancelAtPeriodEnd,
		PastDueSince: utcPtr(r.PastDueSince), EventAt: r.EventAt.UTC(), ManualPlan: r.ManualPlan,
		ManualUntil: utcPtr(r.ManualUntil), Version: r.Version,
	}
}

// Subscription returns the billing state of user id, or ENOTFOUND.
func (s *Store) Subscription(ctx context.Context, userID string) (*quizflow.Subscription, error) {
	var r subscriptionRecord
	if err := s.db.Collection(colSubscriptions).FindOne(ctx, bson.M{"_id": userID}).Decode(&r); err != nil {
		return nil, notFound(err, "subscription")
	}
	return r.domain(), nil
}

// SaveSubscription writes sub if its stored version is still sub.Version
// (0: not stored yet) and bumps the version; ECONFLICT if another write
// came first.
func (s *Store) SaveSubscription(ctx context.Context, sub *quizflow.Subscription) error {
	r := subscriptionRecord{
		ID: sub.UserID, CustomerID: sub.CustomerID, SubscriptionID: sub.SubscriptionID, Status: sub.Status,
		PeriodStart: sub.PeriodStart, PeriodEnd: sub.PeriodEnd, CancelAtPeriodEnd: sub.CancelAtPeriodEnd,
		PastDueSince: sub.PastDueSince, EventAt: sub.EventAt, ManualPlan: sub.ManualPlan,
		ManualUntil: sub.ManualUntil, Version: sub.Version + 1, UpdatedAt: s.now(),
	}
	col := s.db.Collection(colSubscriptions)
	conflict := quizflow.Errorf(quizflow.ECONFLICT, "the subscription changed meanwhile")
	// The right to write version v+1 is claimed by inserting its unique
	// _id, the one write FerretDB makes atomic; a conditional replace
	// alone could lose to a racing one there.
	claim := fmt.Sprintf("%s#%d", sub.UserID, r.Version)
	if _, err := s.db.Collection(colSubscriptionVersions).InsertOne(ctx, bson.M{"_id": claim, "at": r.UpdatedAt}); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return conflict
		}
		return fmt.Errorf("claim subscription version: %w", err)
	}
	if sub.Version == 0 {
		if _, err := col.InsertOne(ctx, r); err != nil {
			if mongo.IsDuplicateKeyError(err) {
				return conflict
			}
			return fmt.Errorf("insert subscription: %w", err)
		}
	} else {
		res, err := col.ReplaceOne(ctx, bson.M{"_id": r.ID, "version": sub.Version}, r)
		if err != nil {
			return fmt.Errorf("save subscription: %w", err)
		}
		if res.MatchedCount == 0 {
			return conflict
		}
	}
	sub.Version++
	return nil
}

// Quotas are counted in slots: unit n of counter key is the record
// "key#n" of quota_slots, and a unit is charged by inserting a free slot.
// An insert under a unique _id is the one write FerretDB makes atomic
// (it rewrites whole documents per update, so a conditional $inc racing
// another loses counts: measured, 4 of 20 racing charges won 3 free
// units). quota_counters keeps only a hint of the next free slot.

// ChargeQuota counts one unit against counter key if fewer than limit are
// used, and records the charge under chargeID for RefundQuota. The check
// and the count are one atomic step however many requests race. It
// reports false when the allowance is spent; charging chargeID again
// counts nothing more.
func (s *Store) ChargeQuota(ctx context.Context, chargeID, key string, limit int) (bool, error) {
	if limit <= 0 {
		return false, nil
	}
	if n, err := s.db.Collection(colQuotaCharges).CountDocuments(ctx, bson.M{"_id": chargeID}); err != nil {
		return false, fmt.Errorf("charge quota: %w", err)
	} else if n > 0 {
		return true, nil // charged already
	}
	hint := 0
	var h struct {
		Next int `bson:"next"`
	}
	if err := s.db.Collection(colQuotaCounters).FindOne(ctx, bson.M{"_id": key}).Decode(&h); err == nil {
		hint = h.Next
	}
	if hint < 1 || hint > limit {
		hint = 1
	}
	slots := s.db.Collection(colQuotaSlots)
	now := s.now()
	// From the hint up to the limit, then the holes refunds left below it.
	for i := range limit {
		n := (hint-1+i)%limit + 1
		slot := fmt.Sprintf("%s#%d", key, n)
		_, err := slots.InsertOne(ctx, bson.M{"_id": slot, "counter": key, "charge": chargeID, "created_at": now})
		if mongo.IsDuplicateKeyError(err) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("charge quota: %w", err)
		}
		_, _ = s.db.Collection(colQuotaCounters).UpdateOne(ctx, bson.M{"_id": key},
			bson.M{"$set": bson.M{"next": n + 1, "updated_at": now}}, options.UpdateOne().SetUpsert(true))
		_, err = s.db.Collection(colQuotaCharges).InsertOne(ctx, bson.M{"_id": chargeID, "slot": slot, "created_at": now})
		if err == nil {
			return true, nil
		}
		// Already charged (a retried request), or the charge cannot be
		// recorded: free the slot just taken.
		if _, derr := slots.DeleteOne(ctx, bson.M{"_id": slot}); derr != nil {
			return false, fmt.Errorf("free quota slot: %w", derr)
		}
		if mongo.IsDuplicateKeyError(err) {
			return true, nil
		}
		return false, fmt.Errorf("record quota charge: %w", err)
	}
	return false, nil
}

// RefundQuota gives back the unit charged under chargeID, once: it
// reports whether there was one to give back.
func (s *Store) RefundQuota(ctx context.Context, chargeID string) (bool, error) {
	var c struct {
		Slot string `bson:"slot"`
	}
	charges := s.db.Collection(colQuotaCharges)
	err := charges.FindOne(ctx, bson.M{"_id": chargeID}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("refund quota: %w", err)
	}
	// Whoever deletes the charge frees its slot: one refund however many
	// race.
	res, err := charges.DeleteOne(ctx, bson.M{"_id": chargeID})
	if err != nil {
		return false, fmt.Errorf("refund quota: %w", err)
	}
	if res.DeletedCount == 0 {
		return false, nil
	}
	if _, err := s.db.Collection(colQuotaSlots).DeleteOne(ctx, bson.M{"_id": c.Slot}); err != nil {
		return false, fmt.Errorf("free quota slot: %w", err)
	}
	return true, nil
}

// QuotaUsed returns the units counted against key (0 for none).
func (s *Store) QuotaUsed(ctx context.Context, key string) (int, error) {
	n, err := s.db.Collection(colQuotaSlots).CountDocuments(ctx, bson.M{"counter": key})
	if err != nil {
		return 0, fmt.Errorf("read quota: %w", err)
	}
	return int(n), nil
}

type billingEventRecord struct {
	ID         string     `bson:"_id"`
	Type       string     `bson:"type"`
	Payload    string     `bson:"payload"`
	Created    time.Time  `bson:"created"`
	ReceivedAt time.Time  `bson:"received_at"`
	Outcome    string     `bson:"outcome,omitempty"`
	AppliedAt  *time.Time `bson:"applied_at,omitempty"`
}

// SaveBillingEvent stores a verified event under its ID; it reports false
// for an ID already stored (a replay), which it leaves as it was.
func (s *Store) SaveBillingEvent(ctx context.Context, e *quizflow.BillingEvent) (bool, error) {
	_, err := s.db.Collection(colBillingEvents).InsertOne(ctx, billingEventRecord{
		ID: e.ID, Type: e.Type, Payload: string(e.Payload), Created: e.Created, ReceivedAt: s.now(),
	})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store billing event: %w", err)
	}
	return true, nil
}

// BillingEvent returns stored event id, or ENOTFOUND.
func (s *Store) BillingEvent(ctx context.Context, id string) (*quizflow.BillingEvent, error) {
	var r billingEventRecord
	if err := s.db.Collection(colBillingEvents).FindOne(ctx, bson.M{"_id": id}).Decode(&r); err != nil {
		return nil, notFound(err, "billing event")
	}
	return &quizflow.BillingEvent{ID: r.ID, Type: r.Type, Payload: []byte(r.Payload), Created: r.Created.UTC(), Outcome: r.Outcome}, nil
}

// FinishBillingEvent records what applying event id came to.
func (s *Store) FinishBillingEvent(ctx context.Context, id, outcome string) error {
	now := s.now()
	_, err := s.db.Collection(colBillingEvents).UpdateOne(ctx, bson.M{"_id": id},
		bson.M{"$set": bson.M{"outcome": outcome, "applied_at": now}})
	if err != nil {
		return fmt.Errorf("finish billing event: %w", err)
	}
	return nil
}

// SetCustomerUser records that Stripe customer customerID is user userID.
func (s *Store) SetCustomerUser(ctx context.Context, customerID, userID string) error {
	_, err := s.db.Collection(colBillingCustomers).UpdateOne(ctx, bson.M{"_id": customerID},
		bson.M{"$set": bson.M{"user_id": userID}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("record customer: %w", err)
	}
	return nil
}

// CustomerUser returns the user of Stripe customer customerID, or ENOTFOUND.
func (s *Store) CustomerUser(ctx context.Context, customerID string) (string, error) {
	var r struct {
		UserID string `bson:"user_id"`
	}
	if err := s.db.Collection(colBillingCustomers).FindOne(ctx, bson.M{"_id": customerID}).Decode(&r); err != nil {
		return "", notFound(err, "customer")
	}
	return r.UserID, nil
}

// SetUserPlan records the plan user id is on, as the account shows it;
// ENOTFOUND if the user is gone.
func (s *Store) SetUserPlan(ctx context.Context, id, plan string) error {
	return s.updateUser(ctx, bson.M{"_id": id}, bson.M{"plan": plan})
}

// DeleteBillingRecordsBefore removes the records of quota periods, billing
// events and subscription version claims made before before, and returns
// how many. Quota periods last a month (a year at most for a yearly Pro
// plan), Stripe retries an event for three days, and a version claim only
// has to outlive the events that race for it; the subscription itself and
// the customer link are kept.
func (s *Store) DeleteBillingRecordsBefore(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	for _, d := range []struct {
		col, field string
	}{
		{colQuotaSlots, "created_at"}, {colQuotaCharges, "created_at"}, {colQuotaCounters, "updated_at"},
		{colBillingEvents, "received_at"}, {colSubscriptionVersions, "at"},
	} {
		res, err := s.db.Collection(d.col).DeleteMany(ctx, bson.M{d.field: bson.M{"$lt": before}})
		if err != nil {
			return n, fmt.Errorf("delete old %s: %w", d.col, err)
		}
		n += res.DeletedCount
	}
	return n, nil
}
