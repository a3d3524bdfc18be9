package testenv_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/quizflow/quizflow/internal/embedded"
	"github.com/quizflow/quizflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestEnvServicesAnswer checks that every service of an Env works through
// its real client.
func TestEnvServicesAnswer(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	rdb := testenv.RedisClient(t, env)
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("redis SET: %v", err)
	}
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("redis GET = %q, %v; want v", got, err)
	}
	if policy, err := rdb.ConfigGet(ctx, "maxmemory-policy").Result(); err != nil || policy["maxmemory-policy"] != "noeviction" {
		t.Fatalf("maxmemory-policy = %v, %v; want noeviction", policy, err)
	}

	coll := testenv.MongoClient(t, env).Database(env.MongoDB).Collection("docs")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}}); err != nil {
		t.Fatalf("mongo insert: %v", err)
	}
	var doc struct {
		N int `bson:"n"`
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&doc); err != nil || doc.N != 1 {
		t.Fatalf("mongo find = %+v, %v; want n=1", doc, err)
	}

	s3c := testenv.S3Client(t, env)
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(env.S3.Bucket), Key: aws.String("x.txt"), Body: strings.NewReader("hello"),
	}); err != nil {
		t.Fatalf("s3 put: %v", err)
	}
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(env.S3.Bucket), Key: aws.String("x.txt")})
	if err != nil {
		t.Fatalf("s3 get: %v", err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != "hello" {
		t.Fatalf("s3 get = %q; want hello", body)
	}

	msg := "From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nbody\r\n"
	if err := smtp.SendMail(env.SMTP.Addr, nil, "a@example.com", []string{"b@example.com"}, []byte(msg)); err != nil {
		t.Fatalf("smtp send: %v", err)
	}
	got, err := env.SMTP.WaitFor(ctx, func(m embedded.Message) bool { return bytes.Contains(m.Data, []byte("Subject: hi")) })
	if err != nil {
		t.Fatalf("smtp wait: %v", err)
	}
	if got.From != "a@example.com" || len(got.To) != 1 || got.To[0] != "b@example.com" {
		t.Fatalf("smtp envelope = %q -> %q", got.From, got.To)
	}
}

// TestEnvIsolation runs parallel subtests that write the same Redis key,
// collection document, S3 object and mail subject, and checks that each
// sees only its own.
func TestEnvIsolation(t *testing.T) {
	for _, name := range []string{"first", "second", "third"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()

			// Redis: a key that is absent in a fresh server.
			rdb := testenv.RedisClient(t, env)
			if err := rdb.Get(ctx, "shared-key").Err(); !errors.Is(err, redis.Nil) {
				t.Fatalf("fresh redis GET shared-key: err = %v; want redis.Nil", err)
			}
			if err := rdb.Set(ctx, "shared-key", name, 0).Err(); err != nil {
				t.Fatalf("redis SET: %v", err)
			}

			// MongoDB: same collection and _id in every subtest's database.
			coll := testenv.MongoClient(t, env).Database(env.MongoDB).Collection("items")
			if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n != 0 {
				t.Fatalf("fresh collection count = %d, %v; want 0", n, err)
			}
			if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "same"}, {Key: "owner", Value: name}}); err != nil {
				t.Fatalf("mongo insert: %v", err)
			}

			// S3: same key in every subtest's bucket.
			s3c := testenv.S3Client(t, env)
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(env.S3.Bucket), Key: aws.String("same.txt"), Body: strings.NewReader(name),
			}); err != nil {
				t.Fatalf("s3 put: %v", err)
			}

			// SMTP: each sink sees only its own mail.
			msg := "Subject: " + name + "\r\n\r\nbody\r\n"
			if err := smtp.SendMail(env.SMTP.Addr, nil, name+"@example.com", []string{"to@example.com"}, []byte(msg)); err != nil {
				t.Fatalf("smtp send: %v", err)
			}

			// Read everything back after all writes of this subtest; the
			// other subtests write concurrently.
			if got, err := rdb.Get(ctx, "shared-key").Result(); err != nil || got != name {
				t.Fatalf("redis GET = %q, %v; want %q", got, err, name)
			}
			var docs []bson.M
			cur, err := coll.Find(ctx, bson.D{})
			if err != nil {
				t.Fatalf("mongo find: %v", err)
			}
			if err := cur.All(ctx, &docs); err != nil {
				t.Fatalf("mongo find all: %v", err)
			}
			if len(docs) != 1 || docs[0]["owner"] != name {
				t.Fatalf("mongo docs = %v; want only owner %q", docs, name)
			}
			list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(env.S3.Bucket)})
			if err != nil {
				t.Fatalf("s3 list: %v", err)
			}
			if len(list.Contents) != 1 {
				t.Fatalf("s3 list has %d objects; want 1", len(list.Contents))
			}
			obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(env.S3.Bucket), Key: aws.String("same.txt")})
			if err != nil {
				t.Fatalf("s3 get: %v", err)
			}
			body, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			if string(body) != name {
				t.Fatalf("s3 object = %q; want %q", body, name)
			}
			if _, err := env.SMTP.WaitFor(ctx, func(embedded.Message) bool { return true }); err != nil {
				t.Fatalf("smtp wait: %v", err)
			}
			msgs := env.SMTP.Messages()
			if len(msgs) != 1 || msgs[0].From != name+"@example.com" {
				t.Fatalf("smtp messages = %d (first from %q); want 1 from %s", len(msgs), firstFrom(msgs), name)
			}
		})
	}
}

func firstFrom(msgs []embedded.Message) string {
	if len(msgs) == 0 {
		return ""
	}
	return msgs[0].From
}

// TestEnvNamesAreValid checks that long, odd test names still give valid
// database and bucket names.
func TestEnvNamesAreValid(t *testing.T) {
	t.Run("A very long Sub-test name with spaces/slashes & UPPER case, well past sixty-three characters", func(t *testing.T) {
		env := testenv.New(t)
		if len(env.MongoDB) > 63 || len(env.S3.Bucket) > 63 || len(env.S3.Bucket) < 3 {
			t.Fatalf("names too long: db %q (%d), bucket %q (%d)", env.MongoDB, len(env.MongoDB), env.S3.Bucket, len(env.S3.Bucket))
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		coll := testenv.MongoClient(t, env).Database(env.MongoDB).Collection("c")
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "x", Value: 1}}); err != nil {
			t.Fatalf("insert into %q: %v", env.MongoDB, err)
		}
		_, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "x", Value: 1}}})
		if err != nil {
			t.Fatalf("create index: %v", err)
		}
	})
}
