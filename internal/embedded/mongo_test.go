package embedded_test

import (
	"os"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/quizflow/quizflow/internal/embedded"
)

func startMongo(t *testing.T, opt embedded.MongoOptions) *embedded.Mongo {
	t.Helper()
	m, err := embedded.StartMongo(testContext(t), opt)
	if err != nil {
		t.Fatalf("StartMongo: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

func mongoClient(t *testing.T, m *embedded.Mongo) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(m.URI))
	if err != nil {
		t.Fatalf("connect %s: %v", m.URI, err)
	}
	t.Cleanup(func() { _ = c.Disconnect(testContext(t)) })
	return c
}

type item struct {
	ID   string `bson:"_id"`
	Name string `bson:"name"`
}

func TestMongo(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	m := startMongo(t, embedded.MongoOptions{})
	if !strings.HasPrefix(m.URI, "mongodb://127.0.0.1:") {
		t.Fatalf("URI = %q", m.URI)
	}
	client := mongoClient(t, m)
	coll := client.Database("quizflow").Collection("items")

	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "name", Value: 1}},
		Options: options.Index().SetUnique(true),
	}); err != nil {
		t.Fatalf("create unique index: %v", err)
	}
	if _, err := coll.InsertOne(ctx, item{ID: "1", Name: "alpha"}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var got item
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "1"}}).Decode(&got); err != nil || got.Name != "alpha" {
		t.Fatalf("find = %+v, %v", got, err)
	}
	_, err := coll.InsertOne(ctx, item{ID: "2", Name: "alpha"})
	if !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("insert duplicate name: err = %v; want a duplicate key error", err)
	}

	// Close waits for open connections (up to a few seconds): disconnect first.
	if err := client.Disconnect(ctx); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	dir := m.Dir
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("temporary dir %s left after Close", dir)
	}
}

func TestMongoPersistenceAndSideBySide(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	dirA, dirB := t.TempDir(), t.TempDir()

	a := startMongo(t, embedded.MongoOptions{Dir: dirA})
	b := startMongo(t, embedded.MongoOptions{Dir: dirB})
	if a.URI == b.URI {
		t.Fatalf("both on %s", a.URI)
	}
	ca := mongoClient(t, a)
	if _, err := ca.Database("db").Collection("c").InsertOne(ctx, item{ID: "kept", Name: "a"}); err != nil {
		t.Fatalf("insert into a: %v", err)
	}
	if n, err := mongoClient(t, b).Database("db").Collection("c").CountDocuments(ctx, bson.D{}); err != nil || n != 0 {
		t.Fatalf("count in b = %d, %v; want 0", n, err)
	}
	if err := ca.Disconnect(ctx); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close a: %v", err)
	}

	again := startMongo(t, embedded.MongoOptions{Dir: dirA})
	var got item
	if err := mongoClient(t, again).Database("db").Collection("c").FindOne(ctx, bson.D{{Key: "_id", Value: "kept"}}).Decode(&got); err != nil || got.Name != "a" {
		t.Fatalf("find after restart = %+v, %v", got, err)
	}
}
