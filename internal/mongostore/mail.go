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

// Collections of the mail records.
const (
	colMailTokens = "mail_tokens"
	colEmails     = "emails"
)

// mailTokenRecord is a single-use token mailed to a user (verify an
// address, reset a password), keyed by the SHA-256 of the secret: the
// secret itself is never stored.
type mailTokenRecord struct {
	Hash      string     `bson:"_id"`
	Purpose   string     `bson:"purpose"`
	UserID    string     `bson:"user_id"`
	EmailKey  string     `bson:"email_key"`
	ExpiresAt time.Time  `bson:"expires_at"`
	UsedAt    *time.Time `bson:"used_at"`
	CreatedAt time.Time  `bson:"created_at"`
}

// SaveMailToken records a token by the hash of its secret.
func (s *Store) SaveMailToken(ctx context.Context, t quizflow.MailToken) error {
	r := mailTokenRecord{Hash: t.Hash, Purpose: t.Purpose, UserID: t.UserID, EmailKey: t.EmailKey, ExpiresAt: t.ExpiresAt, CreatedAt: s.now()}
	if _, err := s.db.Collection(colMailTokens).InsertOne(ctx, r); err != nil {
		return fmt.Errorf("save mail token: %w", err)
	}
	return nil
}

// ConsumeMailToken marks the unused, unexpired token with hash for purpose
// used and returns it, atomically, so a token works once. It returns
// EUNAUTHORIZED for an unknown, used, expired or other-purpose token.
func (s *Store) ConsumeMailToken(ctx context.Context, hash, purpose string) (*quizflow.MailToken, error) {
	now := s.now()
	var r mailTokenRecord
	err := s.db.Collection(colMailTokens).FindOneAndUpdate(ctx,
		bson.M{"_id": hash, "purpose": purpose, "used_at": nil, "expires_at": bson.M{"$gt": now}},
		bson.M{"$set": bson.M{"used_at": now}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, quizflow.Errorf(quizflow.EUNAUTHORIZED, "This link is invalid, used or expired; ask for a new one.")
	}
	if err != nil {
		return nil, fmt.Errorf("consume mail token: %w", err)
	}
	return &quizflow.MailToken{Hash: r.Hash, Purpose: r.Purpose, UserID: r.UserID, EmailKey: r.EmailKey, ExpiresAt: r.ExpiresAt}, nil
}

// SpendMailTokens marks every unused token of purpose of the user used,
// so after a password reset no other reset link works.
func (s *Store) SpendMailTokens(ctx context.Context, userID, purpose string) error {
	_, err := s.db.Collection(colMailTokens).UpdateMany(ctx,
		bson.M{"user_id": userID, "purpose": purpose, "used_at": nil},
		bson.M{"$set": bson.M{"used_at": s.now()}})
	if err != nil {
		return fmt.Errorf("spend mail tokens: %w", err)
	}
	return nil
}

// DeleteExpiredMailTokens removes tokens that expired before now.
func (s *Store) DeleteExpiredMailTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.Collection(colMailTokens).DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lt": now}})
	if err != nil {
		return 0, fmt.Errorf("delete expired mail tokens: %w", err)
	}
	return res.DeletedCount, nil
}

// NextMailSeq counts one more message of cause for user id and returns
// the count (1 for the first), for message IDs such as verify:<user>:<n>.
func (s *Store) NextMailSeq(ctx context.Context, id, cause string) (int, error) {
	var r struct {
		MailSeq map[string]int `bson:"mail_seq"`
	}
	err := s.db.Collection(colUsers).FindOneAndUpdate(ctx, bson.M{"_id": id},
		bson.M{"$inc": bson.M{"mail_seq." + cause: 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&r)
	if err != nil {
		return 0, notFound(err, "user")
	}
	return r.MailSeq[cause], nil
}

// SetEmailVerified marks user id's address verified if it is still the
// address with canonical key (the one the link was sent to); false if the
// address changed since.
func (s *Store) SetEmailVerified(ctx context.Context, id, key string) (bool, error) {
	res, err := s.db.Collection(colUsers).UpdateOne(ctx, bson.M{"_id": id, "email_key": key},
		bson.M{"$set": bson.M{"email_verified": true, "updated_at": s.now()}})
	if err != nil {
		return false, fmt.Errorf("verify email: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// SetEmail changes user id's address to email (canonical key), unverified
// and with no bounce recorded. It returns ECONFLICT if another account
// has the address, ENOTFOUND if the user is gone.
//
// The new address's key record is claimed first and the old one released
// last, so a crash in between leaves only key records that readers see as
// stale.
func (s *Store) SetEmail(ctx context.Context, id, email, key string) error {
	old, err := s.UserByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.claimEmailKey(ctx, key, id); err != nil {
		return err
	}
	err = s.updateUser(ctx, bson.M{"_id": id}, bson.M{"email": email, "email_key": key, "email_verified": false, "email_status": quizflow.EmailOK})
	if mongo.IsDuplicateKeyError(err) {
		if rerr := s.repairEmailKey(ctx, key, id); rerr != nil {
			return rerr
		}
		return errEmailTaken
	}
	if err != nil {
		return err
	}
	if old.EmailKey != "" && old.EmailKey != key {
		return s.releaseEmailKey(ctx, old.EmailKey, id)
	}
	return nil
}

// SetName changes user id's display name; ENOTFOUND if the user is gone.
func (s *Store) SetName(ctx context.Context, id, name string) error {
	return s.updateUser(ctx, bson.M{"_id": id}, bson.M{"name": name})
}

// SetEmailStatus records status (quizflow.EmailBouncing) on user id if its
// address is still the one with canonical key.
func (s *Store) SetEmailStatus(ctx context.Context, id, key, status string) error {
	_, err := s.db.Collection(colUsers).UpdateOne(ctx, bson.M{"_id": id, "email_key": key},
		bson.M{"$set": bson.M{"email_status": status, "updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("set email status: %w", err)
	}
	return nil
}

// SetNotificationsOff replaces the notification kinds user id turned off.
func (s *Store) SetNotificationsOff(ctx context.Context, id string, off []string) error {
	if off == nil {
		off = []string{}
	}
	return s.updateUser(ctx, bson.M{"_id": id}, bson.M{"notifications_off": off})
}

// emailRecord is one message QuizFlow decided to send, keyed by its cause
// (the message ID), so it is sent at most once whatever the queue does.
type emailRecord struct {
	ID            string     `bson:"_id"`
	Kind          string     `bson:"kind"`
	UserID        string     `bson:"user_id"`
	To            string     `bson:"to,omitempty"`
	Status        string     `bson:"status"`
	LeaseUntil    time.Time  `bson:"lease_until"`
	SMTPMessageID string     `bson:"smtp_message_id,omitempty"`
	Reason        string     `bson:"reason,omitempty"`
	Attempts      int        `bson:"attempts"`
	SentAt        *time.Time `bson:"sent_at,omitempty"`
	CreatedAt     time.Time  `bson:"created_at"`
	UpdatedAt     time.Time  `bson:"updated_at"`
}

// ClaimEmail takes message id for sending for lease. It returns the
// message's record and true if the caller may send it now: it is new, or
// an earlier claim's lease ran out without an outcome (a crashed worker).
// A message already finished (sent, failed, suppressed) or claimed by a
// live lease returns false.
func (s *Store) ClaimEmail(ctx context.Context, id, kind, userID string, lease time.Duration) (*quizflow.EmailRecord, bool, error) {
	now := s.now()
	col := s.db.Collection(colEmails)
	rec := emailRecord{ID: id, Kind: kind, UserID: userID, Status: quizflow.EmailSending, LeaseUntil: now.Add(lease), Attempts: 1, CreatedAt: now, UpdatedAt: now}
	_, err := col.InsertOne(ctx, rec)
	if err == nil {
		return rec.domain(), true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return nil, false, fmt.Errorf("claim email %s: %w", id, err)
	}
	var r emailRecord
	err = col.FindOneAndUpdate(ctx,
		bson.M{"_id": id, "status": quizflow.EmailSending, "lease_until": bson.M{"$lte": now}},
		bson.M{"$set": bson.M{"lease_until": now.Add(lease), "updated_at": now}, "$inc": bson.M{"attempts": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&r)
	if err == nil {
		return r.domain(), true, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, false, fmt.Errorf("reclaim email %s: %w", id, err)
	}
	if err := col.FindOne(ctx, bson.M{"_id": id}).Decode(&r); err != nil {
		return nil, false, notFound(err, "email")
	}
	return r.domain(), false, nil
}

// ReleaseEmail ends the claim on message id without an outcome, so a
// retry may claim it at once.
func (s *Store) ReleaseEmail(ctx context.Context, id, reason string) error {
	_, err := s.db.Collection(colEmails).UpdateOne(ctx, bson.M{"_id": id, "status": quizflow.EmailSending},
		bson.M{"$set": bson.M{"lease_until": time.Time{}, "reason": reason, "updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("release email %s: %w", id, err)
	}
	return nil
}

// FinishEmail records the outcome of message id: status EmailSent (with
// the recipient and SMTP Message-ID), EmailFailed or EmailSuppressed (with
// the reason).
func (s *Store) FinishEmail(ctx context.Context, id, status, to, smtpID, reason string) error {
	now := s.now()
	set := bson.M{"status": status, "to": to, "smtp_message_id": smtpID, "reason": reason, "updated_at": now}
	if status == quizflow.EmailSent {
		set["sent_at"] = now
	}
	_, err := s.db.Collection(colEmails).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("finish email %s: %w", id, err)
	}
	return nil
}

// Email returns the record of message id, or ENOTFOUND.
func (s *Store) Email(ctx context.Context, id string) (*quizflow.EmailRecord, error) {
	var r emailRecord
	if err := s.db.Collection(colEmails).FindOne(ctx, bson.M{"_id": id}).Decode(&r); err != nil {
		return nil, notFound(err, "email")
	}
	return r.domain(), nil
}

func (r emailRecord) domain() *quizflow.EmailRecord {
	return &quizflow.EmailRecord{ID: r.ID, Kind: r.Kind, UserID: r.UserID, To: r.To, Status: r.Status,
		SMTPMessageID: r.SMTPMessageID, Reason: r.Reason, Attempts: r.Attempts, SentAt: r.SentAt}
}

// DeleteEmailsBefore removes message records created before before and
// returns how many. A record only has to outlive the task that sends its
// message (kept a day after it ends) to keep a redelivery from sending
// twice.
func (s *Store) DeleteEmailsBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.Collection(colEmails).DeleteMany(ctx, bson.M{"created_at": bson.M{"$lt": before}})
	if err != nil {
		return 0, fmt.Errorf("delete old email records: %w", err)
	}
	return res.DeletedCount, nil
}
