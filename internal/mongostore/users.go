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

// CreateUser inserts u, filling ID and timestamps. u.EmailKey, the
// canonical address (internal/emailaddr), is the unique key: ECONFLICT if
// it is taken.
func (s *Store) CreateUser(ctx context.Context, u *quizflow.User) error {
	if u.ID == "" {
		u.ID = quizflow.NewID("usr")
	}
	if u.EmailKey == "" {
		return errors.New("insert user: no email key")
	}
	u.CreatedAt, u.UpdatedAt = s.now(), s.now()
	if u.Plan == "" {
		u.Plan = quizflow.PlanFree
	}
	if err := s.claimEmailKey(ctx, u.EmailKey, u.ID); err != nil {
		return err
	}
	if _, err := s.db.Collection(colUsers).InsertOne(ctx, newUserRecord(u)); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			// The unique index on email_key had the last word: another
			// account has the address (it won a race for a key record that
			// looked stale). Point the key back at it.
			if rerr := s.repairEmailKey(ctx, u.EmailKey, u.ID); rerr != nil {
				return rerr
			}
			return errEmailTaken
		}
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

var errEmailTaken = quizflow.Errorf(quizflow.ECONFLICT, "An account with this email already exists.")

// claimEmailKey points the email key record of key at user id, before the
// user record gets the address. It returns ECONFLICT if the key belongs to
// another user who still has that address; a key left by a crash or an
// address change (its user gone, or holding another address) is taken over.
func (s *Store) claimEmailKey(ctx context.Context, key, id string) error {
	col := s.db.Collection(colEmailKeys)
	for range 5 {
		_, err := col.InsertOne(ctx, emailKeyRecord{ID: key, UserID: id})
		if err == nil {
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("insert email key: %w", err)
		}
		var k emailKeyRecord
		if err := col.FindOne(ctx, bson.M{"_id": key}).Decode(&k); err != nil {
			if errors.Is(err, mongo.ErrNoDocuments) {
				continue // deleted meanwhile: insert again
			}
			return fmt.Errorf("read email key: %w", err)
		}
		if k.UserID == id {
			return nil
		}
		holder, err := s.UserByID(ctx, k.UserID)
		if err == nil && holder.EmailKey == key {
			return errEmailTaken
		}
		if err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
			return err
		}
		res, err := col.ReplaceOne(ctx, bson.M{"_id": key, "user_id": k.UserID}, emailKeyRecord{ID: key, UserID: id})
		if err != nil {
			return fmt.Errorf("take over email key: %w", err)
		}
		if res.MatchedCount == 1 {
			return nil
		}
	}
	return quizflow.Errorf(quizflow.ECONFLICT, "The address is being changed by another request; try again.")
}

// repairEmailKey points key back at the user who really has the address,
// if it still points at id (whose write of the address lost). A rare path:
// it reads users by email_key.
func (s *Store) repairEmailKey(ctx context.Context, key, id string) error {
	var r userRecord
	err := s.db.Collection(colUsers).FindOne(ctx, bson.M{"email_key": key}, options.FindOne().SetProjection(bson.M{"_id": 1})).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find user by email: %w", err)
	}
	_, err = s.db.Collection(colEmailKeys).ReplaceOne(ctx, bson.M{"_id": key, "user_id": id}, emailKeyRecord{ID: key, UserID: r.ID})
	if err != nil {
		return fmt.Errorf("repair email key: %w", err)
	}
	return nil
}

// releaseEmailKey removes key if it still points at user id, after the
// user's address changed away from it.
func (s *Store) releaseEmailKey(ctx context.Context, key, id string) error {
	if _, err := s.db.Collection(colEmailKeys).DeleteOne(ctx, bson.M{"_id": key, "user_id": id}); err != nil {
		return fmt.Errorf("delete email key: %w", err)
	}
	return nil
}

// backfillEmailKeys writes the email key records of users stored before
// they existed, once per database (marked in the migrations collection).
func (s *Store) backfillEmailKeys(ctx context.Context) error {
	const mark = "email_keys_v1"
	mig := s.db.Collection(colMigrations)
	if n, err := mig.CountDocuments(ctx, bson.M{"_id": mark}); err != nil {
		return fmt.Errorf("check migrations: %w", err)
	} else if n > 0 {
		return nil
	}
	cur, err := s.db.Collection(colUsers).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1, "email_key": 1}))
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	var recs []userRecord
	if err := cur.All(ctx, &recs); err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	for _, r := range recs {
		if r.EmailKey == "" {
			continue
		}
		if err := s.claimEmailKey(ctx, r.EmailKey, r.ID); err != nil && quizflow.ErrorCode(err) != quizflow.ECONFLICT {
			return err
		}
	}
	if err := upsertByID(ctx, mig, mark, bson.M{"_id": mark, "at": s.now()}); err != nil {
		return fmt.Errorf("mark migration: %w", err)
	}
	return nil
}

// UserByID returns the user with id, or ENOTFOUND.
func (s *Store) UserByID(ctx context.Context, id string) (*quizflow.User, error) {
	var r userRecord
	if err := s.findOwned(ctx, colUsers, id, "", "user", &r); err != nil {
		return nil, err
	}
	u := r.domain()
	return &u, nil
}

// UserByEmail returns the user whose canonical address is key, or
// ENOTFOUND.
//
// Two reads by _id: the email key record, then the user it names; a key
// whose user is gone or has another address now is absent.
func (s *Store) UserByEmail(ctx context.Context, key string) (*quizflow.User, error) {
	var k emailKeyRecord
	if err := s.db.Collection(colEmailKeys).FindOne(ctx, bson.M{"_id": key}).Decode(&k); err != nil {
		return nil, notFound(err, "user")
	}
	u, err := s.UserByID(ctx, k.UserID)
	if err != nil {
		return nil, err
	}
	if u.EmailKey != key {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "user not found")
	}
	return u, nil
}

// SetPasswordHash replaces the password hash of user id; ENOTFOUND if
// the user is gone.
func (s *Store) SetPasswordHash(ctx context.Context, id, hash string) error {
	return s.updateUser(ctx, bson.M{"_id": id}, bson.M{"password_hash": hash})
}

// SetOperator sets whether the user whose canonical address is key is an
// operator and returns the user; ENOTFOUND for an unknown address.
func (s *Store) SetOperator(ctx context.Context, key string, operator bool) (*quizflow.User, error) {
	u, err := s.UserByEmail(ctx, key)
	if err != nil {
		return nil, err
	}
	if err := s.updateUser(ctx, bson.M{"_id": u.ID, "email_key": key}, bson.M{"admin": operator}); err != nil {
		return nil, err
	}
	return s.UserByEmail(ctx, key)
}

// Operators returns every user with the operator flag, oldest first.
func (s *Store) Operators(ctx context.Context) ([]quizflow.User, error) {
	cur, err := s.db.Collection(colUsers).Find(ctx, bson.M{"admin": true}, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	var recs []userRecord
	if err := cur.All(ctx, &recs); err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	out := make([]quizflow.User, len(recs))
	for i := range recs {
		out[i] = recs[i].domain()
	}
	return out, nil
}

func (s *Store) updateUser(ctx context.Context, filter, set bson.M) error {
	set["updated_at"] = s.now()
	res, err := s.db.Collection(colUsers).UpdateOne(ctx, filter, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if res.MatchedCount == 0 {
		return quizflow.Errorf(quizflow.ENOTFOUND, "user not found")
	}
	return nil
}

type tokenFamily struct {
	ID        string     `bson:"_id"`
	UserID    string     `bson:"user_id"`
	RevokedAt *time.Time `bson:"revoked_at"`
	CreatedAt time.Time  `bson:"created_at"`
}

// SaveRefreshToken records a newly issued refresh token; the first token of
// a family also creates the family.
func (s *Store) SaveRefreshToken(ctx context.Context, t quizflow.RefreshToken) error {
	t.CreatedAt = s.now()
	_, err := s.db.Collection(colTokenFamilies).UpdateOne(ctx,
		bson.M{"_id": t.FamilyID},
		bson.M{"$setOnInsert": tokenFamily{ID: t.FamilyID, UserID: t.UserID, CreatedAt: t.CreatedAt}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("save token family: %w", err)
	}
	if _, err := s.db.Collection(colRefreshTokens).InsertOne(ctx, refreshTokenRecord(t)); err != nil {
		return fmt.Errorf("save refresh token: %w", err)
	}
	return nil
}

// ConsumeRefreshToken marks token id of family as used, atomically. It
// returns quizflow.ErrTokenReused if the token was used before (and revokes
// the family), or an EUNAUTHORIZED error if the token or family is unknown,
// revoked or expired.
func (s *Store) ConsumeRefreshToken(ctx context.Context, id, family string) (*quizflow.RefreshToken, error) {
	unauthorized := quizflow.Errorf(quizflow.EUNAUTHORIZED, "The refresh token is invalid or expired; log in again.")
	var fam tokenFamily
	if err := s.db.Collection(colTokenFamilies).FindOne(ctx, bson.M{"_id": family}).Decode(&fam); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, unauthorized
		}
		return nil, fmt.Errorf("load token family: %w", err)
	}
	if fam.RevokedAt != nil {
		return nil, unauthorized
	}
	now := s.now()
	var r refreshTokenRecord
	err := s.db.Collection(colRefreshTokens).FindOneAndUpdate(ctx,
		bson.M{"_id": id, "used_at": nil},
		bson.M{"$set": bson.M{"used_at": now}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		// Either unknown, or used before: if it exists, this is reuse.
		n, cerr := s.db.Collection(colRefreshTokens).CountDocuments(ctx, bson.M{"_id": id})
		if cerr != nil {
			return nil, fmt.Errorf("check refresh token: %w", cerr)
		}
		if n > 0 {
			if err := s.RevokeTokenFamily(ctx, family); err != nil {
				return nil, err
			}
			return nil, quizflow.ErrTokenReused
		}
		return nil, unauthorized
	}
	if err != nil {
		return nil, fmt.Errorf("consume refresh token: %w", err)
	}
	t := quizflow.RefreshToken(r)
	if t.FamilyID != family || now.After(t.ExpiresAt) {
		return nil, unauthorized
	}
	return &t, nil
}

// RevokeTokenFamily revokes every refresh token of family.
func (s *Store) RevokeTokenFamily(ctx context.Context, family string) error {
	_, err := s.db.Collection(colTokenFamilies).UpdateOne(ctx,
		bson.M{"_id": family, "revoked_at": nil},
		bson.M{"$set": bson.M{"revoked_at": s.now()}})
	if err != nil {
		return fmt.Errorf("revoke token family: %w", err)
	}
	return nil
}

// RevokeUserFamilies revokes every login of user userID but except ("" for
// none) and returns the families it revoked.
func (s *Store) RevokeUserFamilies(ctx context.Context, userID, except string) ([]string, error) {
	col := s.db.Collection(colTokenFamilies)
	cur, err := col.Find(ctx, bson.M{"user_id": userID, "revoked_at": nil})
	if err != nil {
		return nil, fmt.Errorf("find token families: %w", err)
	}
	var fams []tokenFamily
	if err := cur.All(ctx, &fams); err != nil {
		return nil, fmt.Errorf("read token families: %w", err)
	}
	var ids []string
	for _, f := range fams {
		if f.ID == except {
			continue
		}
		if err := s.RevokeTokenFamily(ctx, f.ID); err != nil {
			return ids, err
		}
		ids = append(ids, f.ID)
	}
	return ids, nil
}

// CreateAPIKey inserts k, filling its creation time.
func (s *Store) CreateAPIKey(ctx context.Context, k *quizflow.APIKey) error {
	k.CreatedAt = s.now()
	if _, err := s.db.Collection(colAPIKeys).InsertOne(ctx, newAPIKeyRecord(k)); err != nil {
		return fmt.Errorf("insert api key: %w", err)
	}
	return nil
}

// APIKey returns API key id if owner owns it (owner "" skips the check),
// or ENOTFOUND.
func (s *Store) APIKey(ctx context.Context, id, owner string) (*quizflow.APIKey, error) {
	var r apiKeyRecord
	if err := s.findOwned(ctx, colAPIKeys, id, owner, "API key", &r); err != nil {
		return nil, err
	}
	k := r.domain()
	return &k, nil
}

// APIKeys returns all of owner's API keys, newest first.
func (s *Store) APIKeys(ctx context.Context, owner string) ([]quizflow.APIKey, error) {
	return listOwned(ctx, s, colAPIKeys, owner, nil, apiKeyRecord.domain)
}

// DeleteAPIKey removes owner's API key id; ENOTFOUND if there is none.
func (s *Store) DeleteAPIKey(ctx context.Context, owner, id string) error {
	res, err := s.db.Collection(colAPIKeys).DeleteOne(ctx, bson.M{"_id": id, "owner_id": owner})
	if err != nil {
		return fmt.Errorf("delete api key: %w", err)
	}
	if res.DeletedCount == 0 {
		return quizflow.Errorf(quizflow.ENOTFOUND, "API key not found")
	}
	return nil
}

// TouchAPIKey records that API key id was used at at.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.Collection(colAPIKeys).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"last_used_at": at}})
	if err != nil {
		return fmt.Errorf("touch api key: %w", err)
	}
	return nil
}

// DeleteExpiredRefreshTokens removes refresh tokens that expired before
// now; it returns how many. (A late reuse of an expired token is refused
// anyway: the token itself has expired.)
func (s *Store) DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.Collection(colRefreshTokens).DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lt": now}})
	if err != nil {
		return 0, fmt.Errorf("delete expired refresh tokens: %w", err)
	}
	return res.DeletedCount, nil
}

// DeleteEmptyTokenFamilies removes up to limit logins (token families)
// created before before that have no refresh token left, all of theirs
// having expired and been deleted; it returns how many. A family gets its
// first token the moment it is created, so an old family without tokens
// can never be used again.
func (s *Store) DeleteEmptyTokenFamilies(ctx context.Context, before time.Time, limit int64) (int64, error) {
	cur, err := s.db.Collection(colTokenFamilies).Find(ctx, bson.M{"created_at": bson.M{"$lt": before}},
		options.Find().SetLimit(limit).SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return 0, fmt.Errorf("find old token families: %w", err)
	}
	var fams []tokenFamily
	if err := cur.All(ctx, &fams); err != nil {
		return 0, fmt.Errorf("read old token families: %w", err)
	}
	var n int64
	for _, f := range fams {
		live, err := s.db.Collection(colRefreshTokens).CountDocuments(ctx, bson.M{"family_id": f.ID}, options.Count().SetLimit(1))
		if err != nil {
			return n, fmt.Errorf("count refresh tokens: %w", err)
		}
		if live > 0 {
			continue
		}
		if _, err := s.db.Collection(colTokenFamilies).DeleteOne(ctx, bson.M{"_id": f.ID}); err != nil {
			return n, fmt.Errorf("delete token family: %w", err)
		}
		n++
	}
	return n, nil
}
