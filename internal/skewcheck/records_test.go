package skewcheck_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/mongostore"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// recordCase is one stored record kind read by the workers.
type recordCase struct {
	collection string
	// create stores a record with every optional field set and returns
	// its ID.
	create func(ctx context.Context, s *mongostore.Store) (string, error)
	// read reads it back as a worker does.
	read func(ctx context.Context, s *mongostore.Store, id string) (any, error)
	// newer are fields of a later release: top level and nested.
	newer bson.M
	// missing are fields a previous release did not write, and
	// withoutMissing zeroes them in what read returned, giving what the
	// record without them must decode to.
	missing        []string
	withoutMissing func(v any) any
}

func options() quizflow.GenerateOptions {
	return quizflow.GenerateOptions{
		QuestionCount: 8, QuestionTypes: []string{quizflow.MultipleChoice}, Difficulty: quizflow.DifficultyMedium,
		BloomLevels: []string{"apply"}, Language: "en", Instructions: "Chapter 1 only.", Fresh: true,
	}
}

var recordCases = map[string]recordCase{
	"document": {
		collection: "documents",
		create: func(ctx context.Context, s *mongostore.Store) (string, error) {
			d := &quizflow.Document{
				ID: quizflow.NewID("doc"), OwnerID: "usr_1", Filename: "cells.pdf", Kind: "pdf", ContentType: "application/pdf",
				Size: 1234, SHA256: "ab12", BlobKey: "blobs/doc", TextKey: "texts/doc", Status: quizflow.DocumentExtracting,
				PageCount: 3, WordCount: 900, Options: options(),
			}
			return d.ID, s.CreateDocument(ctx, d)
		},
		read:  func(ctx context.Context, s *mongostore.Store, id string) (any, error) { return s.Document(ctx, id, "") },
		newer: bson.M{"language_detected": "en", "options.reading_level": 7, "retention": bson.M{"days": 30}},
		// text_key: written once the text is extracted; fresh: only when asked.
		missing: []string{"text_key", "options.fresh", "options.instructions"},
		withoutMissing: func(v any) any {
			d := *v.(*quizflow.Document)
			d.TextKey, d.Options.Fresh, d.Options.Instructions = "", false, ""
			return &d
		},
	},
	"job": {
		collection: "jobs",
		create: func(ctx context.Context, s *mongostore.Store) (string, error) {
			o := options()
			j := &quizflow.Job{
				ID: quizflow.NewID("job"), OwnerID: "usr_1", Kind: quizflow.JobQuiz, DocumentID: "doc_1",
				Options: &o, RequestID: "req_1", Attempts: 2, Warnings: []string{"page 3 had no text"},
				Usage: &quizflow.Usage{Model: "gpt-4o-mini", Calls: 2, PromptTokens: 100, CompletionTokens: 50, CostUSD: 0.01},
			}
			return j.ID, s.CreateJob(ctx, j)
		},
		read:    func(ctx context.Context, s *mongostore.Store, id string) (any, error) { return s.Job(ctx, id, "") },
		newer:   bson.M{"priority": "high", "trace": bson.M{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, "options.reading_level": 7},
		missing: []string{"attempts", "usage", "warnings", "request_id", "message"},
		withoutMissing: func(v any) any {
			j := *v.(*quizflow.Job)
			j.Attempts, j.Usage, j.Warnings, j.RequestID, j.Message = 0, nil, nil, "", ""
			return &j
		},
	},
	"quiz": {
		collection: "quizzes",
		create: func(ctx context.Context, s *mongostore.Store) (string, error) {
			q := &quizflow.Quiz{
				ID: quizflow.NewID("quiz"), OwnerID: "usr_1", DocumentID: "doc_1", JobID: "job_1", Title: "Cells",
				Language: "en", Options: options(), Warnings: []string{"short document"}, CacheKey: "ck_1",
				Questions: []quizflow.Question{{
					ID: "q1", Type: quizflow.MultipleChoice, Prompt: "Which organelle makes ATP?",
					Options:     []quizflow.Option{{ID: "a", Text: "Mitochondrion", Correct: true}, {ID: "b", Text: "Ribosome"}},
					Explanation: "It does.", Source: quizflow.Source{Page: 1, Quote: "powerhouse"}, Points: 1,
				}},
				Usage: quizflow.Usage{Model: "gpt-4o-mini", Calls: 1, PromptTokens: 10, CompletionTokens: 5},
			}
			return q.ID, s.SaveQuiz(ctx, q)
		},
		read:    func(ctx context.Context, s *mongostore.Store, id string) (any, error) { return s.Quiz(ctx, id, "") },
		newer:   bson.M{"visibility": "private", "options.reading_level": 7, "usage.cached_tokens": 3},
		missing: []string{"warnings", "cache_key", "options.fresh", "usage.cached"},
		withoutMissing: func(v any) any {
			q := *v.(*quizflow.Quiz)
			q.Warnings, q.CacheKey, q.Options.Fresh, q.Usage.Cached = nil, "", false, false
			return &q
		},
	},
}

// TestStoredRecordSkew stores each record kind through the store, then
// rewrites it on the embedded FerretDB as another release would have
// written it, and reads it back through the store as a worker does.
func TestStoredRecordSkew(t *testing.T) {
	env := testenv.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := mongostore.Open(ctx, env.MongoURI, env.MongoDB)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	db := testenv.MongoClient(t, env).Database(env.MongoDB)

	for name, c := range recordCases {
		t.Run(name, func(t *testing.T) {
			id, err := c.create(ctx, s)
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			stored, err := c.read(ctx, s, id)
			if err != nil {
				t.Fatalf("read as stored: %v", err)
			}
			col := db.Collection(c.collection)

			t.Run("newer fields", func(t *testing.T) {
				if _, err := col.UpdateByID(ctx, id, bson.M{"$set": c.newer}); err != nil {
					t.Fatalf("add fields: %v", err)
				}
				raw, err := col.FindOne(ctx, bson.M{"_id": id}).Raw()
				if err != nil {
					t.Fatalf("read raw: %v", err)
				}
				for k := range c.newer {
					if _, err := raw.LookupErr(splitPath(k)...); err != nil {
						t.Fatalf("field %s was not written: %v", k, err)
					}
				}
				got, err := c.read(ctx, s, id)
				if err != nil {
					t.Fatalf("read with newer fields: %v", err)
				}
				if diff := cmp.Diff(stored, got); diff != "" {
					t.Errorf("record with newer fields (-as stored +got):\n%s", diff)
				}
			})

			t.Run("missing fields", func(t *testing.T) {
				unset := bson.M{}
				for _, f := range c.missing {
					unset[f] = ""
				}
				if _, err := col.UpdateByID(ctx, id, bson.M{"$unset": unset}); err != nil {
					t.Fatalf("remove fields: %v", err)
				}
				raw, err := col.FindOne(ctx, bson.M{"_id": id}).Raw()
				if err != nil {
					t.Fatalf("read raw: %v", err)
				}
				for _, f := range c.missing {
					if _, err := raw.LookupErr(splitPath(f)...); err == nil {
						t.Fatalf("field %s is still there", f)
					}
				}
				got, err := c.read(ctx, s, id)
				if err != nil {
					t.Fatalf("read without %v: %v", c.missing, err)
				}
				if diff := cmp.Diff(c.withoutMissing(stored), got); diff != "" {
					t.Errorf("record without %v (-want +got):\n%s", c.missing, diff)
				}
			})
		})
	}
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := range len(p) {
		if p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}
