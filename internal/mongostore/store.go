// Package mongostore keeps QuizFlow's records in MongoDB (or any server
// speaking its wire protocol, such as the embedded FerretDB) through the
// official v2 driver.
//
// Only single-document atomic updates are used: no transactions, TTL
// indexes or change streams, so MongoDB, Atlas, DocumentDB and FerretDB all
// behave the same. Hot paths look records up by _id, the one filter
// FerretDB's SQLite backend pushes down.
package mongostore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Collection names.
const (
	colUsers         = "users"
	colRefreshTokens = "refresh_tokens"
	colTokenFamilies = "token_families"
	colDocuments     = "documents"
	colJobs          = "jobs"
	colQuizzes       = "quizzes"
	colExports       = "exports"
	colAPIKeys       = "api_keys"
	colCalls         = "llm_calls"
	colQuizCacheKeys = "quiz_cache_keys"
	colEmailKeys     = "email_keys"
	colMigrations    = "migrations"
	colCallIndex     = "llm_call_index"
)

// Store is the MongoDB-backed record store.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	// now is the clock, replaceable in tests.
	now func() time.Time
	// idOnly is set on FerretDB, whose SQLite backend pushes a filter down
	// only when it is exactly {_id: value}: a conditional update by _id
	// ({_id, status}) scans the collection there, so those are done as a
	// read by _id and an update by _id (FerretDB's own conditional update
	// is a read and a rewrite too, not atomic).
	idOnly bool
}

// Open connects to uri, selects database db and ensures indexes.
func Open(ctx context.Context, uri, db string) (*Store, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(10 * time.Second).
		SetConnectTimeout(10 * time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to mongodb: %w", err)
	}
	s := &Store{client: client, db: client.Database(db), now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
	if err := s.Ping(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	var info bson.M
	if err := s.db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err == nil {
		_, s.idOnly = info["ferretdbVersion"]
	}
	if err := s.ensureIndexes(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	if err := s.backfillEmailKeys(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	return s, nil
}

// Close disconnects from the server.
func (s *Store) Close(ctx context.Context) error { return s.client.Disconnect(ctx) }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return fmt.Errorf("ping mongodb: %w", err)
	}
	return nil
}

// Database returns the underlying database, for backups and tests.
func (s *Store) Database() *mongo.Database { return s.db }

func (s *Store) ensureIndexes(ctx context.Context) error {
	idx := []struct {
		col    string
		keys   bson.D
		unique bool
	}{
		{colUsers, bson.D{{Key: "email_key", Value: 1}}, true},
		{colDocuments, bson.D{{Key: "owner_id", Value: 1}, {Key: "created_at", Value: -1}}, false},
		{colJobs, bson.D{{Key: "owner_id", Value: 1}, {Key: "created_at", Value: -1}}, false},
		{colJobs, bson.D{{Key: "status", Value: 1}, {Key: "updated_at", Value: 1}}, false},
		{colJobs, bson.D{{Key: "owner_id", Value: 1}, {Key: "document_id", Value: 1}}, false},
		{colQuizzes, bson.D{{Key: "owner_id", Value: 1}, {Key: "document_id", Value: 1}}, false},
		{colExports, bson.D{{Key: "owner_id", Value: 1}, {Key: "created_at", Value: -1}}, false},
		{colQuizzes, bson.D{{Key: "owner_id", Value: 1}, {Key: "created_at", Value: -1}}, false},
		{colQuizzes, bson.D{{Key: "cache_key", Value: 1}}, false},
		{colExports, bson.D{{Key: "cache_key", Value: 1}}, false},
		{colRefreshTokens, bson.D{{Key: "family_id", Value: 1}}, false},
		{colTokenFamilies, bson.D{{Key: "user_id", Value: 1}}, false},
		{colAPIKeys, bson.D{{Key: "owner_id", Value: 1}, {Key: "created_at", Value: -1}}, false},
		{colAttempts, bson.D{{Key: "owner_id", Value: 1}, {Key: "quiz_id", Value: 1}, {Key: "created_at", Value: -1}}, false},
	}
	for _, ix := range idx {
		m := mongo.IndexModel{Keys: ix.keys}
		if ix.unique {
			m.Options = options.Index().SetUnique(true)
		}
		if _, err := s.db.Collection(ix.col).Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("create index on %s: %w", ix.col, err)
		}
	}
	return nil
}

// notFound turns mongo.ErrNoDocuments into an ENOTFOUND error about what.
func notFound(err error, what string) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return quizflow.Errorf(quizflow.ENOTFOUND, "%s not found", what)
	}
	return fmt.Errorf("find %s: %w", what, err)
}

// findOwned decodes the record with _id id into v (a record type of
// records.go) and checks that it belongs to owner; another owner's record
// is reported as not found, never forbidden, so ids cannot be probed.
func (s *Store) findOwned(ctx context.Context, col, id, owner, what string, v any) error {
	raw, err := s.db.Collection(col).FindOne(ctx, bson.M{"_id": id}).Raw()
	if err != nil {
		return notFound(err, what)
	}
	if owner != "" {
		if o, ok := raw.Lookup("owner_id").StringValueOK(); !ok || o != owner {
			return quizflow.Errorf(quizflow.ENOTFOUND, "%s not found", what)
		}
	}
	if err := bson.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// listOwned returns all of the owner's records in col matching extra,
// newest first, each decoded as an R and converted by domain.
func listOwned[R, T any](ctx context.Context, s *Store, col, owner string, extra bson.M, domain func(R) T) ([]T, error) {
	out, _, err := pageOwned(ctx, s, col, owner, quizflow.PageRequest{}, extra, domain)
	return out, err
}

// pageOwned returns one page of the owner's records in col matching extra,
// newest first (by created_at, then _id), and the cursor of the next page
// ("" after the last). A zero p.Limit means no limit. Each record is decoded
// as an R and converted by domain.
func pageOwned[R, T any](ctx context.Context, s *Store, col, owner string, p quizflow.PageRequest, extra bson.M, domain func(R) T) ([]T, string, error) {
	filter := bson.M{"owner_id": owner}
	for k, v := range extra {
		filter[k] = v
	}
	if p.Cursor != "" {
		at, id, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, "", err
		}
		filter["$or"] = bson.A{
			bson.M{"created_at": bson.M{"$lt": at}},
			bson.M{"created_at": at, "_id": bson.M{"$lt": id}},
		}
	}
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}})
	if p.Limit > 0 {
		opts.SetLimit(int64(p.Limit) + 1) // one more tells whether a next page exists
	}
	cur, err := s.db.Collection(col).Find(ctx, filter, opts)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", col, err)
	}
	var raws []bson.Raw
	if err := cur.All(ctx, &raws); err != nil {
		return nil, "", fmt.Errorf("read %s: %w", col, err)
	}
	next := ""
	if p.Limit > 0 && len(raws) > p.Limit {
		raws = raws[:p.Limit]
		last := raws[len(raws)-1]
		at, okAt := last.Lookup("created_at").TimeOK()
		id, okID := last.Lookup("_id").StringValueOK()
		if !okAt || !okID {
			return nil, "", fmt.Errorf("list %s: record without created_at or _id", col)
		}
		next = encodeCursor(at, id)
	}
	out := make([]T, len(raws))
	for i, raw := range raws {
		var r R
		if err := bson.Unmarshal(raw, &r); err != nil {
			return nil, "", fmt.Errorf("decode %s: %w", col, err)
		}
		out[i] = domain(r)
	}
	return out, next, nil
}

// encodeCursor makes the opaque cursor after the record (at, id).
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMilli(), 10) + "|" + id))
}

func decodeCursor(c string) (time.Time, string, error) {
	bad := quizflow.Invalid("cursor", "The cursor is not one this API returned; start again without it.")
	if len(c) > 200 {
		return time.Time{}, "", bad
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", bad
	}
	ms, id, ok := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", bad
	}
	return time.UnixMilli(n).UTC(), id, nil
}
